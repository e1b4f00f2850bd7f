// The directory of task worktrees, and what in it is Drover's. Drover renames
// and deletes only what it created:
//   - the directory carries DROVER_WORKTREE_DIR_MARKER, written when Drover
//     created it or adopted it (empty, or inside Drover's own .drover dir,
//     where earlier versions put worktrees without the marker);
//   - a task's directory in it is Drover's iff it is a checkout git made for
//     this repository's worktree entry of that task (its .git file points at
//     <git-dir>/worktrees/<task>), whether or not the entry still exists.
// Anything else is the user's: operations refuse and name the path.
#ifndef DROVER_VCS_GIT_WORKTREE_DIR_H
#define DROVER_VCS_GIT_WORKTREE_DIR_H

#include <string>

namespace drover::vcs_git {

// Makes dir ready for worktrees: creates it with the marker, or marks an
// existing one that is empty or inside drover_dir. Throws sdk::Error
// (DROVER_CONFLICT) naming dir and what to do when it holds files Drover did
// not create.
void claim_worktree_dir(const std::string& dir, const std::string& drover_dir);

// True iff dir carries the marker.
bool is_claimed_worktree_dir(const std::string& dir);

// True iff path is a checkout git created for the worktree entry admin_dir
// (its .git file reads "gitdir: <admin_dir>").
bool is_checkout_of(const std::string& path, const std::string& admin_dir);

// True iff path holds nothing but an empty `.git` file: what a kill leaves
// when it lands between libgit2 creating a new worktree's `.git` file and
// writing it (before any file was checked out, so no work can be there).
bool is_unwritten_worktree(const std::string& path);

}  // namespace drover::vcs_git

#endif
