// Recycled worktrees (vcs.config.reuse_worktrees): the checkout of a finished
// task is kept in a pool instead of being deleted, and the next task's
// prepare_worktree takes it and moves it to its own base by writing only the
// files that differ, instead of writing every file of the repository again.
//
// Layout, all inside the worktree directory Drover owns:
//   <worktree_dir>/.pool/<slot>/tree    the checkout (its `.git` file stale)
//   <worktree_dir>/.pool/<slot>/admin   its git admin dir (index, HEAD detached
//                                       at the commit the files are a checkout of)
// A pooled worktree is not registered with git (its admin dir is out of
// <git-dir>/worktrees), has no branch and no task: `git worktree list` does
// not show it and nothing can work in it.
//
// Every move happens under the worktrees lock and is a rename, so a crash
// leaves one of these, each repaired by the next run:
//   <worktree_dir>/.recycling-<task>-<n>  a worktree on its way into the pool
//   <worktree_dir>/.claiming-<task>-<n>   a pooled worktree on its way to a task
//     -> both are renamed to .removing-* (deleted) under the lock by the next
//        prepare or remove; the task's own state is repaired by the existing
//        paths (a registered worktree whose directory is gone is pruned; a
//        branch without worktree is reset or deleted).
//   a registered worktree without the drover-complete marker, with
//   drover-recycled-from naming the commit its files were a checkout of
//     -> complete_checkout() finishes the move to HEAD before anyone works there.
//
// Only a worktree that is clean (no modified, staged, deleted or untracked
// file), not in a merge/rebase, not locked, and whose branch is merged is
// recycled; remove_worktree is called for a task only once it is finished.
#ifndef DROVER_VCS_GIT_WORKTREE_POOL_H
#define DROVER_VCS_GIT_WORKTREE_POOL_H

#include <git2.h>

#include <cstddef>
#include <optional>
#include <string>

namespace drover::vcs_git {

// Call with the worktrees lock held: renames what interrupted recycles and
// claims left (.recycling-*, .claiming-*) to .removing-* names (deleted by
// remove_trash). Cheap when there is nothing.
void set_aside_interrupted_pool_moves(const std::string& worktree_dir);

// Call with the worktrees lock held: how many worktrees the pool holds.
std::size_t pooled_worktrees(const std::string& worktree_dir);

// Call with the worktrees lock held: moves the registered worktree at `path`
// (admin dir `admin_dir`, files a checkout of `head`) out of git's list into a
// staging dir and returns it; std::nullopt (nothing moved) when it cannot be
// recycled (another file system, say). Then delete the branch and call
// publish_to_pool.
std::optional<std::string> stage_for_pool(const std::string& worktree_dir, const std::string& path,
                                          const std::string& admin_dir, const git_oid& head, const std::string& task_id);
// Call with the worktrees lock held: the staged worktree joins the pool.
void publish_to_pool(const std::string& worktree_dir, const std::string& staged);

// Call with the worktrees lock held, the task's branch created and no
// worktree registered for it: takes a pooled worktree, registers it as the
// task's (path, admin_dir) with HEAD on refs/heads/<branch>, and returns true.
// Its files are still those of the pooled commit: call complete_checkout
// (outside the lock) before anything else. False when the pool is empty.
bool claim_from_pool(git_repository* repo, const std::string& worktree_dir, const std::string& path,
                     const std::string& admin_dir, const std::string& branch);

// Brings the files of a registered worktree whose checkout did not finish
// (no drover-complete marker) to its HEAD and writes the marker: a recycled
// one from the commit named in drover-recycled-from (only differing files
// are written; untracked files, and ignored ones unless keep_ignored, are
// removed), a new one in full.
void complete_checkout(git_repository* wt_repo, const std::string& admin_dir, bool keep_ignored);

// Deletes every pooled worktree (reuse turned off). Takes the worktrees lock.
void drain_pool(const std::string& common_dir, const std::string& worktree_dir);

}  // namespace drover::vcs_git

#endif
