// merge: conflicts, replays, crash recovery, the user's checkout, other targets.
#include <chrono>

#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

std::string after_first_line(const std::string& text) { return text.substr(text.find('\n') + 1); }

class VcsMerge : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    init_repo(repo_);
    vcs_ = std::make_unique<VcsClient>(repo_);
  }
  fs::path wt(const std::string& task) const { return worktree_of(repo_, task); }
  std::string strategy() const { return GetParam(); }
  json merge(const std::string& task, const std::string& target = "main") const {
    return vcs_->merge(task, target, strategy());
  }
  // prepare + write files + commit.
  std::string task_with(const std::string& task, const std::map<std::string, std::string>& files,
                        const std::string& target = "main") const {
    vcs_->prepare(task, target);
    for (const auto& [path, text] : files) write_file(wt(task) / path, text);
    json c = vcs_->commit(task, "Task " + task + "\n\nDrover-Task: " + task + "\nDrover-Attempt: 1\n");
    EXPECT_EQ(c["changed"], true);
    return c["commit"];
  }
  std::string tip(const std::string& branch = "main") const { return git(repo_, {"rev-parse", branch}); }
  void expect_no_merge_in_progress() const {
    EXPECT_FALSE(fs::exists(repo_ / ".git" / "MERGE_HEAD"));
    EXPECT_FALSE(fs::exists(repo_ / ".git" / "CHERRY_PICK_HEAD"));
    EXPECT_FALSE(fs::exists(repo_ / ".git" / "rebase-merge"));
    EXPECT_FALSE(fs::exists(repo_ / ".git" / "index.lock"));
  }

  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  std::unique_ptr<VcsClient> vcs_;
};

TEST_P(VcsMerge, MergeBringsTheTaskIntoTheTargetAndTheCheckout) {
  const std::string base = tip();
  task_with("t1", {{"src/file0.txt", "new content\n"}, {"added.txt", "added\n"}});
  json m = merge("t1");
  EXPECT_EQ(m["result"], "merged");
  EXPECT_FALSE(m.contains("warning")) << m.dump();
  EXPECT_EQ(m["commit"], tip());
  EXPECT_EQ(read_file(repo_ / "src/file0.txt"), "new content\n");
  EXPECT_EQ(read_file(repo_ / "added.txt"), "added\n");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
  expect_no_merge_in_progress();
  const std::string parents = git(repo_, {"log", "-1", "--format=%P", "main"});
  if (strategy() == "merge") {
    // Two parents even though a fast-forward was possible (--no-ff).
    EXPECT_EQ(parents, base + " " + tip("drover/t1"));
  } else {
    EXPECT_EQ(parents, base);
    const std::string body = git(repo_, {"log", "-1", "--format=%B", "main"});
    EXPECT_NE(body.find("Drover-Task: t1"), std::string::npos) << body;
    EXPECT_NE(body.find("Drover-Source: " + tip("drover/t1")), std::string::npos) << body;
  }
}

TEST_P(VcsMerge, ConflictLeavesEverythingUntouchedAndARetryOnTheNewTipMerges) {
  task_with("a", {{"src/file0.txt", "from a\n"}});
  task_with("b", {{"src/file0.txt", "from b\n"}, {"b-only.txt", "b\n"}});
  ASSERT_EQ(merge("a")["result"], "merged");
  const std::string main_tip = tip();
  const std::string b_head = tip("drover/b");
  const std::string status_before = git(repo_, {"status", "--porcelain"});

  json m = merge("b");
  EXPECT_EQ(m["result"], "conflict");
  EXPECT_TRUE(m["commit"].is_null());
  EXPECT_EQ(m["paths"], json::array({"src/file0.txt"}));
  EXPECT_EQ(tip(), main_tip);
  EXPECT_EQ(tip("drover/b"), b_head);
  EXPECT_EQ(read_file(repo_ / "src/file0.txt"), "from a\n");
  EXPECT_FALSE(fs::exists(repo_ / "b-only.txt"));
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), status_before);
  EXPECT_EQ(git(wt("b"), {"status", "--porcelain"}), "");
  expect_no_merge_in_progress();

  // Retry from scratch on the new tip.
  json removed = vcs_->ok(&V::remove_worktree, {{"task_id", "b"}, {"force", true}});
  EXPECT_EQ(removed["removed"], true);
  json p = vcs_->prepare("b");
  EXPECT_EQ(p["created"], true);
  EXPECT_EQ(p["base_commit"], main_tip);
  EXPECT_EQ(read_file(wt("b") / "src/file0.txt"), "from a\n");
  write_file(wt("b") / "src/file0.txt", "from a\nand b\n");
  vcs_->commit("b", "Task b, attempt 2\n\nDrover-Task: b\nDrover-Attempt: 2\n");
  json again = merge("b");
  EXPECT_EQ(again["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "src/file0.txt"), "from a\nand b\n");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, ReplayedMergeIsAlreadyMergedWithoutDuplicates) {
  task_with("t1", {{"src/file1.txt", "one\n"}});
  json first = merge("t1");
  ASSERT_EQ(first["result"], "merged");
  const std::string count = git(repo_, {"rev-list", "--count", "main"});
  json second = merge("t1");
  EXPECT_EQ(second["result"], "already_merged");
  EXPECT_EQ(second["commit"], first["commit"]);
  EXPECT_EQ(git(repo_, {"rev-list", "--count", "main"}), count);
  // Still recognised after the target moved on.
  write_file(repo_ / "later.txt", "later\n");
  git(repo_, {"add", "later.txt"});
  git(repo_, {"commit", "-q", "-m", "later"});
  json third = merge("t1");
  EXPECT_EQ(third["result"], "already_merged");
  EXPECT_EQ(third["commit"], first["commit"]);
}

TEST_P(VcsMerge, CrashBetweenStepsIsRecoveredByCallingTheStepsAgain) {
  // Crash after prepare: prepare again.
  vcs_->prepare("t1");
  EXPECT_EQ(vcs_->prepare("t1")["created"], false);
  write_file(wt("t1") / "src/file2.txt", "two\n");
  // Crash between commit and merge: the commit step replays, then merge runs.
  const std::string head = vcs_->commit("t1", "Task t1\n\nDrover-Task: t1\n")["commit"];
  json replay = vcs_->commit("t1", "Task t1\n\nDrover-Task: t1\n");
  EXPECT_EQ(replay["changed"], false);
  EXPECT_EQ(replay["commit"], head);
  ASSERT_EQ(merge("t1")["result"], "merged");
  // Crash between merge and cleanup: merge replays, then cleanup runs twice.
  EXPECT_EQ(merge("t1")["result"], "already_merged");
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}})["removed"], true);
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}})["removed"], false);
  // Crash in the middle of cleanup (directory gone, branch left): cleanup finishes.
  task_with("t2", {{"src/file3.txt", "three\n"}});
  ASSERT_EQ(merge("t2")["result"], "merged");
  fs::remove_all(wt("t2"));
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t2"}})["removed"], true);
  EXPECT_EQ(git(repo_, {"branch", "--list", "drover/*"}), "");
}

TEST_P(VcsMerge, NothingToMergeWhenTheTaskMadeNoCommit) {
  vcs_->prepare("t1");
  json m = merge("t1");
  EXPECT_EQ(m["result"], "nothing_to_merge");
}

TEST_P(VcsMerge, UnrelatedLocalEditsInTheUsersCheckoutSurvive) {
  write_file(repo_ / "src/file7.txt", "user edit, unstaged\n");
  write_file(repo_ / "src/file6.txt", "user edit, staged\n");
  git(repo_, {"add", "src/file6.txt"});
  write_file(repo_ / "notes.txt", "untracked notes\n");
  const std::string status_before = git(repo_, {"status", "--porcelain"});

  task_with("t1", {{"src/file0.txt", "task edit\n"}, {"task-new.txt", "new\n"}});
  ASSERT_EQ(merge("t1")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "src/file0.txt"), "task edit\n");
  EXPECT_EQ(read_file(repo_ / "task-new.txt"), "new\n");
  EXPECT_EQ(read_file(repo_ / "src/file7.txt"), "user edit, unstaged\n");
  EXPECT_EQ(read_file(repo_ / "src/file6.txt"), "user edit, staged\n");
  EXPECT_EQ(read_file(repo_ / "notes.txt"), "untracked notes\n");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), status_before);
  EXPECT_EQ(git(repo_, {"diff", "--cached", "--name-only"}), "src/file6.txt");
  expect_no_merge_in_progress();
}

TEST_P(VcsMerge, LocalEditToAFileTheTaskChangesBlocksUntilTheUserCommits) {
  std::string original = read_file(repo_ / "src/file0.txt");
  write_file(repo_ / "src/file0.txt", original + "user line\n");
  task_with("t1", {{"src/file0.txt", "task line\n" + original.substr(original.find('\n') + 1)}});
  const std::string main_tip = tip();

  json m = merge("t1");
  EXPECT_EQ(m["result"], "local_changes");
  EXPECT_EQ(m["paths"], json::array({"src/file0.txt"}));
  EXPECT_EQ(tip(), main_tip);
  EXPECT_EQ(read_file(repo_ / "src/file0.txt"), original + "user line\n");
  expect_no_merge_in_progress();

  git(repo_, {"commit", "-q", "-am", "user work"});
  json again = merge("t1");
  EXPECT_EQ(again["result"], "merged");
  std::string merged = read_file(repo_ / "src/file0.txt");
  EXPECT_EQ(merged.rfind("task line\n", 0), 0u) << merged;
  EXPECT_NE(merged.find("user line\n"), std::string::npos) << merged;
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, UntrackedOrStagedFilesInTheWayBlockTheMerge) {
  task_with("t1", {{"brand-new.txt", "task\n"}, {"src/file1.txt", "task\n"}});
  write_file(repo_ / "brand-new.txt", "user's own\n");
  json m = merge("t1");
  EXPECT_EQ(m["result"], "local_changes");
  EXPECT_EQ(m["paths"], json::array({"brand-new.txt"}));
  EXPECT_EQ(read_file(repo_ / "brand-new.txt"), "user's own\n");

  fs::remove(repo_ / "brand-new.txt");
  write_file(repo_ / "src/file1.txt", "staged by user\n");
  git(repo_, {"add", "src/file1.txt"});
  git(repo_, {"checkout", "--", "src/file1.txt"});
  m = merge("t1");
  EXPECT_EQ(m["result"], "local_changes");
  EXPECT_EQ(m["paths"], json::array({"src/file1.txt"}));

  git(repo_, {"reset", "-q", "--", "src/file1.txt"});
  git(repo_, {"checkout", "--", "src/file1.txt"});
  EXPECT_EQ(merge("t1")["result"], "merged");
}

TEST_P(VcsMerge, TargetBranchOtherThanMain) {
  git(repo_, {"branch", "release/1.0"});
  const std::string main_tip = tip();
  json p = vcs_->prepare("t1", "release/1.0");
  EXPECT_EQ(p["base_commit"], tip("release/1.0"));
  write_file(wt("t1") / "rel.txt", "release fix\n");
  vcs_->commit("t1", "fix\n\nDrover-Task: t1\n");
  json m = merge("t1", "release/1.0");
  EXPECT_EQ(m["result"], "merged");
  EXPECT_EQ(m["commit"], tip("release/1.0"));
  EXPECT_EQ(tip(), main_tip);
  EXPECT_FALSE(fs::exists(repo_ / "rel.txt"));  // main is checked out, not release
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
  EXPECT_EQ(git(repo_, {"show", "release/1.0:rel.txt"}), "release fix");
  EXPECT_EQ(merge("t1", "release/1.0")["result"], "already_merged");
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}})["removed"], true);
}

TEST_P(VcsMerge, UserInTheMiddleOfAMergeBlocksUntilItIsFinished) {
  git(repo_, {"checkout", "-q", "-b", "side"});
  write_file(repo_ / "src/file0.txt", "side\n");
  git(repo_, {"commit", "-q", "-am", "side"});
  git(repo_, {"checkout", "-q", "main"});
  write_file(repo_ / "src/file0.txt", "main\n");
  git(repo_, {"commit", "-q", "-am", "main"});
  EXPECT_NE(git_run(repo_, {"merge", "-q", "side"}).exit_code, 0);  // the user's own conflict
  ASSERT_TRUE(fs::exists(repo_ / ".git" / "MERGE_HEAD"));
  const std::string main_tip = tip();

  task_with("t1", {{"src/file5.txt", "task\n"}});
  json m = merge("t1");
  EXPECT_EQ(m["result"], "local_changes");
  EXPECT_EQ(tip(), main_tip);
  EXPECT_TRUE(fs::exists(repo_ / ".git" / "MERGE_HEAD"));  // the user's merge is untouched

  git(repo_, {"merge", "--abort"});
  EXPECT_EQ(merge("t1")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "src/file5.txt"), "task\n");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, TargetCheckedOutInAUsersLinkedWorktreeIsCheckedAndBroughtAlong) {
  const fs::path linked = tmp_.path() / "linked";
  git(repo_, {"worktree", "add", "-q", "-b", "feature", linked.string()});
  task_with("t1", {{"src/file2.txt", "task\n"}, {"feat.txt", "feat\n"}}, "feature");
  write_file(linked / "src/file2.txt", "user edit in linked worktree\n");
  const std::string feature_tip = tip("feature");
  json m = merge("t1", "feature");
  EXPECT_EQ(m["result"], "local_changes");
  EXPECT_EQ(m["paths"], json::array({"src/file2.txt"}));
  EXPECT_EQ(tip("feature"), feature_tip);

  git(linked, {"checkout", "--", "src/file2.txt"});
  write_file(linked / "unrelated.txt", "keep me\n");
  EXPECT_EQ(merge("t1", "feature")["result"], "merged");
  EXPECT_EQ(read_file(linked / "src/file2.txt"), "task\n");
  EXPECT_EQ(read_file(linked / "feat.txt"), "feat\n");
  EXPECT_EQ(read_file(linked / "unrelated.txt"), "keep me\n");
  EXPECT_EQ(git(linked, {"status", "--porcelain"}), "?? unrelated.txt");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");  // main (on main) untouched
}

TEST_P(VcsMerge, TheUsersIndexLockIsReportedNeverRemoved) {
  // `git commit` holds index.lock while its editor is open, however old it is.
  task_with("t1", {{"src/file4.txt", "task\n"}});
  const fs::path lock = repo_ / ".git" / "index.lock";
  write_file(lock, "");
  fs::last_write_time(lock, fs::file_time_type::clock::now() - std::chrono::minutes(10));
  const std::string main_tip = tip();
  json m = merge("t1");
  EXPECT_EQ(m["result"], "local_changes");
  EXPECT_EQ(m["paths"], json::array({lock.string()}));
  EXPECT_EQ(tip(), main_tip);
  EXPECT_TRUE(fs::exists(lock));
  fs::remove(lock);
  EXPECT_EQ(merge("t1")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "src/file4.txt"), "task\n");
}

TEST_P(VcsMerge, ACheckoutInterruptedByACrashIsFinishedByTheNextMerge) {
  // Reproduce the state a kill -9 between moving the ref and updating the
  // checkout leaves: main moved, the user's files and index still at the old
  // tip, drover's marker and its index.lock present.
  task_with("t1", {{"src/file1.txt", "t1\n"}});
  task_with("t2", {{"src/file2.txt", "t2\n"}});
  const std::string old_tip = tip();
  git(repo_, {"checkout", "-q", "--detach"});
  ASSERT_EQ(merge("t1")["result"], "merged");
  git(repo_, {"symbolic-ref", "HEAD", "refs/heads/main"});
  ASSERT_NE(git(repo_, {"status", "--porcelain", "--untracked-files=no"}), "");  // looks reverted
  write_file(repo_ / ".git" / "drover-merge-main.lock.checkout", old_tip + " " + tip() + "\n");
  write_file(repo_ / ".git" / "index.lock", "");
  EXPECT_EQ(merge("t2")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "src/file1.txt"), "t1\n");
  EXPECT_EQ(read_file(repo_ / "src/file2.txt"), "t2\n");
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "index.lock"));
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "drover-merge-main.lock.checkout"));
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, ACheckoutKilledBetweenFilesAndIndexIsFinishedByTheNextMerge) {
  // The other half-way state: the file was written into the user's checkout
  // but the index was not (`git status` shows it deleted and untracked).
  task_with("t1", {{"src/new1.txt", "t1\n"}});
  task_with("t2", {{"src/file2.txt", "t2\n"}});
  const std::string old_tip = tip();
  git(repo_, {"checkout", "-q", "--detach"});
  ASSERT_EQ(merge("t1")["result"], "merged");
  git(repo_, {"symbolic-ref", "HEAD", "refs/heads/main"});
  write_file(repo_ / "src/new1.txt", "t1\n");
  ASSERT_NE(git(repo_, {"status", "--porcelain", "--untracked-files=no"}), "");
  write_file(repo_ / ".git" / "drover-merge-main.lock.checkout", old_tip + " " + tip() + "\n");
  EXPECT_EQ(merge("t2")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "src/new1.txt"), "t1\n");
  EXPECT_EQ(read_file(repo_ / "src/file2.txt"), "t2\n");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, AFileHalfWrittenByAKilledCheckoutIsRewrittenButAUsersEditIsNot) {
  task_with("t1", {{"src/new1.txt", "t1\n"}, {"src/file1.txt", "t1 edit\n"}});
  task_with("t2", {{"src/file2.txt", "t2\n"}});
  const std::string old_tip = tip();
  git(repo_, {"checkout", "-q", "--detach"});
  ASSERT_EQ(merge("t1")["result"], "merged");
  git(repo_, {"symbolic-ref", "HEAD", "refs/heads/main"});
  // The user edited file1 before the crash; the dead checkout had just created new1.
  write_file(repo_ / "src/file1.txt", "the user's edit\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_file(repo_ / ".git" / "drover-merge-main.lock.checkout", old_tip + " " + tip() + "\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_file(repo_ / "src/new1.txt", "");
  // The user's edit is in the way: the repair waits and says where.
  json waiting = merge("t2");
  EXPECT_EQ(waiting["result"], "local_changes");
  EXPECT_NE(waiting["paths"].dump().find("src/file1.txt"), std::string::npos) << waiting.dump();
  EXPECT_EQ(read_file(repo_ / "src/file1.txt"), "the user's edit\n");
  EXPECT_TRUE(fs::exists(repo_ / ".git" / "drover-merge-main.lock.checkout")) << "the pending repair must not be lost";
  // The user puts their edit aside; the repair and the merge go through.
  git(repo_, {"checkout", "--", "src/file1.txt"});
  EXPECT_EQ(merge("t2")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "src/new1.txt"), "t1\n");
  EXPECT_EQ(read_file(repo_ / "src/file1.txt"), "t1 edit\n");
  EXPECT_EQ(read_file(repo_ / "src/file2.txt"), "t2\n");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, ABranchLeftWithoutItsWorktreeIsListedAndRemoved) {
  // A run killed inside remove_worktree after the worktree went but before the branch did.
  task_with("t1", {{"src/file3.txt", "t1\n"}});
  ASSERT_EQ(merge("t1")["result"], "merged");
  git(repo_, {"worktree", "remove", "--force", wt("t1").string()});
  ASSERT_NE(git(repo_, {"branch", "--list", "drover/t1"}), "");
  json listed = vcs_->ok(&drover_vcs_vtable_v1::list_worktrees, json{{"target_branch", "main"}});
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["task_id"], "t1");
  EXPECT_EQ(listed[0]["path"], "");
  EXPECT_EQ(listed[0]["merged"], true);
  json removed = vcs_->ok(&drover_vcs_vtable_v1::remove_worktree, json{{"task_id", "t1"}, {"target_branch", "main"}});
  EXPECT_EQ(removed["removed"], true) << removed.dump();
  EXPECT_EQ(git(repo_, {"branch", "--list", "drover/t1"}), "");
}

TEST_P(VcsMerge, ANewAttemptAfterAMergeStartsFromTheNewTip) {
  task_with("t1", {{"src/file6.txt", "first attempt\n"}});
  ASSERT_EQ(merge("t1")["result"], "merged");
  // The worktree is gone (e.g. removed by hand) but the branch stayed; the task runs again.
  fs::remove_all(wt("t1"));
  json p = vcs_->prepare("t1");
  EXPECT_EQ(p["created"], true);
  EXPECT_EQ(p["base_commit"], tip());
  EXPECT_EQ(git(wt("t1"), {"rev-parse", "HEAD"}), tip());
  write_file(wt("t1") / "src/file6.txt", "second attempt\n");
  vcs_->commit("t1", "again\n\nDrover-Task: t1\nDrover-Attempt: 2\n");
  EXPECT_EQ(merge("t1")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "src/file6.txt"), "second attempt\n");
}

TEST_P(VcsMerge, CheckedOutTargetOtherThanMainIsBroughtAlong) {
  git(repo_, {"checkout", "-q", "-b", "develop"});
  task_with("t1", {{"dev.txt", "dev\n"}}, "develop");
  EXPECT_EQ(merge("t1", "develop")["result"], "merged");
  EXPECT_EQ(read_file(repo_ / "dev.txt"), "dev\n");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, DetachedHeadInTheMainWorktreeIsLeftAlone) {
  const std::string old_tip = tip();
  git(repo_, {"checkout", "-q", "--detach"});
  write_file(repo_ / "src/file0.txt", "local edit on detached head\n");
  task_with("t1", {{"src/file0.txt", "task\n"}});
  json m = merge("t1");
  EXPECT_EQ(m["result"], "merged");
  EXPECT_EQ(git(repo_, {"rev-parse", "HEAD"}), old_tip);
  EXPECT_EQ(git_run(repo_, {"symbolic-ref", "-q", "HEAD"}).exit_code, 1);
  EXPECT_EQ(read_file(repo_ / "src/file0.txt"), "local edit on detached head\n");
  EXPECT_EQ(git(repo_, {"show", "main:src/file0.txt"}), "task");
}

TEST_P(VcsMerge, SubmodulesAreLeftAlone) {
  fs::path sub = tmp_.path() / "sub";
  init_repo(sub, "main", 1);
  git(repo_, {"-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.string(), "vendor/sub"});
  git(repo_, {"commit", "-q", "-m", "add submodule"});
  const std::string sub_head = git(repo_ / "vendor/sub", {"rev-parse", "HEAD"});
  const std::string gitlink = git(repo_, {"rev-parse", "main:vendor/sub"});

  vcs_->prepare("t1");
  write_file(wt("t1") / "src/file0.txt", "task\n");
  json c = vcs_->commit("t1", "task\n\nDrover-Task: t1\n");
  ASSERT_EQ(c["changed"], true);
  EXPECT_EQ(git(repo_, {"diff-tree", "--no-commit-id", "--name-only", "-r", c["commit"]}), "src/file0.txt");
  EXPECT_EQ(merge("t1")["result"], "merged");
  EXPECT_EQ(git(repo_, {"rev-parse", "main:vendor/sub"}), gitlink);
  EXPECT_EQ(git(repo_ / "vendor/sub", {"rev-parse", "HEAD"}), sub_head);
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}})["removed"], true);
}

TEST_P(VcsMerge, MultiCommitTaskHistoryShape) {
  const std::string base = tip();
  vcs_->prepare("t1");
  for (int i = 0; i < 3; ++i) {
    write_file(wt("t1") / ("step" + std::to_string(i) + ".txt"), "s\n");
    vcs_->commit("t1", "step " + std::to_string(i) + "\n\nDrover-Task: t1\n");
  }
  // The target moves on so the task is not a fast-forward.
  write_file(repo_ / "main-side.txt", "m\n");
  git(repo_, {"add", "main-side.txt"});
  git(repo_, {"commit", "-q", "-m", "main side"});
  const std::string moved = tip();
  ASSERT_EQ(merge("t1")["result"], "merged");
  const std::string merges = git(repo_, {"rev-list", "--merges", "--count", moved + "..main"});
  const std::string commits = git(repo_, {"rev-list", "--first-parent", "--count", moved + "..main"});
  if (strategy() == "merge") {
    EXPECT_EQ(merges, "1");
    EXPECT_EQ(commits, "1");
  } else if (strategy() == "squash") {
    EXPECT_EQ(merges, "0");
    EXPECT_EQ(commits, "1");
  } else {
    EXPECT_EQ(merges, "0");
    EXPECT_EQ(commits, "3");
    EXPECT_EQ(git(repo_, {"log", "--format=%s", moved + "..main"}), "step 2\nstep 1\nstep 0");
  }
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fs::exists(repo_ / ("step" + std::to_string(i) + ".txt")));
  EXPECT_EQ(merge("t1")["result"], "already_merged");
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}})["removed"], true);
  (void)base;
}

TEST_P(VcsMerge, TaskEditFollowsAFileTheTargetRenamed) {
  task_with("t1", {{"src/file3.txt", "edited first line\n" + after_first_line(read_file(repo_ / "src/file3.txt"))}});
  git(repo_, {"mv", "src/file3.txt", "src/renamed.txt"});
  git(repo_, {"commit", "-q", "-m", "rename"});
  ASSERT_EQ(merge("t1")["result"], "merged");
  EXPECT_FALSE(fs::exists(repo_ / "src/file3.txt"));
  EXPECT_EQ(read_file(repo_ / "src/renamed.txt").rfind("edited first line\n", 0), 0u);
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, FileAgainstDirectoryIsAConflict) {
  task_with("t1", {{"docs", "a file named docs\n"}});
  write_file(repo_ / "docs" / "guide.md", "a directory named docs\n");
  git(repo_, {"add", "docs"});
  git(repo_, {"commit", "-q", "-m", "docs dir"});
  const std::string main_tip = tip();
  json m = merge("t1");
  EXPECT_EQ(m["result"], "conflict");
  EXPECT_FALSE(m["paths"].empty());
  EXPECT_EQ(tip(), main_tip);
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_P(VcsMerge, UntrackedDirectoryWhereTheTaskAddsAFileBlocksTheMerge) {
  task_with("t1", {{"generated", "task file\n"}});
  write_file(repo_ / "generated" / "cache.bin", "user data\n");
  json m = merge("t1");
  EXPECT_EQ(m["result"], "local_changes");
  EXPECT_EQ(m["paths"], json::array({"generated"}));
  EXPECT_EQ(read_file(repo_ / "generated" / "cache.bin"), "user data\n");
}

INSTANTIATE_TEST_SUITE_P(Strategies, VcsMerge, ::testing::Values("merge", "squash", "rebase"),
                         [](const auto& info) { return info.param; });

TEST(VcsMergeConfig, ConfiguredStrategyIsTheDefaultAndARequestOverridesIt) {
  TempDir tmp;
  init_repo(tmp.path());
  VcsClient vcs(tmp.path(), "merge_strategy: squash\n");
  for (const std::string task : {"s1", "m1"}) {
    vcs.prepare(task);
    write_file(worktree_of(tmp.path(), task) / (task + ".txt"), task);
    vcs.commit(task, task);
  }
  EXPECT_EQ(vcs.ok(&V::merge, {{"task_id", "s1"}, {"target_branch", "main"}})["result"], "merged");
  EXPECT_EQ(git(tmp.path(), {"log", "-1", "--format=%P", "main"}).find(' '), std::string::npos);
  EXPECT_EQ(vcs.ok(&V::merge, {{"task_id", "m1"}, {"target_branch", "main"}, {"strategy", "merge"}})["result"], "merged");
  EXPECT_NE(git(tmp.path(), {"log", "-1", "--format=%P", "main"}).find(' '), std::string::npos);
}

}  // namespace
}  // namespace drover::vcs_tests
