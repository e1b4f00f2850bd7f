// The command line's definitions as plain data: every visible command, its
// options and arguments, read once from the CLI11 app. `drover completion`
// and the man pages are both rendered from it, so they cannot disagree with
// what the parser accepts (nor with --help, which CLI11 renders from the same
// definitions).
#ifndef DROVER_CLI_COMMAND_TREE_H
#define DROVER_CLI_COMMAND_TREE_H

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace drover::cli {

struct OptionDoc {
  std::vector<std::string> short_names;  // "h" for -h
  std::vector<std::string> long_names;   // "help" for --help
  std::string value_name;                // "" for a flag, else e.g. "TEXT", "INT"
  std::string description;
  std::vector<std::string> choices;      // the only values accepted, when CLI11 knows them
};

struct ArgumentDoc {
  std::string name;
  std::string description;
  bool required = false;
  bool repeated = false;  // takes any number of words
  std::vector<std::string> choices;  // the only values accepted, when CLI11 knows them
};

struct CommandDoc {
  std::vector<std::string> path;  // {} for drover itself, {"worktree", "prune"}
  std::string description;
  std::vector<OptionDoc> options;
  std::vector<ArgumentDoc> arguments;
  std::vector<CommandDoc> subcommands;
  bool needs_subcommand = false;

  std::string name() const { return path.empty() ? "drover" : path.back(); }
  // "drover worktree prune".
  std::string text() const;
};

// The commands of `app`, hidden ones (an empty help group) left out. Options
// of the top-level app (--config, --log-level) belong to `drover` only.
CommandDoc command_tree(const CLI::App& app);

}  // namespace drover::cli

#endif
