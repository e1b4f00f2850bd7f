// git_write_paths: what a linked worktree needs writable to commit on its branch.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "command.h"
#include "drover/sandbox/attempt_box.h"
#include "temp_dir.h"

namespace drover::testing {
namespace {

namespace fs = std::filesystem;

TEST(GitWritePaths, LinkedWorktreeGetsItsAdminDirObjectsAndBranchRefDirs) {
  TempDir dir("drover-git-paths-");
  const std::string repo = (dir.path() / "repo").string();
  fs::create_directories(repo);
  auto git = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", repo});
    auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  git({"init", "-q", "-b", "main"});
  git({"-c", "user.name=T", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "init"});
  const std::string wt = (dir.path() / "repo" / ".drover" / "worktrees" / "t1").string();
  git({"worktree", "add", "-q", "-b", "drover/t1", wt});
  std::vector<std::string> paths = git_write_paths(wt);
  const std::string dot_git = fs::canonical(repo + "/.git").string();
  auto has = [&](const std::string& p) {
    for (const auto& q : paths)
      if (fs::weakly_canonical(q) == fs::weakly_canonical(p)) return true;
    return false;
  };
  EXPECT_TRUE(has(dot_git + "/worktrees/t1"));
  EXPECT_TRUE(has(dot_git + "/objects"));
  EXPECT_TRUE(has(dot_git + "/refs/heads/drover"));
  EXPECT_TRUE(has(dot_git + "/logs/refs/heads/drover"));
  EXPECT_FALSE(has(dot_git + "/refs/heads")) << "the target branch's ref directory must stay closed";
  EXPECT_EQ(paths.size(), 4u);
}

TEST(GitWritePaths, NotAGitWorktreeGetsNothing) {
  TempDir dir("drover-git-paths-");
  EXPECT_TRUE(git_write_paths(dir.path().string()).empty());
}

}  // namespace
}  // namespace drover::testing
