#include "run_presence.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace drover::cli {
namespace {

std::string lock_path(const std::string& drover_dir) { return drover_dir + "/runs.lock"; }

}  // namespace

RunPresence::RunPresence(const std::string& drover_dir) {
  fd_ = ::open(lock_path(drover_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  // Blocking: a status asking at this moment holds the lock only for a moment.
  if (fd_ >= 0) {
    while (::flock(fd_, LOCK_SH) != 0 && errno == EINTR) {
    }
  }
}

RunPresence::~RunPresence() {
  if (fd_ >= 0) ::close(fd_);
}

bool RunPresence::any_active(const std::string& drover_dir) {
  int fd = ::open(lock_path(drover_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no run ever announced itself here
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops the lock if we got it
  return held;
}

}  // namespace drover::cli
