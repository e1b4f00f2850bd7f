// Files only their owner can read: 0700 directories and 0600 files, whatever
// the process umask. Drover keeps agent output, prompts and its store under
// .drover/, and a plugin that creates files there should create them the same
// way. Header-only and POSIX; errors come back as errno values, never thrown.
#ifndef DROVER_PLUGIN_PRIVATE_FILES_HPP
#define DROVER_PLUGIN_PRIVATE_FILES_HPP

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>

namespace drover::sdk {

// Creates dir and its missing parents, each new one with mode 0700 (existing
// directories are left as they are). Returns 0 or an errno value.
inline int create_private_directories(const std::string& dir) {
  if (dir.empty()) return 0;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  std::string::size_type slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (int err = create_private_directories(dir.substr(0, slash)); err != 0) return err;
  }
  if (::mkdir(dir.c_str(), 0700) != 0) return errno == EEXIST ? 0 : errno;
  return ::chmod(dir.c_str(), 0700) == 0 ? 0 : errno;  // the umask may have taken bits away
}

// Opens path with flags (O_WRONLY, O_RDWR, O_APPEND, O_TRUNC ...), creating it
// with mode 0600 if it does not exist; an existing file keeps its mode.
// Returns the descriptor (close-on-exec) or -1 with errno set.
inline int open_private_file(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);  // the umask may have taken bits away
    return fd;
  }
  if (errno != EEXIST) return -1;
  return ::open(path.c_str(), (flags & ~O_CREAT) | O_CLOEXEC);
}

// Replaces path's content with text (a new file is 0600). Returns 0 or errno.
inline int write_private_file(const std::string& path, std::string_view text) {
  int fd = open_private_file(path, O_WRONLY | O_TRUNC);
  if (fd < 0) return errno;
  int err = 0;
  for (const char* p = text.data(); !text.empty();) {
    ssize_t n = ::write(fd, p, text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    p += n;
    text.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

}  // namespace drover::sdk

#endif
