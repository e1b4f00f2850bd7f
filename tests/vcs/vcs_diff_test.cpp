// diff_patch (VCS ABI 1.3): readable diffs of a landed merge and of a task's
// worktree, committed, uncommitted and untracked changes alike.
#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

class VcsDiff : public ::testing::Test {
 protected:
  void SetUp() override {
    init_repo(repo_);
    vcs_ = std::make_unique<VcsClient>(repo_);
  }
  fs::path wt(const std::string& task) const { return worktree_of(repo_, task); }
  json worktree_diff(const std::string& task) const {
    return vcs_->ok(&V::diff_patch, {{"task_id", task}, {"target_branch", "main"}});
  }

  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsDiff, AWorktreeShowsCommittedUncommittedAndUntrackedChangesAgainstItsMergeBase) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "committed.txt", "one\n");
  vcs_->commit("t1", "first");
  write_file(wt("t1") / "README.md", "# changed\n");
  write_file(wt("t1") / "new" / "untracked.txt", "fresh\n");
  // The target moving on is not the task's change.
  write_file(repo_ / "other.txt", "o\n");
  git(repo_, {"add", "other.txt"});
  git(repo_, {"commit", "-q", "-m", "other"});
  json d = worktree_diff("t1");
  const std::string patch = d["patch"];
  EXPECT_TRUE(has(patch, "+++ b/committed.txt\n")) << patch;
  EXPECT_TRUE(has(patch, "+one\n")) << patch;
  EXPECT_TRUE(has(patch, "+# changed\n")) << patch;
  EXPECT_TRUE(has(patch, "+++ b/new/untracked.txt\n")) << patch;
  EXPECT_FALSE(has(patch, "other.txt")) << patch;
  EXPECT_EQ(d["files"], 3);
  EXPECT_EQ(d["truncated"], false);
}

TEST_F(VcsDiff, ALandedMergeShowsWhatItsTaskBroughtIn) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "feature.txt", "f\n");
  vcs_->commit("t1", "feature");
  json m = vcs_->merge("t1");
  ASSERT_EQ(m["result"], "merged");
  json d = vcs_->ok(&V::diff_patch, {{"commit", m["commit"]}});
  const std::string patch = d["patch"];
  EXPECT_TRUE(has(patch, "+++ b/feature.txt\n")) << patch;
  EXPECT_EQ(d["files"], 1);
  EXPECT_EQ(d["insertions"], 1);
}

TEST_F(VcsDiff, ABranchWithoutItsWorktreeIsReadFromTheBranch) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "kept.txt", "k\n");
  vcs_->commit("t1", "kept");
  fs::remove_all(wt("t1"));
  EXPECT_TRUE(has(worktree_diff("t1")["patch"], "+++ b/kept.txt\n"));
}

TEST_F(VcsDiff, ALongPatchIsCutAtMaxBytes) {
  vcs_->prepare("t1");
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "line " + std::to_string(i) + "\n";
  write_file(wt("t1") / "big.txt", big);
  json d = vcs_->ok(&V::diff_patch, {{"task_id", "t1"}, {"target_branch", "main"}, {"max_bytes", 1000}});
  EXPECT_EQ(d["truncated"], true);
  EXPECT_LE(d["patch"].get<std::string>().size(), 1000u);
}

TEST_F(VcsDiff, BadRequestsAreRefusedClearly) {
  EXPECT_EQ(vcs_->call(&V::diff_patch, {{"commit", "not-a-sha"}}).status, DROVER_INVALID_ARGUMENT);
  EXPECT_EQ(vcs_->call(&V::diff_patch, {{"commit", std::string(40, 'a')}}).status, DROVER_NOT_FOUND);
  EXPECT_EQ(vcs_->call(&V::diff_patch, {{"task_id", "ghost"}, {"target_branch", "main"}}).status, DROVER_NOT_FOUND);
}

}  // namespace
}  // namespace drover::vcs_tests
