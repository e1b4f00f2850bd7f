// Store messages say which storage operation refused what, for plugin authors
// and logs ("create_task: epic e7 does not exist; create it first (list_epics
// shows the ids)"). A user typed a command, not an operation: this rewrites
// such a message in the commands' terms before the CLI prints it. Commands
// check the common cases themselves first and say them better; this is the
// net for the rest.
#ifndef DROVER_CLI_USER_TERMS_H
#define DROVER_CLI_USER_TERMS_H

#include <string>

namespace drover::cli {

// The message without a leading storage operation name ("get_task: ") and
// with the storage API's hints replaced by the commands that show the same.
std::string in_user_terms(const std::string& store_message);

}  // namespace drover::cli

#endif
