// Staging everything in a task worktree the way `commit` records it: every
// change and deletion, respecting .gitignore, with nested repositories taken
// as plain files (nested_repos.h). Shared by commit and reset_worktree, which
// keeps an interrupted attempt's files in a commit before it resets.
#ifndef DROVER_VCS_GIT_WORKTREE_STAGING_H
#define DROVER_VCS_GIT_WORKTREE_STAGING_H

#include <git2.h>

#include <string>

namespace drover::vcs_git {

// Stages the worktree's files into index, writes the index, and returns the
// id of the tree it now holds. what names the task in errors.
git_oid stage_everything(git_repository* worktree, git_index* index, const std::string& what);

}  // namespace drover::vcs_git

#endif
