#include "drover/ports/disk_space.h"

#include <sys/statvfs.h>

#include <cstdio>
#include <filesystem>
#include <map>

namespace drover {
namespace {

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// The nearest existing directory at or above path (a worktree dir may not exist yet).
std::string existing(std::string path) {
  std::error_code ec;
  std::filesystem::path p(path);
  while (!p.empty() && !std::filesystem::exists(p, ec) && p.has_parent_path() && p.parent_path() != p)
    p = p.parent_path();
  return p.string();
}

}  // namespace

std::optional<std::string> FilesystemSpace::full() {
  struct Fs {
    std::string path, holds;
    uint64_t available = 0;
  };
  std::map<unsigned long, Fs> by_device;  // one line per filesystem
  for (const auto& [path, holds] : paths_) {
    struct statvfs st {};
    if (::statvfs(existing(path).c_str(), &st) != 0) continue;
    Fs& fs = by_device[st.f_fsid];
    if (fs.path.empty()) fs.path = path;
    fs.holds += (fs.holds.empty() ? "" : ", ") + holds;
    fs.available = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }
  std::string out;
  for (const auto& [dev, fs] : by_device) {
    if (fs.available >= min_free_) continue;
    out += (out.empty() ? "" : "; ") + fs.path + " (" + fs.holds + "): " + mib(fs.available) +
           " free, below disk.min_free (" + mib(min_free_) + ")";
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace drover
