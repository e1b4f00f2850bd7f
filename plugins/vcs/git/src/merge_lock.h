// Merges into one target branch are serialized twice over: a process-wide
// mutex for threads of this process and an flock(2) on a file in the common git
// dir for other drover processes sharing the repository.
#ifndef DROVER_VCS_GIT_MERGE_LOCK_H
#define DROVER_VCS_GIT_MERGE_LOCK_H

#include <mutex>
#include <string>

namespace drover::vcs_git {

class MergeLock {
 public:
  // Blocks until this thread holds the merge lock for branch in the repository
  // whose common git dir is common_dir. Throws sdk::Error if the lock file
  // cannot be opened.
  MergeLock(const std::string& common_dir, const std::string& branch);
  ~MergeLock();
  MergeLock(const MergeLock&) = delete;
  MergeLock& operator=(const MergeLock&) = delete;

  // The lock file's path: <common_dir>/drover-merge-<branch, percent-encoded>.lock
  static std::string lock_path(const std::string& common_dir, const std::string& branch);

 private:
  std::unique_lock<std::mutex> thread_lock_;
  int fd_ = -1;
};

}  // namespace drover::vcs_git

#endif
