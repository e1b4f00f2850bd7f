// reset_worktree (ABI 1.1): restarting an interrupted attempt puts the
// worktree back at the attempt's starting commit and keeps everything the
// attempt left — uncommitted files, commits, a half-done merge — under a
// private ref; ignored files (build caches) stay.
#include <fstream>

#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

class VcsReset : public ::testing::Test {
 protected:
  void SetUp() override {
    init_repo(repo_);
    vcs_ = std::make_unique<VcsClient>(repo_);
  }
  json reset(const std::string& task, const std::string& to, const std::string& keep) const {
    return vcs_->ok(&V::reset_worktree, {{"task_id", task}, {"to", to}, {"keep_ref", keep}});
  }
  fs::path wt(const std::string& task) const { return worktree_of(repo_, task); }

  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsReset, PrepareSaysWhereTheWorktreesHeadIs) {
  json p = vcs_->prepare("t1");
  EXPECT_EQ(p["head"], git(repo_, {"rev-parse", "main"}));
  write_file(wt("t1") / "a.txt", "a\n");
  const std::string c = vcs_->commit("t1", "a")["commit"];
  EXPECT_EQ(vcs_->prepare("t1")["head"], c) << "a reused worktree: its HEAD, not the merge base";
}

TEST_F(VcsReset, AnUntouchedWorktreeIsNotReset) {
  const std::string start = vcs_->prepare("t1")["head"];
  json r = reset("t1", start, "refs/drover/interrupted/t1/1-1");
  EXPECT_EQ(r["reset"], false);
  EXPECT_EQ(git_run(repo_, {"rev-parse", "--verify", "-q", "refs/drover/interrupted/t1/1-1"}).exit_code, 1);
}

TEST_F(VcsReset, EverythingTheAttemptLeftIsKeptAndTheWorktreeIsBackAtItsStart) {
  const std::string start = vcs_->prepare("t1")["head"];
  {
    std::ofstream exclude(repo_ / ".git" / "info" / "exclude", std::ios::app);
    exclude << "cache/\n";
  }
  // The interrupted agent: a commit of its own, an edit, a new file, a deletion, an ignored cache.
  write_file(wt("t1") / "committed.txt", "c\n");
  git(wt("t1"), {"add", "committed.txt"});
  git(wt("t1"), {"commit", "-m", "agent's own commit"});
  write_file(wt("t1") / "README.md", "half-edited\n");
  write_file(wt("t1") / "new" / "half.txt", "half\n");
  fs::remove(wt("t1") / "src" / "file0.txt");
  write_file(wt("t1") / "cache" / "blob", "cached\n");

  json r = reset("t1", start, "refs/drover/interrupted/t1/1-1");
  EXPECT_EQ(r["reset"], true);
  EXPECT_EQ(r["kept_at"], "refs/drover/interrupted/t1/1-1");
  EXPECT_EQ(git(wt("t1"), {"rev-parse", "HEAD"}), start);
  EXPECT_EQ(git(wt("t1"), {"symbolic-ref", "HEAD"}), "refs/heads/drover/t1");
  EXPECT_EQ(git(repo_, {"rev-parse", "drover/t1"}), start);
  EXPECT_EQ(git(wt("t1"), {"status", "--porcelain", "--untracked-files=all"}), "") << "nothing of the attempt remains";
  EXPECT_TRUE(fs::exists(wt("t1") / "src" / "file0.txt"));
  EXPECT_FALSE(fs::exists(wt("t1") / "new" / "half.txt"));
  EXPECT_EQ(read_file(wt("t1") / "cache" / "blob"), "cached\n") << "ignored files (build caches) stay";

  const std::string kept = "refs/drover/interrupted/t1/1-1";
  EXPECT_EQ(git(repo_, {"show", kept + ":README.md"}), "half-edited");
  EXPECT_EQ(git(repo_, {"show", kept + ":new/half.txt"}), "half");
  EXPECT_EQ(git(repo_, {"show", kept + ":committed.txt"}), "c");
  EXPECT_NE(git_run(repo_, {"cat-file", "-e", kept + ":src/file0.txt"}).exit_code, 0) << "the deletion is kept too";
  EXPECT_EQ(git(repo_, {"log", "-1", "--format=%s", kept + "~1"}), "agent's own commit");
  std::vector<std::string> paths = r["paths"];
  EXPECT_NE(std::find(paths.begin(), paths.end(), "new/half.txt"), paths.end());
}

TEST_F(VcsReset, AWorktreeTheAgentSwitchedToAnotherBranchComesBackToItsOwn) {
  const std::string start = vcs_->prepare("t1")["head"];
  git(wt("t1"), {"checkout", "-b", "agent-side"});
  write_file(wt("t1") / "side.txt", "s\n");
  json r = reset("t1", start, "refs/drover/interrupted/t1/1-2");
  EXPECT_EQ(r["reset"], true);
  EXPECT_EQ(git(wt("t1"), {"symbolic-ref", "HEAD"}), "refs/heads/drover/t1");
  EXPECT_FALSE(fs::exists(wt("t1") / "side.txt"));
}

TEST_F(VcsReset, AKeepRefOutsideDroversNamespaceIsRefused) {
  const std::string start = vcs_->prepare("t1")["head"];
  testing::CallResult r = vcs_->call(&V::reset_worktree, {{"task_id", "t1"}, {"to", start}, {"keep_ref", "refs/heads/main"}});
  EXPECT_EQ(r.status, DROVER_INVALID_ARGUMENT);
  EXPECT_NE(r.error.find("refs/drover/"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace drover::vcs_tests
