// Read-only questions about a repository that several operations ask: where a
// branch points, whether a task's work is already in a target branch, what is
// uncommitted in a worktree, and who signs new commits.
#ifndef DROVER_VCS_GIT_REPO_QUERIES_H
#define DROVER_VCS_GIT_REPO_QUERIES_H

#include <optional>
#include <string>
#include <vector>

#include "git_config.h"
#include "libgit2_handles.h"

namespace drover::vcs_git {

std::string oid_hex(const git_oid& oid);

// The commit a local branch points to, or std::nullopt if there is no such branch.
std::optional<git_oid> branch_tip(git_repository* repo, const std::string& branch);

// True iff HEAD of the main worktree (unless the repository is bare) or of a
// linked worktree registered in common_dir is the branch (refs/heads/<branch>):
// git_branch_is_checked_out's answer, from the HEAD files alone. (libgit2 opens
// a repository per worktree for it, config files and all: ~0.3 ms each, and
// remove_worktree asks under the worktrees lock, which the next task's
// prepare_worktree waits for.) A worktree entry's HEAD counts even when the
// entry is stale (its directory gone): a branch is kept rather than deleted.
bool branch_checked_out(git_repository* repo, const std::string& common_dir, const std::string& branch);

// True iff commit is tip or one of its ancestors.
bool reachable_from(git_repository* repo, const git_oid& tip, const git_oid& commit);

// Where a task's branch head stands relative to a target branch.
struct MergeLookup {
  enum State { kNotMerged, kMerged, kNothingToMerge } state = kNotMerged;
  std::optional<git_oid> commit;  // kMerged: the commit on the target that brought the head in
};

// Finds whether head (the tip of task_id's branch) is already in target_tip:
// as an ancestor (a merge), or through a commit carrying the trailers
// `Drover-Task: <task_id>` and `Drover-Source: <head>` (a squash or rebase).
// kNothingToMerge when head lies on the target's first-parent line itself (the
// branch never got a commit of its own).
MergeLookup find_merge(git_repository* repo, const git_oid& target_tip, const git_oid& head,
                       const std::string& task_id);

// Uncommitted changes in a worktree: modified, staged, deleted and untracked
// paths (ignored files are not counted).
std::vector<std::string> uncommitted_paths(git_repository* worktree_repo);

// One status scan of a worktree (each scan stats every file: at tens of
// thousands of files it is the cost of a step): the uncommitted paths as
// above, and with with_ignored the ignored entries too (an ignored directory
// as one entry, its path ending in '/').
struct WorktreeScan {
  std::vector<std::string> uncommitted;
  std::vector<std::string> ignored;
};
WorktreeScan scan_worktree(git_repository* worktree_repo, bool with_ignored);

// The signature for new commits: explicit name/email, else the plugin config,
// else the repository's user.name/user.email, else "Drover <drover@localhost>".
SignaturePtr make_signature(git_repository* repo, const GitConfig& config, const std::optional<std::string>& name,
                            const std::optional<std::string>& email);

// Paths that differ between two trees (both sides of renames, no rename detection).
std::vector<std::string> changed_paths(git_repository* repo, git_tree* from, git_tree* to);

// The commits a merge in progress in this worktree brings in (MERGE_HEAD);
// empty when none is in progress.
std::vector<git_oid> merge_heads(git_repository* repo);

// The paths an index has in conflict, sorted.
std::vector<std::string> conflict_paths(git_index* index);

// The commit with this id, and a commit's tree (errors thrown as sdk::Error).
CommitPtr lookup_commit(git_repository* repo, const git_oid& oid);
TreePtr commit_tree(git_commit* c);

}  // namespace drover::vcs_git

#endif
