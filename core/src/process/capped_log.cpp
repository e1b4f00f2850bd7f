#include "capped_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "drover/plugin/private_files.hpp"

namespace drover {

namespace {
// The cut line has a fixed size so later cuts can rewrite its count in place.
constexpr std::size_t kCutLineBytes = 160;
constexpr std::size_t kCopyChunk = 64 * 1024;

std::string cut_line(uint64_t cut, uint64_t head, uint64_t tail) {
  char text[kCutLineBytes + 1];
  int n = std::snprintf(text, sizeof text,
                        "\n[drover: %llu bytes of output were cut here; logs.max_size keeps the first %llu and the "
                        "last %llu bytes]",
                        static_cast<unsigned long long>(cut), static_cast<unsigned long long>(head),
                        static_cast<unsigned long long>(tail));
  std::string line(text, static_cast<std::size_t>(std::min<int>(n, kCutLineBytes - 1)));
  line.resize(kCutLineBytes - 1, ' ');
  return line + "\n";
}
}  // namespace

Result<std::unique_ptr<CappedLog>> CappedLog::open(const std::string& path, uint64_t max_bytes) {
  std::string::size_type slash = path.find_last_of('/');
  int dir_err = slash == std::string::npos || slash == 0
                    ? 0
                    : drover::sdk::create_private_directories(path.substr(0, slash));
  int fd = drover::sdk::open_private_file(path, O_RDWR);  // cut() reads the tail back
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    return Status::Unavailable("cannot open log file '" + path + "': " + std::strerror(err) +
                               (dir_err != 0 ? std::string(" (creating its directory failed: ") + std::strerror(dir_err) + ")"
                                             : std::string()));
  }
  return std::unique_ptr<CappedLog>(new CappedLog(fd, static_cast<uint64_t>(st.st_size), max_bytes));
}

CappedLog::CappedLog(int fd, uint64_t size, uint64_t max_bytes) : fd_(fd), end_(size), max_(max_bytes) {
  if (max_ == 0) return;
  max_ = std::max(max_, kMinCap);
  head_ = (max_ - kCutLineBytes) / 2;
  tail_ = max_ - kCutLineBytes - head_;
}

CappedLog::~CappedLog() { close(); }

bool CappedLog::append(const char* p, std::size_t n) {
  if (!write_at(end_, p, n)) return false;
  end_ += n;
  if (max_ != 0 && end_ > max_ + tail_) return cut();
  return true;
}

bool CappedLog::close() {
  if (fd_ < 0) return true;
  bool ok = max_ == 0 || end_ <= max_ || cut();
  if (::close(fd_) != 0) ok = false;
  fd_ = -1;
  return ok;
}

bool CappedLog::write_at(uint64_t offset, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

// Keeps [0, head_) and the last tail_ bytes, with the cut line between them.
bool CappedLog::cut() {
  const uint64_t to = head_ + kCutLineBytes;
  const uint64_t from = end_ - tail_;  // > to, since end_ > max_ = to + tail_
  cut_bytes_ += from - (cut_ ? to : head_);
  std::vector<char> buffer(kCopyChunk);
  for (uint64_t done = 0; done < tail_;) {
    std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(kCopyChunk, tail_ - done));
    ssize_t r = ::pread(fd_, buffer.data(), n, static_cast<off_t>(from + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    if (!write_at(to + done, buffer.data(), static_cast<std::size_t>(r))) return false;
    done += static_cast<uint64_t>(r);
  }
  const std::string line = cut_line(cut_bytes_, head_, tail_);
  if (!write_at(head_, line.data(), line.size())) return false;
  if (::ftruncate(fd_, static_cast<off_t>(to + tail_)) != 0) return false;
  end_ = to + tail_;
  cut_ = true;
  return true;
}

}  // namespace drover
