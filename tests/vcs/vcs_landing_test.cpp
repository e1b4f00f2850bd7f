// The merge queue's VCS operations (ABI 1.2): landings built without moving
// anything and published with a compare-and-swap; the target's tip brought
// into a task's worktree with conflicts left for the agent; the scratch
// worktree merged results are verified in.
#include <fstream>

#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

class VcsLanding : public ::testing::Test {
 protected:
  void SetUp() override {
    init_repo(repo_);
    vcs_ = std::make_unique<VcsClient>(repo_);
  }
  // A task whose committed work writes these files.
  void task_with(const std::string& task, const std::vector<std::pair<std::string, std::string>>& files) {
    vcs_->prepare(task);
    for (const auto& [path, text] : files) write_file(wt(task) / path, text);
    vcs_->commit(task, "Task " + task + "\n\nDrover-Task: " + task + "\n");
  }
  json build(const std::vector<std::string>& tasks) const {
    json list = json::array();
    for (const auto& t : tasks) list.push_back({{"task_id", t}, {"message", "Merge task " + t + "\n"}});
    return vcs_->ok(&V::build_landing, {{"target_branch", "main"}, {"tasks", list}});
  }
  json publish(const std::string& expected, const std::string& commit) const {
    return vcs_->ok(&V::publish_landing, {{"target_branch", "main"}, {"expected_tip", expected}, {"commit", commit}});
  }
  json sync(const std::string& task) const {
    return vcs_->ok(&V::sync_worktree, {{"task_id", task}, {"target_branch", "main"}});
  }
  std::string tip(const std::string& ref = "main") const { return git(repo_, {"rev-parse", ref}); }
  fs::path wt(const std::string& task) const { return worktree_of(repo_, task); }

  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsLanding, ABuiltLandingMovesNothingAndPublishingLandsOneMergeCommitPerTask) {
  task_with("a", {{"a.txt", "a\n"}});
  task_with("b", {{"b.txt", "b\n"}});
  const std::string before = tip();
  json b = build({"a", "b"});
  EXPECT_EQ(b["tip"], before);
  ASSERT_TRUE(b["commit"].is_string());
  EXPECT_EQ(b["tasks"][0]["result"], "merged");
  EXPECT_EQ(b["tasks"][1]["result"], "merged");
  EXPECT_EQ(b["tasks"][1]["commit"], b["commit"]);
  EXPECT_EQ(tip(), before) << "building moves no ref";
  EXPECT_FALSE(fs::exists(repo_ / "a.txt")) << "and touches no checkout";

  json p = publish(before, b["commit"]);
  EXPECT_EQ(p["result"], "merged");
  EXPECT_EQ(tip(), b["commit"].get<std::string>());
  EXPECT_EQ(read_file(repo_ / "b.txt"), "b\n") << "the checked-out target is brought along";
  const std::string log = git(repo_, {"log", "--first-parent", "--format=%s", before + "..main"});
  EXPECT_EQ(log, "Merge task b\nMerge task a");
  EXPECT_EQ(publish(before, b["commit"])["result"], "merged") << "a replayed publish finds it done";
  EXPECT_EQ(build({"a"})["tasks"][0]["result"], "already_merged");
}

TEST_F(VcsLanding, AConflictingTaskIsLeftOutOfTheBuildAndTheOthersGoOn) {
  task_with("a", {{"README.md", "from a\n"}});
  task_with("b", {{"README.md", "from b\n"}});
  task_with("c", {{"c.txt", "c\n"}});
  json b = build({"a", "b", "c"});
  EXPECT_EQ(b["tasks"][0]["result"], "merged");
  EXPECT_EQ(b["tasks"][1]["result"], "conflict");
  EXPECT_EQ(b["tasks"][1]["paths"], json::array({"README.md"}));
  EXPECT_EQ(b["tasks"][2]["result"], "merged");
  EXPECT_EQ(b["commit"], b["tasks"][2]["commit"]);
}

TEST_F(VcsLanding, PublishingOnATipThatMovedDoesNothing) {
  task_with("a", {{"a.txt", "a\n"}});
  task_with("b", {{"b.txt", "b\n"}});
  const std::string before = tip();
  json b = build({"a"});
  ASSERT_EQ(vcs_->merge("b")["result"], "merged");
  const std::string moved = tip();
  json p = publish(before, b["commit"]);
  EXPECT_EQ(p["result"], "moved");
  EXPECT_EQ(p["tip"], moved);
  EXPECT_EQ(tip(), moved);
  EXPECT_EQ(vcs_->call(&V::publish_landing, {{"target_branch", "main"}, {"expected_tip", moved}, {"commit", b["commit"]}}).status,
            DROVER_INVALID_ARGUMENT)
      << "a commit not built on the tip never replaces it";
}

TEST_F(VcsLanding, ASyncConflictIsLeftWithMarkersAndTheNextCommitFinishesTheMerge) {
  task_with("a", {{"README.md", "from a\n"}});
  task_with("b", {{"README.md", "from b\n"}, {"b.txt", "b\n"}});
  ASSERT_EQ(vcs_->merge("a")["result"], "merged");
  const std::string b_head = tip("drover/b");

  json s = sync("b");
  EXPECT_EQ(s["result"], "conflict");
  EXPECT_EQ(s["paths"], json::array({"README.md"}));
  EXPECT_EQ(s["tip"], tip());
  ASSERT_EQ(s["collides_with"].size(), 1u);
  EXPECT_EQ(s["collides_with"][0]["task_id"], "a");
  EXPECT_EQ(s["collides_with"][0]["paths"], json::array({"README.md"}));
  const std::string marked = read_file(wt("b") / "README.md");
  EXPECT_NE(marked.find("<<<<<<< "), std::string::npos) << marked;
  EXPECT_EQ(sync("b")["result"], "conflict") << "asked again (a lost answer): the same conflict";

  auto refused = vcs_->call(&V::commit, {{"task_id", "b"}, {"message", "resolve"}});
  EXPECT_EQ(refused.status, DROVER_CONFLICT);
  EXPECT_NE(refused.error.find("conflict markers are still in README.md"), std::string::npos) << refused.error;

  write_file(wt("b") / "README.md", "from a\nfrom b\n");
  json c = vcs_->commit("b", "Task b resolved\n");
  ASSERT_TRUE(c["commit"].is_string());
  EXPECT_EQ(git(wt("b"), {"rev-list", "--parents", "-1", "HEAD"}), c["commit"].get<std::string>() + " " + b_head + " " + tip());
  EXPECT_EQ(git(wt("b"), {"status", "--porcelain"}), "");
  ASSERT_EQ(vcs_->merge("b")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "README.md"), "from a\nfrom b\n");
}

TEST_F(VcsLanding, ACleanSyncIsAMergeCommitOnTheTaskBranchAndThenUpToDate) {
  task_with("a", {{"a.txt", "a\n"}});
  task_with("b", {{"b.txt", "b\n"}});
  ASSERT_EQ(vcs_->merge("a")["result"], "merged");
  json s = sync("b");
  EXPECT_EQ(s["result"], "merged");
  EXPECT_EQ(read_file(wt("b") / "a.txt"), "a\n");
  EXPECT_EQ(git(wt("b"), {"rev-parse", "HEAD^2"}), tip());
  EXPECT_EQ(sync("b")["result"], "up_to_date");
  auto dirty = [&] {
    write_file(wt("b") / "b.txt", "changed\n");
    return vcs_->call(&V::sync_worktree, {{"task_id", "b"}, {"target_branch", "main"}});
  }();
  EXPECT_EQ(dirty.status, DROVER_CONFLICT) << "uncommitted work is never merged over";
}

TEST_F(VcsLanding, TheScratchWorktreeIsDetachedReusedAndNeverATasks) {
  {
    std::ofstream exclude(repo_ / ".git" / "info" / "exclude", std::ios::app);
    exclude << "cache/\n";
  }
  task_with("a", {{"a.txt", "a\n"}});
  json b = build({"a"});
  const std::string commit = b["commit"];
  json s = vcs_->ok(&V::scratch_worktree, {{"name", "landing"}, {"commit", commit}});
  const fs::path path = s["path"].get<std::string>();
  EXPECT_EQ(read_file(path / "a.txt"), "a\n");
  EXPECT_EQ(git(path, {"rev-parse", "HEAD"}), commit);
  EXPECT_EQ(git_run(path, {"symbolic-ref", "-q", "HEAD"}).exit_code, 1) << "HEAD is detached";
  EXPECT_EQ(git(repo_, {"branch", "--list", "drover/+*"}), "") << "no branch is left for it";
  json listed = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  for (const auto& w : listed) EXPECT_NE(w["path"], path.string());

  write_file(path / "build.out", "untracked\n");
  write_file(path / "cache" / "blob", "kept\n");
  write_file(path / "README.md", "scribbled by verify\n");
  const std::string main_tip = tip();
  vcs_->ok(&V::scratch_worktree, {{"name", "landing"}, {"commit", main_tip}});
  EXPECT_EQ(git(path, {"rev-parse", "HEAD"}), main_tip);
  EXPECT_FALSE(fs::exists(path / "a.txt"));
  EXPECT_FALSE(fs::exists(path / "build.out")) << "untracked files go";
  EXPECT_EQ(read_file(path / "cache" / "blob"), "kept\n") << "ignored files (build caches) stay";
  EXPECT_EQ(read_file(path / "README.md"), read_file(repo_ / "README.md"));

  vcs_->ok(&V::scratch_worktree, {{"name", "landing"}, {"commit", nullptr}});
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(git(repo_, {"worktree", "list"}).find("+landing"), std::string::npos);
  EXPECT_EQ(vcs_->call(&V::scratch_worktree, {{"name", "../x"}, {"commit", commit}}).status, DROVER_INVALID_ARGUMENT);
}

TEST_F(VcsLanding, KeptWorkIsListedAndDroppedOnlyWithForce) {
  task_with("a", {{"a.txt", "a\n"}});
  const std::string start = git(repo_, {"rev-parse", "main"});
  write_file(wt("a") / "a.txt", "more\n");
  vcs_->ok(&V::reset_worktree, {{"task_id", "a"}, {"to", start}, {"keep_ref", "refs/drover/archive/a/1-5"}});
  json kept = vcs_->ok(&V::list_worktrees, {{"kept_only", true}});
  ASSERT_EQ(kept.size(), 1u) << kept.dump();
  EXPECT_EQ(kept[0]["task_id"], "a");
  EXPECT_EQ(kept[0]["kept_ref"], "refs/drover/archive/a/1-5");
  EXPECT_EQ(kept[0]["head"], git(repo_, {"rev-parse", "refs/drover/archive/a/1-5"}));

  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "a"}, {"kept_ref", "refs/drover/archive/a/1-5"}}).status,
            DROVER_CONFLICT)
      << "kept work goes only with force";
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "b"}, {"kept_ref", "refs/drover/archive/a/1-5"}, {"force", true}}).status,
            DROVER_INVALID_ARGUMENT)
      << "only a ref kept for that task";
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "a"}, {"kept_ref", "refs/heads/main"}, {"force", true}}).status,
            DROVER_INVALID_ARGUMENT);
  json dropped = vcs_->ok(&V::remove_worktree, {{"task_id", "a"}, {"kept_ref", "refs/drover/archive/a/1-5"}, {"force", true}});
  EXPECT_EQ(dropped["removed"], true);
  EXPECT_EQ(vcs_->ok(&V::list_worktrees, {{"kept_only", true}}).size(), 0u);
}

TEST_F(VcsLanding, MarkersTheAgentCommittedItselfAreStillRefused) {
  task_with("a", {{"README.md", "from a\n"}});
  task_with("b", {{"README.md", "from b\n"}});
  ASSERT_EQ(vcs_->merge("a")["result"], "merged");
  ASSERT_EQ(sync("b")["result"], "conflict");
  git(wt("b"), {"add", "-A"});
  git(wt("b"), {"commit", "-q", "-m", "the agent's own merge commit"});
  auto refused = vcs_->call(&V::commit, {{"task_id", "b"}, {"message", "resolve"}});
  EXPECT_EQ(refused.status, DROVER_CONFLICT);
  EXPECT_NE(refused.error.find("conflict markers are still in README.md"), std::string::npos) << refused.error;
  write_file(wt("b") / "README.md", "from a\nfrom b\n");
  EXPECT_EQ(vcs_->commit("b", "resolved")["changed"], true);
}

TEST_F(VcsLanding, ASyncKilledBeforeItCommittedACleanMergeFinishesIt) {
  task_with("a", {{"a.txt", "a\n"}});
  task_with("b", {{"b.txt", "b\n"}});
  ASSERT_EQ(vcs_->merge("a")["result"], "merged");
  git(wt("b"), {"merge", "--no-commit", "--no-ff", "-q", "main"});  // what the killed sync left
  json s = sync("b");
  EXPECT_EQ(s["result"], "merged");
  EXPECT_EQ(git(wt("b"), {"rev-parse", "HEAD^2"}), tip());
  EXPECT_EQ(git_run(wt("b"), {"rev-parse", "-q", "--verify", "MERGE_HEAD"}).exit_code, 1) << "no merge left in progress";
}

TEST_F(VcsLanding, ASyncKilledInsideTheMergeIsDoneAgainNotCommittedHalfDone) {
  // What a kill inside libgit2's merge leaves: MERGE_HEAD and MERGE_MSG
  // written, a conflict file half written through its lock file, the index
  // still the branch's (written last), lock files in the admin directory.
  task_with("a", {{"README.md", "from a\n"}, {"a.txt", "a\n"}});
  task_with("b", {{"README.md", "from b\n"}});
  ASSERT_EQ(vcs_->merge("a")["result"], "merged");
  const fs::path admin = fs::path(git(wt("b"), {"rev-parse", "--absolute-git-dir"}));
  write_file(admin / "MERGE_HEAD", tip() + "\n");
  write_file(admin / "MERGE_MSG", "Merge main\n");
  write_file(admin / "MERGE_MSG.lock", "Merge main, half");
  write_file(wt("b") / "README.md.lock", "<<<<<<< HEAD\nfrom b\n");
  write_file(wt("b") / "a.txt", "a\n");  // checked out before the kill, not in the index yet
  json s = sync("b");
  EXPECT_EQ(s["result"], "conflict") << s.dump();
  EXPECT_EQ(s["paths"], json::array({"README.md"}));
  EXPECT_FALSE(fs::exists(wt("b") / "README.md.lock"));
  EXPECT_FALSE(fs::exists(admin / "MERGE_MSG.lock"));
  EXPECT_NE(read_file(wt("b") / "README.md").find("<<<<<<< "), std::string::npos);
  write_file(wt("b") / "README.md", "from a\nfrom b\n");
  ASSERT_EQ(vcs_->commit("b", "resolved")["changed"], true);
  EXPECT_EQ(git(wt("b"), {"rev-parse", "HEAD^2"}), tip());
  EXPECT_EQ(git(wt("b"), {"show", "HEAD:a.txt"}), "a") << "the merge holds the target's changes";
}

TEST_F(VcsLanding, ATaskThatCannotBeBuiltIsLeftOutAlone) {
  task_with("a", {{"a.txt", "a\n"}});
  json b = build({"ghost", "a"});
  EXPECT_EQ(b["tasks"][0]["result"], "error");
  EXPECT_NE(b["tasks"][0]["error"].get<std::string>().find("has no branch"), std::string::npos);
  EXPECT_EQ(b["tasks"][1]["result"], "merged");
}

TEST_F(VcsLanding, AStaleLockInTheScratchWorktreeIsCleared) {
  task_with("a", {{"a.txt", "a\n"}});
  const std::string commit = build({"a"})["commit"];
  vcs_->ok(&V::scratch_worktree, {{"name", "landing"}, {"commit", commit}});
  write_file(repo_ / ".git" / "worktrees" / "+landing" / "index.lock", "");  // a killed checkout's
  json s = vcs_->ok(&V::scratch_worktree, {{"name", "landing"}, {"commit", tip()}});
  EXPECT_EQ(git(s["path"].get<std::string>(), {"rev-parse", "HEAD"}), tip());
}

}  // namespace
}  // namespace drover::vcs_tests
