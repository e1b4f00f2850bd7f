// Lock files left behind by a process that died (kill -9) in the middle of a
// ref or index update. libgit2, like git, refuses to touch a ref or an index
// whose ".lock" file exists, so without this a crash at the wrong moment would
// make every later commit or merge fail until someone deleted the file by hand.
#ifndef DROVER_VCS_GIT_STALE_LOCKS_H
#define DROVER_VCS_GIT_STALE_LOCKS_H

#include <chrono>
#include <string>

namespace drover::vcs_git {

// Locks that only the holder of a task's lease ever takes: the task branch's
// ref lock and every lock file in the task worktree's admin directory. Drover
// gives a task to one executor at a time, so when that executor is about to
// write, any such file is a leftover of a dead one: it is removed.
void clear_task_locks(const std::string& common_dir, const std::string& task_branch, const std::string& admin_dir);

// Locks shared with the user's own git commands that git holds only for
// milliseconds: the target branch's ref and packed-refs. Call while holding Drover's
// merge lock for the target, so no other Drover process is writing. A live git
// command holds such a file for milliseconds; one older than `stale_after` is
// a leftover and is removed. A younger one is waited for, up to stale_after.
void clear_shared_locks(const std::string& common_dir, const std::string& target_branch,
                        std::chrono::milliseconds stale_after = std::chrono::milliseconds(2000));

}  // namespace drover::vcs_git

#endif
