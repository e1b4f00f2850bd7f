// checkout_state and target_moves (ABI 1.1): what an agent changed outside its
// worktree, in the user's checkout or on the target branch; and list_worktrees
// telling the truth about a worktree an agent damaged.
#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

class VcsOutsideChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    init_repo(repo_);
    vcs_ = std::make_unique<VcsClient>(repo_);
  }
  json state() const { return vcs_->ok(&V::checkout_state, {{"target_branch", "main"}}); }
  json moves(const std::string& task, const std::string& since, bool undo) const {
    return vcs_->ok(&V::target_moves, {{"task_id", task}, {"target_branch", "main"}, {"since", since}, {"undo", undo}});
  }
  fs::path wt(const std::string& task) const { return worktree_of(repo_, task); }

  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsOutsideChecks, TheVtableHasTheAbi11Entries) {
  EXPECT_GE(VcsClient::vtable().struct_size, sizeof(drover_vcs_vtable_v1));
  EXPECT_NE(VcsClient::vtable().checkout_state, nullptr);
  EXPECT_NE(VcsClient::vtable().target_moves, nullptr);
}

TEST_F(VcsOutsideChecks, ACleanCheckoutHasNoEntriesAndNamesHeadAndTip) {
  vcs_->prepare("t1");  // the worktree dir is excluded, never an untracked entry
  write_file(wt("t1") / "work.txt", "agent work\n");
  json s = state();
  EXPECT_EQ(s["head_ref"], "refs/heads/main");
  EXPECT_EQ(s["head_commit"], git(repo_, {"rev-parse", "HEAD"}));
  EXPECT_EQ(s["target_tip"], git(repo_, {"rev-parse", "main"}));
  EXPECT_TRUE(s["entries"].empty()) << s.dump();
}

TEST_F(VcsOutsideChecks, EveryKindOfWriteChangesTheState) {
  write_file(repo_ / "notes.txt", "the user's own untracked file\n");
  const json before = state();
  ASSERT_EQ(before["entries"].size(), 1u);

  write_file(repo_ / "README.md", "appended by an agent\n");           // a tracked file
  write_file(repo_ / "notes.txt", "the user's own untracked file!\n");  // an untracked one, rewritten
  write_file(repo_ / "new" / "x.txt", "x\n");                         // a new one in a new directory
  git(repo_, {"add", "src/file0.txt"});
  write_file(repo_ / "src" / "file1.txt", "changed\n");
  git(repo_, {"add", "src/file1.txt"});                                // a staged change
  const json after = state();
  for (const char* p : {"README.md", "notes.txt", "new/x.txt", "src/file1.txt"}) {
    ASSERT_TRUE(after["entries"].contains(p)) << p << " in " << after.dump();
    if (before["entries"].contains(p)) EXPECT_NE(before["entries"][p], after["entries"][p]) << p;
  }
  EXPECT_FALSE(after["entries"].contains("src/file0.txt")) << "staging an unchanged file changes nothing";
}

TEST_F(VcsOutsideChecks, ADroverMergeBringingTheCheckoutAlongLeavesTheEntriesAsTheyWere) {
  write_file(repo_ / "src" / "file3.txt", "the user's edit\n");
  const json before = state();
  vcs_->prepare("t1");
  write_file(wt("t1") / "feature.txt", "feature\n");
  vcs_->commit("t1", "feature");
  ASSERT_EQ(vcs_->merge("t1")["result"], "merged");
  const json after = state();
  EXPECT_EQ(after["entries"], before["entries"]);
  EXPECT_NE(after["target_tip"], before["target_tip"]);
  EXPECT_EQ(after["head_ref"], before["head_ref"]);
}

TEST_F(VcsOutsideChecks, AnAgentsCommitOnTheTargetIsFoundAndPutBackWithItsCommitsKept) {
  vcs_->prepare("t1");
  const std::string since = git(repo_, {"rev-parse", "main"});
  // What an agent did in the issue: commit onto main from its own worktree.
  git(wt("t1"), {"checkout", "--ignore-other-worktrees", "main"});
  write_file(wt("t1") / "rogue.txt", "rogue\n");
  git(wt("t1"), {"add", "rogue.txt"});
  git(wt("t1"), {"commit", "-m", "rogue change"});
  const std::string rogue = git(wt("t1"), {"rev-parse", "HEAD"});
  git(wt("t1"), {"checkout", "drover/t1"});

  json m = moves("t1", since, false);
  ASSERT_EQ(m["commits"].size(), 1u) << m.dump();
  EXPECT_EQ(m["commits"][0]["commit"], rogue);
  EXPECT_EQ(m["commits"][0]["summary"], "rogue change");
  EXPECT_EQ(m["commits"][0]["by_task"], true);
  EXPECT_EQ(m["commits"][0]["drover_merge"], false);
  EXPECT_EQ(m["undone"], false);

  json u = moves("t1", since, true);
  EXPECT_EQ(u["undone"], true);
  EXPECT_EQ(git(repo_, {"rev-parse", "main"}), since) << "main is back where it was";
  const std::string kept = u["kept_at"];
  EXPECT_EQ(git(repo_, {"rev-parse", kept}), rogue) << "and the agent's commit is kept";
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "") << "the user's checkout agrees with main again";
  EXPECT_EQ(git(repo_, {"branch", "--list", "main", "drover/*"}).find("rogue"), std::string::npos);
}

TEST_F(VcsOutsideChecks, CommitsOfOthersAndDroverMergesAreNotTheAgentsAndAreNeverUndone) {
  vcs_->prepare("t1");
  vcs_->prepare("t2");
  const std::string since = git(repo_, {"rev-parse", "main"});
  write_file(wt("t2") / "two.txt", "2\n");
  vcs_->commit("t2", "two");
  ASSERT_EQ(vcs_->merge("t2")["result"], "merged");
  write_file(repo_ / "user.txt", "u\n");  // the user commits on main in their checkout
  git(repo_, {"add", "user.txt"});
  git(repo_, {"commit", "-m", "user commit"});
  const std::string tip = git(repo_, {"rev-parse", "main"});

  json m = moves("t1", since, true);
  ASSERT_EQ(m["commits"].size(), 2u) << m.dump();
  EXPECT_EQ(m["commits"][0]["summary"], "user commit");
  EXPECT_EQ(m["commits"][0]["by_task"], false);
  EXPECT_EQ(m["commits"][1]["drover_merge"], true);
  EXPECT_EQ(m["commits"][1]["by_task"], false);
  EXPECT_EQ(m["undone"], false);
  EXPECT_EQ(git(repo_, {"rev-parse", "main"}), tip) << "nothing is put back";
}

TEST_F(VcsOutsideChecks, AFastForwardInTheWorktreeToSomeoneElsesCommitIsNotTheAgents) {
  vcs_->prepare("t1");
  const std::string since = git(repo_, {"rev-parse", "main"});
  write_file(repo_ / "user.txt", "u\n");
  git(repo_, {"add", "user.txt"});
  git(repo_, {"commit", "-m", "user commit"});
  git(wt("t1"), {"merge", "--ff-only", "main"});  // the agent brings main in
  json m = moves("t1", since, true);
  ASSERT_EQ(m["commits"].size(), 1u);
  EXPECT_EQ(m["commits"][0]["by_task"], false);
  EXPECT_EQ(m["undone"], false);
}

TEST_F(VcsOutsideChecks, ARewoundTargetIsReportedNotUndone) {
  write_file(repo_ / "user.txt", "u\n");
  git(repo_, {"add", "user.txt"});
  git(repo_, {"commit", "-m", "user commit"});
  const std::string since = git(repo_, {"rev-parse", "main"});
  vcs_->prepare("t1");
  git(repo_, {"reset", "--hard", "HEAD~1"});
  json m = moves("t1", since, true);
  EXPECT_EQ(m["rewound"], true);
  EXPECT_TRUE(m["commits"].empty());
  EXPECT_EQ(m["undone"], false);
}

TEST_F(VcsOutsideChecks, AWorktreeWhoseGitLinkWasDeletedIsListedAsHoldingWorkAtItsRealHead) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "a.txt", "a\n");
  vcs_->commit("t1", "work");
  ASSERT_EQ(vcs_->merge("t1")["result"], "merged");
  // The agent checks out another commit, then deletes the .git link, leaving files.
  write_file(wt("t1") / "b.txt", "b\n");
  git(wt("t1"), {"add", "b.txt"});
  git(wt("t1"), {"commit", "-m", "more"});
  const std::string real_head = git(wt("t1"), {"rev-parse", "HEAD"});
  git(wt("t1"), {"checkout", "--detach", "HEAD"});
  git(wt("t1"), {"branch", "-f", "drover/t1", "HEAD~1"});
  fs::remove(wt("t1") / ".git");
  write_file(wt("t1") / "unsaved.txt", "not committed\n");

  json list = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["head"], real_head) << "the worktree's HEAD, not the branch tip";
  EXPECT_EQ(list[0]["broken"], true);
  EXPECT_EQ(list[0]["dirty"], true);
  EXPECT_EQ(list[0]["merged"], false);
  // And nothing removes it without force.
  testing::CallResult r = vcs_->call(&V::remove_worktree, {{"task_id", "t1"}});
  EXPECT_NE(r.status, DROVER_OK);
  EXPECT_TRUE(fs::exists(wt("t1") / "unsaved.txt"));
}

TEST_F(VcsOutsideChecks, AWorktreeOnAnUnmergedCommitIsNotMergedThoughItsBranchIs) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "a.txt", "a\n");
  vcs_->commit("t1", "work");
  ASSERT_EQ(vcs_->merge("t1")["result"], "merged");
  git(wt("t1"), {"checkout", "--detach", "HEAD"});
  write_file(wt("t1") / "c.txt", "c\n");
  git(wt("t1"), {"add", "c.txt"});
  git(wt("t1"), {"commit", "-m", "detached work"});
  json list = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["head"], git(wt("t1"), {"rev-parse", "HEAD"}));
  EXPECT_EQ(list[0]["merged"], false);
  EXPECT_EQ(list[0]["broken"], false);
}

}  // namespace
}  // namespace drover::vcs_tests
