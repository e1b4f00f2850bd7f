// FakeDiskSpace: the DiskSpace port as a switch a test flips.
#ifndef DROVER_TESTS_ENGINE_FAKES_FAKE_DISK_SPACE_H
#define DROVER_TESTS_ENGINE_FAKES_FAKE_DISK_SPACE_H

#include <atomic>

#include "drover/ports/disk_space.h"

namespace drover::testing {

class FakeDiskSpace final : public DiskSpace {
 public:
  std::optional<std::string> full() override {
    if (!is_full.load()) return std::nullopt;
    return "/srv/proj (repository, store and logs, worktrees): 0.2 MiB free, below disk.min_free (64.0 MiB)";
  }
  std::atomic<bool> is_full{false};
};

}  // namespace drover::testing

#endif
