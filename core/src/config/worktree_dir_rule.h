// The rule for vcs.config.worktree_dir, whatever the VCS plugin: task worktrees
// go in a directory Drover owns, because the plugin creates, renames and
// deletes task directories in it. Checked when drover.yaml is loaded, so every
// command (and `drover config check`) refuses a bad one before anything runs.
#ifndef DROVER_CONFIG_WORKTREE_DIR_RULE_H
#define DROVER_CONFIG_WORKTREE_DIR_RULE_H

#include <string>

namespace drover {

// "" when value (relative to project_root unless absolute) may hold task
// worktrees; else what is wrong with it and what to do. Refused: the
// filesystem root, the project root, a directory that contains the project,
// something that is not a directory, and an existing directory holding files
// but no DROVER_WORKTREE_DIR_MARKER (except inside the project's .drover/,
// which is Drover's own).
std::string worktree_dir_problem(const std::string& value, const std::string& project_root);

}  // namespace drover

#endif
