// prepare_worktree, commit, diff_summary, list_worktrees and remove_worktree.
#include <fstream>

#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

class VcsWorktree : public ::testing::Test {
 protected:
  void SetUp() override {
    init_repo(repo_);
    vcs_ = std::make_unique<VcsClient>(repo_);
  }
  fs::path wt(const std::string& task) const { return worktree_of(repo_, task); }
  // The raw message of a commit object (everything after the header block).
  std::string raw_message(const std::string& sha) const {
    GitRun run = git_run(repo_, {"cat-file", "commit", sha});
    auto blank = run.out.find("\n\n");
    return blank == std::string::npos ? "" : run.out.substr(blank + 2);
  }

  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsWorktree, PrepareCreatesWorktreeOnTaskBranchFromTargetTip) {
  const std::string tip = git(repo_, {"rev-parse", "main"});
  json p = vcs_->prepare("t1");
  EXPECT_EQ(p["created"], true);
  EXPECT_EQ(p["path"], wt("t1").string());
  EXPECT_EQ(p["branch"], "drover/t1");
  EXPECT_EQ(p["base_commit"], tip);
  EXPECT_TRUE(fs::exists(wt("t1") / "README.md"));
  EXPECT_EQ(git(wt("t1"), {"symbolic-ref", "HEAD"}), "refs/heads/drover/t1");
  EXPECT_EQ(git(wt("t1"), {"rev-parse", "HEAD"}), tip);
  // The main checkout is untouched and does not see the worktree dir.
  EXPECT_EQ(git(repo_, {"symbolic-ref", "HEAD"}), "refs/heads/main");
  EXPECT_EQ(git(repo_, {"status", "--porcelain"}), "");
}

TEST_F(VcsWorktree, PrepareIsIdempotent) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "work.txt", "in progress\n");
  json again = vcs_->prepare("t1");
  EXPECT_EQ(again["created"], false);
  EXPECT_EQ(again["path"], wt("t1").string());
  EXPECT_EQ(read_file(wt("t1") / "work.txt"), "in progress\n");
}

TEST_F(VcsWorktree, PrepareRecreatesAWorktreeWhoseDirectoryVanished) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "a.txt", "a\n");
  const std::string head = vcs_->commit("t1", "work")["commit"];
  fs::remove_all(wt("t1"));
  json p = vcs_->prepare("t1");
  EXPECT_EQ(p["created"], true);
  // The branch kept its unmerged commit, so the worktree comes back with it.
  EXPECT_EQ(git(wt("t1"), {"rev-parse", "HEAD"}), head);
  EXPECT_EQ(read_file(wt("t1") / "a.txt"), "a\n");
}

TEST_F(VcsWorktree, AWorktreeEntryLeftHalfPrunedDoesNotBlockNewWorktrees) {
  // Seen in the chaos test: a kill in the middle of pruning t12's entry left
  // .git/worktrees/t12 without its gitdir file, and every later worktree
  // creation failed with "reference is already checked out".
  vcs_->prepare("t12");
  const fs::path entry = repo_ / ".git" / "worktrees" / "t12";
  ASSERT_TRUE(fs::exists(entry / "gitdir"));
  fs::remove_all(wt("t12"));
  fs::remove(entry / "gitdir");
  json p = vcs_->prepare("t13");
  EXPECT_EQ(p["created"], true);
  EXPECT_EQ(git(wt("t13"), {"symbolic-ref", "HEAD"}), "refs/heads/drover/t13");
  EXPECT_FALSE(fs::exists(entry)) << "the broken entry is gone";
}

// With `worktree_dir: ..` a run renamed the user's sibling directories (one a
// git repository) to .interrupted-*. Drover renames and deletes only what it
// created: a directory at a task's path that is not Drover's checkout is left
// alone and named in the error.
TEST_F(VcsWorktree, PrepareNeverMovesADirectoryDroverDidNotCreate) {
  vcs_->prepare("t1");
  EXPECT_TRUE(fs::exists(wt("t1").parent_path() / DROVER_WORKTREE_DIR_MARKER)) << "the worktree dir is marked as Drover's";
  init_repo(wt("t2"));  // the user's own repository where a task's worktree would go
  auto r = vcs_->call(&V::prepare_worktree, {{"task_id", "t2"}, {"target_branch", "main"}});
  EXPECT_EQ(r.status, DROVER_CONFLICT) << r.output;
  EXPECT_NE(r.error.find(wt("t2").string() + " exists but is not a worktree Drover created for task 't2'"),
            std::string::npos) << r.error;
  EXPECT_NE(r.error.find("move it away and retry"), std::string::npos) << r.error;
  EXPECT_TRUE(fs::exists(wt("t2") / "README.md"));
  EXPECT_TRUE(fs::is_directory(wt("t2") / ".git"));
  for (const auto& e : fs::directory_iterator(wt("t1").parent_path()))
    EXPECT_EQ(e.path().filename().string().rfind(".interrupted-", 0), std::string::npos) << e.path();
  auto rm = vcs_->call(&V::remove_worktree, {{"task_id", "t2"}, {"force", true}});
  EXPECT_FALSE(rm.ok() && json::parse(rm.output)["removed"] == true) << rm.output;
  EXPECT_TRUE(fs::exists(wt("t2") / "README.md")) << "remove_worktree leaves the user's directory alone too";
}

// A checkout git made for the task whose registration a kill interrupted is
// Drover's own: it is set aside (never deleted) and the worktree recreated.
TEST_F(VcsWorktree, PrepareSetsAsideItsOwnInterruptedCheckout) {
  vcs_->prepare("t1");
  fs::remove_all(repo_ / ".git" / "worktrees" / "t1");  // git's entry never written
  json p = vcs_->prepare("t1");
  EXPECT_EQ(p["created"], true);
  int aside = 0;
  for (const auto& e : fs::directory_iterator(wt("t1").parent_path()))
    aside += e.path().filename().string().rfind(".interrupted-t1-", 0) == 0;
  EXPECT_EQ(aside, 1);
}

// A kill between libgit2 creating the new worktree's `.git` file and writing
// it leaves the directory with only an empty `.git` (and git's half-made entry,
// which the next prepare removes): Drover's own leftover, set aside too (the
// chaos test met it as "exists but is not a worktree Drover created").
TEST_F(VcsWorktree, PrepareSetsAsideAWorktreeWhoseGitFileWasNeverWritten) {
  fs::create_directories(wt("t1").parent_path());
  vcs_->prepare("t2");  // the worktree directory exists and is Drover's
  fs::create_directories(wt("t1"));
  std::ofstream(wt("t1") / ".git").close();
  json p = vcs_->prepare("t1");
  EXPECT_EQ(p["created"], true);
  EXPECT_EQ(git(wt("t1"), {"symbolic-ref", "HEAD"}), "refs/heads/drover/t1");
  int aside = 0;
  for (const auto& e : fs::directory_iterator(wt("t1").parent_path()))
    aside += e.path().filename().string().rfind(".interrupted-t1-", 0) == 0;
  EXPECT_EQ(aside, 1);
  // An empty .git beside anything else is not ours to move.
  fs::create_directories(wt("t3"));
  std::ofstream(wt("t3") / ".git").close();
  write_file(wt("t3") / "notes.txt", "mine\n");
  auto r = vcs_->call(&V::prepare_worktree, {{"task_id", "t3"}, {"target_branch", "main"}});
  EXPECT_EQ(r.status, DROVER_CONFLICT) << r.output;
  EXPECT_TRUE(fs::exists(wt("t3") / "notes.txt"));
}

// A registration is written with its gitdir file last: killed before it, the
// admin entry is broken (removed by the next prepare) and the directory is
// Drover's own leftover (set aside), and the next prepare starts over.
TEST_F(VcsWorktree, ARegistrationKilledBeforeItsGitdirFileIsRedone) {
  vcs_->prepare("t1");
  const fs::path admin = repo_ / ".git" / "worktrees" / "t1";
  fs::remove(admin / "gitdir");
  fs::remove(admin / "drover-complete");
  for (const auto& e : fs::directory_iterator(wt("t1")))
    if (e.path().filename() != ".git") fs::remove_all(e.path());
  json p = vcs_->prepare("t1");
  EXPECT_EQ(p["created"], true);
  EXPECT_EQ(git(wt("t1"), {"status", "--porcelain", "--untracked-files=all"}), "");
  EXPECT_EQ(git(wt("t1"), {"rev-parse", "HEAD"}), git(repo_, {"rev-parse", "main"}));
  int aside = 0;
  for (const auto& e : fs::directory_iterator(wt("t1").parent_path()))
    aside += e.path().filename().string().rfind(".interrupted-t1-", 0) == 0;
  EXPECT_EQ(aside, 1);
}

// A task branch the user checked out in a worktree of their own gets no
// second worktree (git's rule), and nothing is left half made.
TEST_F(VcsWorktree, PrepareRefusesATaskBranchCheckedOutElsewhere) {
  git(repo_, {"branch", "drover/t1", "main"});
  const fs::path mine = tmp_.path() / "mine";
  git(repo_, {"worktree", "add", "-q", mine.string(), "drover/t1"});
  auto r = vcs_->call(&V::prepare_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("checked out"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(wt("t1")));
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "worktrees" / "t1"));
  git(repo_, {"worktree", "remove", mine.string()});
  EXPECT_EQ(vcs_->prepare("t1")["created"], true);
}

// A worktree_dir that already holds someone's files is refused before
// anything in it is created, renamed or deleted.
TEST(VcsWorktreeDir, ADirectoryHoldingTheUsersFilesIsRefused) {
  TempDir tmp;
  init_repo(tmp.path() / "repo");
  write_file(tmp.path() / "other" / "t1" / "notes.txt", "mine\n");
  VcsClient vcs(tmp.path() / "repo", "worktree_dir: ../other\n");
  auto r = vcs.call(&drover_vcs_vtable_v1::prepare_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
  EXPECT_EQ(r.status, DROVER_CONFLICT);
  EXPECT_NE(r.error.find("the worktree directory " + (tmp.path() / "other").string() +
                         " holds files Drover did not create"), std::string::npos) << r.error;
  EXPECT_EQ(read_file(tmp.path() / "other" / "t1" / "notes.txt"), "mine\n");
  EXPECT_FALSE(fs::exists(tmp.path() / "other" / DROVER_WORKTREE_DIR_MARKER));
  // An empty directory elsewhere is Drover's once it is used.
  fs::create_directories(tmp.path() / "trees");
  VcsClient ok(tmp.path() / "repo", "worktree_dir: ../trees\n");
  EXPECT_EQ(ok.prepare("t1")["created"], true);
  EXPECT_TRUE(fs::exists(tmp.path() / "trees" / DROVER_WORKTREE_DIR_MARKER));
}

TEST_F(VcsWorktree, PrepareFromMissingTargetBranchIsAClearError) {
  auto r = vcs_->call(&V::prepare_worktree, {{"task_id", "t1"}, {"target_branch", "nope"}});
  EXPECT_EQ(r.status, DROVER_NOT_FOUND);
  EXPECT_NE(r.error.find("nope"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(wt("t1")));
}

TEST_F(VcsWorktree, CommitStagesNewModifiedAndDeletedFilesRespectingGitignore) {
  write_file(repo_ / ".gitignore", "*.log\nbuild/\n");
  git(repo_, {"add", ".gitignore"});
  git(repo_, {"commit", "-q", "-m", "ignore"});
  vcs_->prepare("t1");
  write_file(wt("t1") / "new" / "file.txt", "new\n");
  write_file(wt("t1") / "src" / "file0.txt", "changed\n");
  fs::remove(wt("t1") / "src" / "file1.txt");
  write_file(wt("t1") / "debug.log", "ignored\n");
  write_file(wt("t1") / "build" / "out.o", "ignored\n");
  json c = vcs_->commit("t1", "Task t1\n\nDrover-Task: t1\nDrover-Attempt: 1\n");
  EXPECT_EQ(c["changed"], true);
  EXPECT_EQ(c["files"], 3);
  const std::string sha = c["commit"];
  EXPECT_EQ(git(wt("t1"), {"rev-parse", "HEAD"}), sha);
  EXPECT_EQ(git(repo_, {"rev-parse", "drover/t1"}), sha);
  EXPECT_EQ(git(repo_, {"diff-tree", "--no-commit-id", "--name-status", "-r", sha}),
            "A\tnew/file.txt\nM\tsrc/file0.txt\nD\tsrc/file1.txt");
  EXPECT_EQ(git(wt("t1"), {"status", "--porcelain"}), "");
  EXPECT_EQ(git(repo_, {"log", "-1", "--format=%an <%ae>", sha}), "Repo User <user@example.com>");
}

// An agent that created a git repository inside its worktree failed the task
// at commit ("invalid path: 'nested/'") after it ran. Its files are committed
// as plain files, without its .git; later changes there are committed too.
TEST_F(VcsWorktree, CommitTakesANestedRepositoryAsPlainFiles) {
  vcs_->prepare("t1");
  init_repo(wt("t1") / "nested", "main", 1);
  write_file(wt("t1") / "nested" / "notes.txt", "one\n");
  write_file(wt("t1") / "nested" / "deeper" / "inner" / "x.txt", "x\n");
  git(wt("t1") / "nested" / "deeper" / "inner", {"init", "-q"});
  write_file(wt("t1") / "top.txt", "top\n");
  json c = vcs_->commit("t1", "work with a nested repository");
  EXPECT_EQ(c["changed"], true);
  std::string files = git(wt("t1"), {"ls-tree", "-r", "--name-only", "HEAD"});
  for (const char* f : {"top.txt", "nested/README.md", "nested/src/file0.txt", "nested/notes.txt", "nested/deeper/inner/x.txt"})
    EXPECT_NE(files.find(f), std::string::npos) << f << " missing from:\n" << files;
  EXPECT_EQ(files.find(".git/"), std::string::npos) << files;
  EXPECT_EQ(git(wt("t1"), {"ls-tree", "HEAD", "nested"}).substr(0, 6), "040000") << "a tree, not a gitlink";

  write_file(wt("t1") / "nested" / "notes.txt", "two\n");
  fs::remove(wt("t1") / "nested" / "README.md");
  EXPECT_EQ(vcs_->commit("t1", "more")["changed"], true);
  EXPECT_EQ(git(wt("t1"), {"show", "HEAD:nested/notes.txt"}), "two");
  EXPECT_EQ(git(wt("t1"), {"ls-tree", "-r", "--name-only", "HEAD"}).find("nested/README.md"), std::string::npos);
  EXPECT_EQ(vcs_->commit("t1", "nothing new")["changed"], false);
  EXPECT_EQ(vcs_->merge("t1")["result"], "merged");
  EXPECT_EQ(git(repo_, {"show", "main:nested/notes.txt"}), "two");
  auto removed = vcs_->call(&V::remove_worktree, {{"task_id", "t1"}});
  EXPECT_TRUE(removed.ok()) << "(informational) removing the merged worktree: " << removed.error;
}

TEST_F(VcsWorktree, CommitWithoutChangesReportsUnchanged) {
  vcs_->prepare("t1");
  json c = vcs_->commit("t1", "nothing");
  EXPECT_EQ(c["changed"], false);
  EXPECT_TRUE(c["commit"].is_null());
  EXPECT_EQ(c["files"], 0);
  write_file(wt("t1") / "x.txt", "x\n");
  const std::string sha = vcs_->commit("t1", "x")["commit"];
  // A replayed commit step finds the work already committed and returns the head.
  json again = vcs_->commit("t1", "x");
  EXPECT_EQ(again["changed"], false);
  EXPECT_EQ(again["commit"], sha);
  EXPECT_EQ(git(repo_, {"rev-list", "--count", "main..drover/t1"}), "1");
}

TEST_F(VcsWorktree, CommitAuthorCanBeGivenPerRequestOrConfig) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "x.txt", "x\n");
  json c = vcs_->ok(&V::commit, {{"task_id", "t1"}, {"message", "m"}, {"author_name", "Agent"}, {"author_email", "agent@x"}});
  EXPECT_EQ(git(repo_, {"log", "-1", "--format=%an <%ae>", c["commit"]}), "Agent <agent@x>");

  VcsClient configured(repo_, "author_name: Bot\nauthor_email: bot@example.com\n");
  configured.prepare("t2");
  write_file(wt("t2") / "y.txt", "y\n");
  json c2 = configured.commit("t2", "m");
  EXPECT_EQ(git(repo_, {"log", "-1", "--format=%an <%ae>", c2["commit"]}), "Bot <bot@example.com>");
}

TEST_F(VcsWorktree, HostileCommitMessagesAreStoredVerbatim) {
  const std::vector<std::string> messages = {
      "$(rm -rf /) `id` \"quoted\" 'single' \\backslash\n",
      "# not a comment\n\n  indented body\n\ttab\n\n\n",
      "trailing spaces   \nno final newline",
      "Unicode: \xc3\xa9\xe2\x9c\x93 \xf0\x9f\x9a\x80\n",
      "---\ndiff --git a/x b/x\n",
      "CRLF line\r\nnext\r\n",
      "Title\n\nDrover-Task: t1\nDrover-Attempt: 2\n",
  };
  vcs_->prepare("t1");
  int n = 0;
  for (const std::string& m : messages) {
    write_file(wt("t1") / "f.txt", std::to_string(++n));
    json c = vcs_->commit("t1", m);
    ASSERT_EQ(c["changed"], true);
    EXPECT_EQ(raw_message(c["commit"]), m) << json(m).dump();
  }
  auto r = vcs_->call(&V::commit, {{"task_id", "t1"}, {"message", std::string("nul\0byte", 8)}});
  EXPECT_EQ(r.status, DROVER_INVALID_ARGUMENT);
}

TEST_F(VcsWorktree, DiffSummaryCountsAgainstTheMergeBase) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "src" / "file0.txt", "only line\n");
  write_file(wt("t1") / "added.txt", "a\nb\n");
  vcs_->commit("t1", "change");
  // Target moving on does not count as the task's change.
  write_file(repo_ / "other.txt", "o\n");
  git(repo_, {"add", "other.txt"});
  git(repo_, {"commit", "-q", "-m", "other"});
  json d = vcs_->ok(&V::diff_summary, {{"task_id", "t1"}, {"target_branch", "main"}});
  EXPECT_EQ(d["files"], 2);
  EXPECT_EQ(d["insertions"], 3);
  EXPECT_EQ(d["deletions"], 10);
  EXPECT_EQ(d["paths"], json::array({"added.txt", "src/file0.txt"}));
}

TEST_F(VcsWorktree, ListWorktreesReportsState) {
  vcs_->prepare("a");
  vcs_->prepare("b");
  write_file(wt("a") / "x.txt", "x\n");
  json list = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  ASSERT_EQ(list.size(), 2u);
  std::map<std::string, json> by_id;
  for (const auto& e : list) by_id[e["task_id"]] = e;
  EXPECT_EQ(by_id["a"]["dirty"], true);
  EXPECT_EQ(by_id["b"]["dirty"], false);
  EXPECT_EQ(by_id["b"]["merged"], true);  // no commits of its own
  EXPECT_EQ(by_id["a"]["branch"], "drover/a");
  EXPECT_EQ(by_id["a"]["path"], wt("a").string());
  EXPECT_GT(by_id["a"]["size_bytes"].get<long>(), 0);
  vcs_->commit("a", "x");
  list = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  for (const auto& e : list) {
    if (e["task_id"] == "a") {
      EXPECT_EQ(e["merged"], false);
    }
  }
}

TEST_F(VcsWorktree, RemoveRefusesUncommittedOrUnmergedWorkUnlessForced) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "x.txt", "x\n");
  auto r = vcs_->call(&V::remove_worktree, {{"task_id", "t1"}});
  EXPECT_EQ(r.status, DROVER_CONFLICT);
  EXPECT_NE(r.error.find("x.txt"), std::string::npos) << r.error;
  EXPECT_TRUE(fs::exists(wt("t1") / "x.txt"));

  vcs_->commit("t1", "x");
  r = vcs_->call(&V::remove_worktree, {{"task_id", "t1"}});
  EXPECT_EQ(r.status, DROVER_CONFLICT);
  EXPECT_NE(r.error.find("drover/t1"), std::string::npos) << r.error;
  EXPECT_TRUE(fs::exists(wt("t1")));

  write_file(wt("t1") / "y.txt", "y\n");
  json forced = vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}, {"force", true}});
  EXPECT_EQ(forced["removed"], true);
  ASSERT_EQ(forced["discarded"].size(), 2u) << forced.dump();
  EXPECT_EQ(forced["discarded"][0], "y.txt");
  EXPECT_NE(forced["discarded"][1].get<std::string>().find("drover/t1"), std::string::npos);
  EXPECT_FALSE(fs::exists(wt("t1")));
  EXPECT_EQ(git_run(repo_, {"rev-parse", "--verify", "-q", "drover/t1"}).exit_code, 1);
  EXPECT_EQ(git(repo_, {"worktree", "list", "--porcelain"}).find("t1"), std::string::npos);
}

TEST_F(VcsWorktree, RemoveAfterMergeDeletesWorktreeAndBranchAndIsIdempotent) {
  vcs_->prepare("t1");
  write_file(wt("t1") / "x.txt", "x\n");
  vcs_->commit("t1", "x");
  EXPECT_EQ(vcs_->merge("t1")["result"], "merged");
  json r = vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}});
  EXPECT_EQ(r["removed"], true);
  EXPECT_EQ(r["discarded"], json::array());
  EXPECT_FALSE(fs::exists(wt("t1")));
  EXPECT_EQ(git(repo_, {"branch", "--list", "drover/*"}), "");
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "logs" / "refs" / "heads" / "drover" / "t1"));
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "worktrees" / "t1"));
  json again = vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}});
  EXPECT_EQ(again["removed"], false);
  EXPECT_EQ(git(repo_, {"worktree", "prune", "--dry-run", "-v"}), "");
}

TEST_F(VcsWorktree, ListWorktreesIgnoresTheUsersOwnWorktrees) {
  git(repo_, {"worktree", "add", "-q", "-b", "mine", (tmp_.path() / "mine").string()});
  vcs_->prepare("t1");
  json list = vcs_->ok(&V::list_worktrees, json::object());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["task_id"], "t1");
}

TEST_F(VcsWorktree, CommitRefusesAMergeLeftWithConflictMarkers) {
  vcs_->prepare("t1");
  git(wt("t1"), {"checkout", "-q", "-b", "agent-side"});
  write_file(wt("t1") / "src/file0.txt", "agent side\n");
  git(wt("t1"), {"commit", "-q", "-am", "side"});
  git(wt("t1"), {"checkout", "-q", "drover/t1"});
  write_file(wt("t1") / "src/file0.txt", "agent main\n");
  git(wt("t1"), {"commit", "-q", "-am", "main"});
  EXPECT_NE(git_run(wt("t1"), {"merge", "-q", "agent-side"}).exit_code, 0);
  auto r = vcs_->call(&V::commit, {{"task_id", "t1"}, {"message", "m"}});
  EXPECT_EQ(r.status, DROVER_CONFLICT);
  EXPECT_NE(r.error.find("conflict markers are still in src/file0.txt"), std::string::npos) << r.error;
  git(wt("t1"), {"merge", "--abort"});
  EXPECT_EQ(vcs_->commit("t1", "m")["changed"], false);
}

TEST_F(VcsWorktree, OperationsOnAnUnknownTaskAreNotFound) {
  EXPECT_EQ(vcs_->call(&V::commit, {{"task_id", "ghost"}, {"message", "m"}}).status, DROVER_NOT_FOUND);
  EXPECT_EQ(vcs_->call(&V::merge, {{"task_id", "ghost"}, {"target_branch", "main"}}).status, DROVER_NOT_FOUND);
  EXPECT_EQ(vcs_->call(&V::diff_summary, {{"task_id", "ghost"}, {"target_branch", "main"}}).status, DROVER_NOT_FOUND);
}

}  // namespace
}  // namespace drover::vcs_tests
