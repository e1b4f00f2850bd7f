// Recycled worktrees (vcs.config.reuse_worktrees): the checkout of a finished
// task is kept in a pool instead of being deleted, and the next task's
// prepare_worktree takes it and moves it to its own base by writing only the
// files that differ, instead of writing every file of the repository again.
//
// Layout, all inside the worktree directory Drover owns:
//   <worktree_dir>/.pool/<slot>/tree    the checkout (no `.git` file, so git
//                                       run inside it finds no task's index)
//   <worktree_dir>/.pool/<slot>/admin   the task's git admin dir, moved out of
//                                       <git-dir>/worktrees: its `index`, HEAD
//                                       detached at the commit the files are a
//                                       checkout of, and the files the next
//                                       registration overwrites in place
//                                       (gitdir, commondir, drover-base,
//                                       drover-complete, drover-target, and
//                                       the tree's `.git` file as
//                                       drover-dotgit); nothing else
//   refs/drover/pool/<slot>             that commit, so gc keeps it (after a
//                                       squash or rebase nothing else may)
// A pooled worktree is not registered with git (its admin dir is out of
// <git-dir>/worktrees), has no branch and no task: `git worktree list` does
// not show it and nothing can work in it.
//
// Every move happens under the worktrees lock and is a rename, so a crash
// leaves one of these, each repaired by the next run (nothing is created
// under the lock that a rename or an overwrite can do instead: on ext4 a new
// inode costs a search of the inode table, ~1 ms with worktree churn, and
// every task's prepare_worktree and remove_worktree waits for the lock):
//   <worktree_dir>/.recycling-<task>-<n>  a worktree on its way into the pool
//   <worktree_dir>/.claiming-<task>-<n>   a pooled worktree on its way to a task
//     -> both are renamed to .removing-* (deleted) under the lock by the next
//        prepare or remove, and pool refs without a pooled worktree deleted;
//        the task's own state is repaired by the existing paths (a registered
//        worktree whose directory is gone is pruned; a branch without
//        worktree is reset or deleted).
//   a registered worktree without the drover-complete marker, with
//   drover-recycled-from naming the commit its files were a checkout of
//     -> complete_checkout() finishes the move to HEAD before anyone works there.
// The steps are named for the crash tests (crash_point): S1..S4 putting a
// worktree into the pool (remove_worktree), C1..C4 taking one (prepare_worktree).
//
// Only a worktree that is clean (no modified, staged, deleted or untracked
// file), not in a merge/rebase, not locked, whose checkout completed, whose
// branch and HEAD are merged, that has no submodule (no <admin>/modules, no
// non-empty gitlink directory) and no ignored nested repository is recycled;
// remove_worktree is called for a task only once it is finished.
//
// When a recycled checkout cannot be trusted, prepare_worktree falls back to a
// fresh one (the directory goes to the trash): the pooled commit or its tree
// is unreadable, the incremental checkout fails, a .gitattributes file differs
// between the two commits (filters and line endings may change files whose
// blobs did not), or the result is not exactly the base (anything untracked
// left, or anything ignored left when keep_ignored is off).
#ifndef DROVER_VCS_GIT_WORKTREE_POOL_H
#define DROVER_VCS_GIT_WORKTREE_POOL_H

#include <git2.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace drover::vcs_git {

// Test hook: when the environment variable DROVER_TEST_CRASH_AT equals step
// (S1..S4, C1..C4), the process ends at once with _exit(86), as a kill -9
// there would.
void crash_point(const char* step);

// Call with the worktrees lock held: renames what interrupted recycles and
// claims left (.recycling-*, .claiming-*) to .removing-* names (deleted by
// remove_trash) and then deletes pool refs whose worktree is not in the pool.
// Cheap when there is nothing.
void set_aside_interrupted_pool_moves(git_repository* repo, const std::string& worktree_dir);

// Call with the worktrees lock held: how many worktrees the pool holds.
std::size_t pooled_worktrees(const std::string& worktree_dir);

// A landed task's worktree on its way to the pool. The engine frees the
// task's worker slot as soon as the task completed, so the next task's
// prepare_worktree runs while remove_worktree still checks the finished one
// (a status scan of every file); finding the pool empty, it would check out
// in full (at 20,000 files many times the cost of the wait). Landing marks
// the worktree (drover-pool-pending in its admin dir, with this process's
// pid); remove_worktree clears the mark whatever it decides (the admin dir
// goes, or ClearPoolPending on its way out).
void mark_pool_pending(const std::string& admin_dir);
struct ClearPoolPending {
  std::string admin_dir;
  ~ClearPoolPending();
};

// Without the lock: waits while the pool is empty and another task's
// worktree (not skip_task's) is marked pending by a live process, at most
// until deadline. True iff the pool has a worktree or one was pending (a
// claim is worth trying, and trying again if another task's prepare took it
// first).
bool await_pending_recycle(const std::string& worktree_dir, const std::string& common_dir, const std::string& skip_task,
                           std::chrono::steady_clock::time_point deadline);

// Why the worktree at wt_repo (admin dir admin_dir) must not be recycled, or
// std::nullopt if it may be: its checkout never completed, it has submodules,
// or an ignored nested repository (libgit2's checkout never removes those).
// ignored: the worktree's ignored entries (scan_worktree with_ignored).
std::optional<std::string> not_recyclable(git_repository* wt_repo, const std::string& admin_dir,
                                          const std::vector<std::string>& ignored);

// Without the lock, before stage_for_pool: makes the (empty) directory the
// staged worktree goes into, inside the worktree's admin dir, so that the
// directory's creation is not among what stage_for_pool does under the lock.
// Left there, it goes with the admin dir whatever happens to it.
void reserve_pool_slot(const std::string& admin_dir);

struct Staged {
  std::string dir;   // <worktree_dir>/.recycling-<task>-<slot>
  std::string slot;  // its name in the pool
};

// Call with the worktrees lock held: moves the registered worktree at `path`
// (admin dir `admin_dir`, files a checkout of `head`) out of git's list into a
// staging dir and returns it; std::nullopt when it cannot be recycled
// (another file system, say), everything put back where it was so the caller
// deletes the worktree as usual. Never throws. Then delete the branch and
// call publish_to_pool.
std::optional<Staged> stage_for_pool(git_repository* repo, const std::string& worktree_dir, const std::string& path,
                                     const std::string& admin_dir, const git_oid& head, const std::string& task_id);
// Call with the worktrees lock held: the staged worktree joins the pool.
void publish_to_pool(git_repository* repo, const std::string& worktree_dir, const Staged& staged);

// Call with the worktrees lock held, the task's branch created and no
// worktree registered for it: takes a pooled worktree, registers it as the
// task's (path, admin_dir) with HEAD on refs/heads/<branch> and target as its
// drover-target, and returns true. Its files are still those of the pooled
// commit: call complete_checkout (outside the lock) before anything else.
// False when the pool is empty.
bool claim_from_pool(git_repository* repo, const std::string& worktree_dir, const std::string& path,
                     const std::string& admin_dir, const std::string& branch, const std::string& target);

// Call with the worktrees lock held, no worktree registered for the task and
// nothing at path: registers a new worktree at path (admin dir admin_dir)
// with HEAD on refs/heads/<branch> and base as its drover-base, no file
// checked out yet (complete_checkout does it). What git_worktree_add does,
// without what makes it cost ~10 ms under the lock: opening the repository
// of every other worktree (to see the branch is not checked out there; the
// caller asks branch_checked_out), opening the new one and a checkout that
// writes nothing. The gitdir file is written last, so a crash leaves an entry
// git and prepare_worktree treat as broken (removed) and a directory prepare
// sets aside (is_checkout_of, or empty). Throws (the caller adds context),
// leaving nothing behind.
void register_new_worktree(const std::string& admin_dir, const std::string& path, const std::string& branch,
                           const git_oid& base);

// Records in admin_dir the commit the task's branch is at when its worktree is
// registered (drover-base), and reads it back.
void record_checkout_base(const std::string& admin_dir, const git_oid& base);
std::optional<git_oid> recorded_checkout_base(const std::string& admin_dir);
// True iff the checkout of the worktree with admin dir admin_dir completed
// (the drover-complete marker).
bool checkout_completed(const std::string& admin_dir);

// Brings the files of a registered worktree whose checkout did not finish
// (no drover-complete marker) to its HEAD and writes the marker: a recycled
// one from the commit named in drover-recycled-from (only differing files
// are written; untracked files, and ignored ones unless keep_ignored, are
// removed), a new one in full. Returns false, marker not written, when a
// recycled checkout cannot be used (see above): the caller must throw the
// directory away and check out afresh. Throws when a full checkout fails.
bool complete_checkout(git_repository* wt_repo, const std::string& admin_dir, bool keep_ignored);

// Deletes every pooled worktree and pool ref (reuse turned off). Takes the
// worktrees lock; does nothing unless worktree_dir is Drover's and has a pool.
void drain_pool(git_repository* repo, const std::string& common_dir, const std::string& worktree_dir);

}  // namespace drover::vcs_git

#endif
