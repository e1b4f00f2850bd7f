// Shell completion scripts for bash, zsh and fish, rendered from the command
// definitions (command_tree.h). Each script finds the command path typed so far
// (skipping options and their values) and offers that command's subcommands,
// options, or an option's accepted values; where a command takes files, the
// shell's own file completion applies.
#ifndef DROVER_CLI_COMPLETION_SCRIPT_H
#define DROVER_CLI_COMPLETION_SCRIPT_H

#include <optional>
#include <string>
#include <vector>

#include "command_tree.h"

namespace drover::cli {

// The shells a script can be made for.
const std::vector<std::string>& completion_shells();

// The script for `shell` ("bash", "zsh" or "fish"), or nullopt for any other.
std::optional<std::string> completion_script(const CommandDoc& root, const std::string& shell);

}  // namespace drover::cli

#endif
