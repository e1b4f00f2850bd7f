// DiskSpace: whether a filesystem Drover writes to (the repository and the
// user's checkout, the worktrees, the store, the logs) is full. The engine
// asks before it starts work and when a step fails; the system one reads
// statvfs, the engine tests script it.
#ifndef DROVER_PORTS_DISK_SPACE_H
#define DROVER_PORTS_DISK_SPACE_H

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace drover {

class DiskSpace {
 public:
  virtual ~DiskSpace() = default;
  // What is full, e.g. "/srv/proj (repository, store, logs): 12.0 MiB free,
  // below disk.min_free (64.0 MiB)"; nullopt when every filesystem has room.
  virtual std::optional<std::string> full() = 0;
};

// Free space by statvfs: each filesystem holding one of `paths` (path, what
// it holds) must keep at least min_free bytes available to unprivileged users.
class FilesystemSpace final : public DiskSpace {
 public:
  FilesystemSpace(std::vector<std::pair<std::string, std::string>> paths, uint64_t min_free)
      : paths_(std::move(paths)), min_free_(min_free) {}
  std::optional<std::string> full() override;

 private:
  std::vector<std::pair<std::string, std::string>> paths_;
  uint64_t min_free_;
};

}  // namespace drover

#endif
