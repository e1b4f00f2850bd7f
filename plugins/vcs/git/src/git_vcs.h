// GitVcs: the drover_vcs_vtable_v1 operations on one repository, with libgit2.
//
// Every operation opens its own git_repository handle: libgit2 objects must not
// be shared between threads, and the engine calls operations for different
// tasks concurrently. Cross-task safety comes from per-task worktrees and
// branches plus RepoLock around merges (per target branch) and worktree add/remove.
//
// JSON contract additions (all optional, documented here and in the report):
//   prepare_worktree: the target branch a task was prepared for is remembered in
//     <git-dir>/worktrees/<task>/drover-target; commit and remove_worktree
//     accept "target_branch" to override it (commit uses it to decide whether
//     an unchanged branch still has work ahead of the target).
//   commit, merge: accept "author_name"/"author_email" (else config, else the
//     repository's user.name/user.email, else "Drover <drover@localhost>").
//   commit: an empty message or one containing NUL is DROVER_INVALID_ARGUMENT.
//   merge: "message" is optional; "Drover-Task: <id>" is added if missing and
//     "Drover-Source: <task head>" always (on the last replayed commit for
//     rebase, whose commits keep their own messages). The response carries
//     "warning": str (and the changed "paths") when the ref moved but the
//     checked-out files could not all be brought along (a race with the user).
//     A target checked out in a linked worktree of the user's is treated like
//     the main worktree (checked, then brought along).
//   remove_worktree: {"removed": false, "discarded": []} when neither worktree
//     nor branch exists (a replay). Refusing (uncommitted changes or unmerged
//     commits without "force") is DROVER_CONFLICT naming the paths/branch.
//     "discarded" lists uncommitted paths and "branch <b> at <sha> (not merged)".
//   open: lists the worktree dir in <git-dir>/info/exclude so the task
//     worktrees never show up in the user's `git status`.
#ifndef DROVER_VCS_GIT_GIT_VCS_H
#define DROVER_VCS_GIT_GIT_VCS_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drover/plugin/sdk.hpp"
#include "git_config.h"
#include "git_remote.h"
#include "libgit2_handles.h"

namespace drover::vcs_git {

class GitVcs : public sdk::Vcs {
 public:
  static void check_config(std::string_view yaml);
  GitVcs(std::string_view config_yaml, std::string_view context_json);

  std::string repo_info(std::string_view request) override;
  std::string prepare_worktree(std::string_view request) override;
  std::string commit(std::string_view request) override;
  std::string merge(std::string_view request) override;
  std::string remove_worktree(std::string_view request) override;
  std::string list_worktrees(std::string_view request) override;
  std::string diff_summary(std::string_view request) override;
  std::string checkout_state(std::string_view request) override;  // git_outside_checks.cpp
  std::string target_moves(std::string_view request) override;    // git_outside_checks.cpp
  std::string reset_worktree(std::string_view request) override;  // git_reset.cpp
  std::string build_landing(std::string_view request) override;    // git_merge.cpp
  std::string publish_landing(std::string_view request) override;  // git_merge.cpp
  std::string sync_worktree(std::string_view request) override;    // git_sync.cpp
  std::string scratch_worktree(std::string_view request) override; // git_scratch.cpp
  std::string diff_patch(std::string_view request) override;       // git_diff.cpp

 private:
  RepoPtr open_main() const;
  // The registered worktree of a task, or null when there is none.
  WorktreePtr lookup_worktree(git_repository* repo, const std::string& task_id) const;
  // Call with the worktrees lock held: registers a new worktree for task_id on
  // its branch (no files checked out yet) and records its base.
  WorktreePtr add_worktree(git_repository* repo, const std::string& task_id) const;
  // Completes the checkout of task_id's registered worktree (no marker yet);
  // a recycled one that cannot be used is thrown away and checked out afresh.
  void finish_checkout(git_repository* repo, const std::string& task_id) const;
  // True iff task_id's worktree never finished its checkout and its branch is
  // still at the commit recorded when it was registered: nobody worked there.
  bool unfinished_without_work(git_repository* repo, const std::string& task_id) const;
  RepoPtr open_task_worktree(git_repository* main, const std::string& task_id) const;
  std::string worktree_path(const std::string& task_id) const { return worktree_dir_ + "/" + task_id; }
  std::string branch_name(const std::string& task_id) const { return config_.branch_prefix + task_id; }
  std::string admin_dir(const std::string& task_id) const { return common_dir_ + "worktrees/" + task_id; }
  // Landed: their worktrees are on their way to the pool (worktree_pool.h: mark_pool_pending).
  void mark_landed(const std::vector<std::string>& task_ids) const;
  void remember_target(const std::string& task_id, const std::string& target) const;
  // Finishes an update of the user's checkout of `target` that a merge began
  // and could not end (killed, or the disk was full), before anything else is
  // done: the checkout then shows nothing the user did not do (git_merge.cpp).
  void finish_interrupted_checkout(git_repository* repo, const std::string& target) const;
  std::optional<std::string> remembered_target(const std::string& task_id) const;
  std::vector<std::string> merge_conflict_paths(const std::string& task_id, git_index* index) const;
  // The task branch's head and the tree it branched from the target at (their
  // merge base): what diff_summary and diff_patch compare against.
  struct TaskBase {
    git_oid head;
    TreePtr base_tree;
  };
  TaskBase task_base(git_repository* repo, const std::string& task_id, const std::string& target) const;
  // The target's tip as known here: the local branch, or with a remote the
  // remote's branch as last fetched or pushed (no network).
  std::optional<git_oid> target_tip(git_repository* repo, const std::string& target) const;
  // The target's tip now, fetched first with a remote. Throws DROVER_NOT_FOUND
  // when the branch does not exist (DROVER_UNAVAILABLE: the remote is away).
  git_oid current_target_tip(git_repository* repo, const std::string& target) const;
  // With a remote: the task's committed work (its branch head) is saved there
  // so another machine can continue it; unless it is already on the target.
  void save_task_work(git_repository* repo, const std::string& task_id, const git_oid& head,
                      const std::optional<std::string>& target) const;
  // With a remote, after a landing moved its target: the local target branch
  // follows (and the user's checkout of it) when it is behind, so the user
  // sees what landed; left alone, with a warning, when it has commits of its
  // own or files in the way (git_merge.cpp).
  void bring_local_target_along(git_repository* repo, const std::string& target, const git_oid& landed) const;

  GitConfig config_;
  std::string root_;          // the main worktree, no trailing slash
  std::string common_dir_;    // the common git dir, with trailing slash
  std::string worktree_dir_;  // absolute, no trailing slash
  std::string drover_dir_;    // the host's .drover dir ("" when not given)
  int pool_size_ = 4;         // the most recycled worktrees kept (worktree_pool.h)
  std::optional<TargetRemote> remote_;  // vcs.config.remote: the target lives there
};

// Throws DROVER_INVALID_ARGUMENT unless name is a valid local branch name.
void validate_branch_name(const std::string& name);

}  // namespace drover::vcs_git

#endif
