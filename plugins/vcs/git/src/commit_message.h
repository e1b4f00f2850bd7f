// Drover's commit-message trailers: `Drover-Task: <id>` names the task and
// `Drover-Source: <sha>` the task-branch head a squash/rebase merge came from,
// which is how a replayed merge recognises that it already happened.
#ifndef DROVER_VCS_GIT_COMMIT_MESSAGE_H
#define DROVER_VCS_GIT_COMMIT_MESSAGE_H

#include <string>
#include <string_view>

namespace drover::vcs_git {

// True iff the message's trailer block has `key: value` exactly.
bool has_trailer(const char* message, std::string_view key, std::string_view value);

// The value of the first `key: value` trailer, or "" when there is none.
std::string trailer_value(const char* message, std::string_view key);

// Returns the message with `key: value` added to its trailer block (a new block
// after a blank line if the message has none). Unchanged if already present.
std::string with_trailer(const std::string& message, std::string_view key, std::string_view value);

}  // namespace drover::vcs_git

#endif
