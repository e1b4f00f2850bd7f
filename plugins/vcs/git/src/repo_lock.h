// Exclusive sections shared by every drover thread and process working on one
// repository: a process-wide mutex for threads of this process plus an flock(2)
// on a file in the common git dir for other processes. Used to serialize merges
// into one target branch, and worktree creation/removal (libgit2 scans all
// worktrees when adding one and fails on a half-created neighbour).
#ifndef DROVER_VCS_GIT_REPO_LOCK_H
#define DROVER_VCS_GIT_REPO_LOCK_H

#include <mutex>
#include <string>

namespace drover::vcs_git {

class RepoLock {
 public:
  // Blocks until this thread holds the lock on path. Throws sdk::Error if the
  // lock file cannot be opened.
  explicit RepoLock(const std::string& path);
  ~RepoLock();
  RepoLock(const RepoLock&) = delete;
  RepoLock& operator=(const RepoLock&) = delete;

  // <common_dir>/drover-merge-<branch, percent-encoded>.lock
  static std::string merge_lock_path(const std::string& common_dir, const std::string& branch);
  // <common_dir>/drover-worktrees.lock
  static std::string worktrees_lock_path(const std::string& common_dir);

 private:
  std::unique_lock<std::mutex> thread_lock_;
  int fd_ = -1;
};

}  // namespace drover::vcs_git

#endif
