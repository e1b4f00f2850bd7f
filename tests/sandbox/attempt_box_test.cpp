// prepare_boxed_attempt: what one attempt's box is told.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "drover/sandbox/attempt_box.h"
#include "temp_dir.h"

namespace drover::testing {
namespace {

namespace fs = std::filesystem;

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

BoxSettings enforcing(const std::string& project_root) {
  BoxSettings s;
  s.box_path = "/usr/lib/drover/drover-agent-box";
  s.landlock_abi = 3;
  s.project_root = project_root;
  return s;
}

TEST(AttemptBox, ProjectBeneathTempGetsAPrivateTempDirNotAllOfTemp) {
  TempDir dir("drover-attempt-box-");  // beneath the temp dir
  const std::string worktree = (dir.path() / "repo" / ".drover" / "worktrees" / "t1").string();
  fs::create_directories(worktree);
  auto a = prepare_boxed_attempt(enforcing((dir.path() / "repo").string()), "t1.1", worktree,
                                 (dir.path() / "1.box.json").string(), {});
  ASSERT_TRUE(a.ok()) << a.status().message();
  const BoxedAttempt& b = a.value();
  EXPECT_TRUE(has(b.write_paths, worktree));
  EXPECT_FALSE(has(b.write_paths, fs::temp_directory_path().string()));
  EXPECT_FALSE(has(b.write_paths, "/tmp"));
  ASSERT_FALSE(b.private_tmp.empty());
  EXPECT_TRUE(fs::is_directory(b.private_tmp));
  EXPECT_EQ(b.env.at("TMPDIR"), b.private_tmp);
  EXPECT_TRUE(has(b.write_paths, b.private_tmp));
  EXPECT_TRUE(has(b.write_paths, "/dev/null"));
  EXPECT_EQ(b.env.at(kAttemptMarkerVariable), b.marker);
  EXPECT_EQ(b.marker.rfind("t1.1.", 0), 0u) << b.marker;
  EXPECT_EQ(b.wrapper.front(), "/usr/lib/drover/drover-agent-box");
  EXPECT_EQ(b.wrapper.back(), "--");
  finish_boxed_attempt(b, enforcing((dir.path() / "repo").string()));
  EXPECT_FALSE(fs::exists(b.private_tmp)) << "the private temp dir goes with its attempt";
}

TEST(AttemptBox, PluginAndConfiguredPathsAreAllowedAndMissingOnesSaid) {
  TempDir dir("drover-attempt-box-");
  const std::string worktree = (dir.path() / "wt").string();
  fs::create_directories(worktree);
  BoxSettings s = enforcing("/nonexistent-project");
  s.write_paths = {(dir.path() / "configured").string()};
  PluginWritePaths plugin;
  plugin.dirs = {(dir.path() / "home" / ".claude").string()};
  plugin.files = {(dir.path() / "home" / ".claude.json").string()};
  auto a = prepare_boxed_attempt(s, "t2.1", worktree, (dir.path() / "r.json").string(), plugin);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(fs::is_directory(dir.path() / "home" / ".claude")) << "a plugin's state directory is created";
  EXPECT_FALSE(fs::exists(dir.path() / "home" / ".claude.json")) << "a state file is never created";
  EXPECT_TRUE(has(a.value().write_paths, plugin.dirs[0]));
  EXPECT_TRUE(has(a.value().write_paths, s.write_paths[0]));
  EXPECT_FALSE(a.value().private_tmp.empty()) << "the worktree lies beneath temp: temp is private too";
  finish_boxed_attempt(a.value(), s);
  bool said = false;
  for (const auto& n : a.value().notes) said |= n.find("configured does not exist") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(AttemptBox, NotEnforcingMeansNoLandlockArgumentsButStillAMarker) {
  TempDir dir("drover-attempt-box-");
  BoxSettings s = enforcing(dir.path().string());
  s.landlock_abi = 0;
  s.max_processes = 7;
  auto a = prepare_boxed_attempt(s, "t3.1", dir.path().string(), "", {});
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a.value().write_paths.empty());
  EXPECT_FALSE(has(a.value().wrapper, "--landlock"));
  EXPECT_TRUE(has(a.value().wrapper, "--max-processes"));
  EXPECT_FALSE(a.value().marker.empty());
}

}  // namespace
}  // namespace drover::testing
