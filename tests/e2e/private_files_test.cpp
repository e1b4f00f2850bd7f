// End to end: what Drover keeps under .drover/ (the store, agent logs and
// prompts, pid files) is for its owner only: directories 0700 and files 0600,
// under a permissive umask too. Worktrees are the VCS plugin's and hold the
// user's own files; they are not checked here.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "e2e_project.h"

namespace drover::testing {
namespace {

namespace fs = std::filesystem;

TEST(PrivateFiles, DroverDirectoryAndItsFilesAreOwnerOnly) {
  const mode_t old = ::umask(022);  // the usual umask, which gives 0644 files and 0755 directories
  E2EProject p;
  const std::string id = p.add({"private task"});
  auto run = p.drover({"run"});
  ::umask(old);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  const fs::path drover_dir = fs::path(p.repo()) / ".drover";
  EXPECT_EQ(fs::status(drover_dir).permissions(), fs::perms::owner_all);
  std::vector<std::string> checked;
  for (auto it = fs::recursive_directory_iterator(drover_dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == "worktrees") {
      it.disable_recursion_pending();
      continue;
    }
    const fs::perms perms = fs::symlink_status(it->path()).permissions();
    if (it->is_directory()) {
      EXPECT_EQ(perms, fs::perms::owner_all) << it->path();
    } else {
      EXPECT_EQ(perms, fs::perms::owner_read | fs::perms::owner_write) << it->path();
    }
    checked.push_back(fs::relative(it->path(), drover_dir).string());
  }
  auto has = [&](const std::string& name) { return std::find(checked.begin(), checked.end(), name) != checked.end(); };
  EXPECT_TRUE(has("drover.db")) << ::testing::PrintToString(checked);
  EXPECT_TRUE(has("logs/" + id + "/1.log")) << ::testing::PrintToString(checked);
  EXPECT_TRUE(has("logs/" + id + "/1.prompt.md")) << ::testing::PrintToString(checked);
}

}  // namespace
}  // namespace drover::testing
