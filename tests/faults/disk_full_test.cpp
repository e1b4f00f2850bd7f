// A full disk under a real run: a small tmpfs in a private mount namespace
// (unshare -m, as root) holds the repository, the store, the logs and the
// worktrees. The scenarios themselves are tests/faults/disk_full_*.sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "command.h"

namespace drover::testing {
namespace {

// Runs one scenario script in a private mount namespace with a fresh mount
// point; extra arguments follow the mount point's place per script.
void run_scenario(const std::string& script, std::vector<std::string> args) {
  const bool ci = std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true";
  if (::geteuid() != 0 || run_command({"unshare", "-m", "--propagation", "private", "true"}).exit_code != 0) {
    ASSERT_FALSE(ci) << "CI runs as root and must run this test";
    GTEST_SKIP() << "SKIPPED LOUDLY: mounting a tmpfs needs root and unshare -m";
  }
  const std::string mnt = std::filesystem::temp_directory_path().string() + "/drover-diskfull-" +
                          std::to_string(std::random_device{}());
  std::filesystem::create_directories(mnt);
  const std::string dir = std::string(DROVER_SOURCE_DIR) + "/tests/faults";
  std::vector<std::string> argv{"unshare", "-m", "--propagation", "private", "bash", dir + "/" + script, DROVER_BINARY};
  for (auto& a : args) argv.push_back(a == "<dir>" ? dir : a == "<mnt>" ? mnt : a);
  auto r = run_command(argv);
  std::filesystem::remove_all(mnt);
  if (r.exit_code == 77) {
    ASSERT_FALSE(ci) << r.out;
    GTEST_SKIP() << "SKIPPED LOUDLY: " << r.out;
  }
  for (size_t at = r.out.find("figure:"); at != std::string::npos; at = r.out.find("figure:", at + 1))
    std::cerr << "[figures] " << r.out.substr(at + 8, r.out.find('\n', at) - at - 8) << "\n";
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASSED"), std::string::npos) << r.out;
}

// The disk fills with agent output, commits and merges.
TEST(DiskFull, ARunOnAFullDiskStopsCleanlyAndResumesOnceThereIsSpace) {
  run_scenario("disk_full_scenario.sh", {"<dir>", "<mnt>"});
}

// The disk has no room for a task's worktree checkout.
TEST(DiskFull, AWorktreeThatDoesNotFitFailsNoTaskAndIsMadeOnceThereIsSpace) {
  run_scenario("disk_full_worktree_scenario.sh", {"<mnt>"});
}

}  // namespace
}  // namespace drover::testing
