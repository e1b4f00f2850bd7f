// What the user typed as commands, checked before CLI11 parses it, so that a
// missing or misspelt command gets the list of commands or a "did you mean"
// (CLI11 alone says "A subcommand is required" or "argument not expected").
#ifndef DROVER_CLI_COMMAND_WORDS_H
#define DROVER_CLI_COMMAND_WORDS_H

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace drover::cli {

// The command words of argv (argv[1..]) that name subcommands, in order,
// stopping at the first word that is not one; options and their values are
// skipped. Returns the (sub)command they lead to.
CLI::App* command_of(CLI::App& app, const std::vector<std::string>& args, std::vector<std::string>& path);

// "drover worktree prune" for the path {"worktree", "prune"}.
std::string command_text(const std::vector<std::string>& path);

// A usage error about the command words, or nullopt when they are fine:
// "unknown command 'stauts'; did you mean 'status'?" or, when a command needs
// a subcommand and none was given, the list of its subcommands.
std::optional<std::string> command_word_error(CLI::App& app, const std::vector<std::string>& args);

// For a command line CLI11 refused: the first "--word" that is no option of
// the command it ran into, with the closest option name ("unknown option
// '--prioity' for `drover add`; did you mean '--priority'?"), or nullopt.
std::optional<std::string> unknown_option_error(CLI::App& app, const std::vector<std::string>& args);

// The subcommands of a command, one per line with their descriptions.
std::string subcommand_list(const CLI::App& command);

}  // namespace drover::cli

#endif
