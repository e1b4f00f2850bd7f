// Man pages in roff, rendered from the command definitions (command_tree.h):
// drover(1) for the program (global options, the commands, exit status,
// environment, signals) and drover-<command>(1) for each top-level command,
// its subcommands included (as git does for `git-worktree`).
#ifndef DROVER_CLI_MAN_PAGE_H
#define DROVER_CLI_MAN_PAGE_H

#include <string>
#include <vector>

#include "command_tree.h"

namespace drover::cli {

struct ManPage {
  std::string file_name;  // "drover.1", "drover-worktree.1"
  std::string text;       // roff
};

// One page for `root` (the whole program) and one per command under it.
std::vector<ManPage> man_pages(const CommandDoc& root, const std::string& version);

// Text made safe for roff: backslashes and hyphens escaped, and no line
// starting with a control character ('.' or '\'').
std::string roff_escape(const std::string& text);

}  // namespace drover::cli

#endif
