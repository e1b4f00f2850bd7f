#include "repo_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "drover/plugin/sdk.hpp"

namespace drover::vcs_git {

namespace {

std::mutex& mutex_for(const std::string& key) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::mutex> mutexes;  // node-based: references stay valid
  std::lock_guard<std::mutex> guard(registry_mutex);
  return mutexes[key];
}

}  // namespace

std::string RepoLock::merge_lock_path(const std::string& common_dir, const std::string& branch) {
  std::string encoded;
  for (unsigned char c : branch) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '_' || c == '-';
    if (plain) {
      encoded += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      encoded += buf;
    }
  }
  std::string dir = common_dir;
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + "drover-merge-" + encoded + ".lock";
}

std::string RepoLock::worktrees_lock_path(const std::string& common_dir) {
  std::string dir = common_dir;
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + "drover-worktrees.lock";
}

RepoLock::RepoLock(const std::string& path) {
  thread_lock_ = std::unique_lock<std::mutex>(mutex_for(path));
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw sdk::Error(DROVER_ERROR, "vcs git: cannot open lock file " + path + ": " + std::strerror(errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw sdk::Error(DROVER_ERROR, "vcs git: cannot lock " + path + ": " + std::strerror(err));
  }
}

RepoLock::~RepoLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace drover::vcs_git
