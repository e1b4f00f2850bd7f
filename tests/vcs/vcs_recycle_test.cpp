// Git-specific: recycled worktrees (vcs.config.reuse_worktrees, keep_ignored,
// worktree_pool_size). A finished task's clean, merged worktree goes to a pool
// and the next task's worktree is made from it, writing only differing files.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

ino_t inode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

class VcsRecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    init_repo(repo_, "main", 40);
    write_file(repo_ / ".gitignore", "/build/\n");
    git(repo_, {"add", ".gitignore"});
    git(repo_, {"commit", "-q", "-m", "ignore build"});
  }
  void open(const std::string& config = "reuse_worktrees: true\n") { vcs_ = std::make_unique<VcsClient>(repo_, config); }
  fs::path wt(const std::string& task) const { return worktree_of(repo_, task); }
  fs::path pool() const { return repo_ / ".drover" / "worktrees" / ".pool"; }
  std::size_t pooled() const {
    std::size_t n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(pool(), ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
  }
  // A task that adds one file and lands.
  json land(const std::string& task, const std::string& file) {
    vcs_->prepare(task);
    write_file(wt(task) / file, task + "\n");
    vcs_->commit(task, "work of " + task);
    json m = vcs_->merge(task);
    EXPECT_EQ(m["result"], "merged") << m.dump();
    return vcs_->ok(&V::remove_worktree, {{"task_id", task}, {"target_branch", "main"}});
  }
  // Changes main behind the pool's back: one file edited, one deleted, one added.
  void advance_main() {
    write_file(repo_ / "src" / "file0.txt", "changed on main\n");
    git(repo_, {"rm", "-q", "src/file1.txt"});
    write_file(repo_ / "src" / "new.txt", "new on main\n");
    git(repo_, {"add", "-A", "src"});
    git(repo_, {"commit", "-q", "-m", "main moves"});
  }
  // The worktree is exactly a clean checkout of main's tip on its task branch.
  void expect_fresh_checkout(const std::string& task) {
    EXPECT_EQ(git(wt(task), {"symbolic-ref", "HEAD"}), "refs/heads/drover/" + task);
    EXPECT_EQ(git(wt(task), {"rev-parse", "HEAD"}), git(repo_, {"rev-parse", "main"}));
    EXPECT_EQ(git(wt(task), {"status", "--porcelain", "--untracked-files=all"}), "");
    std::vector<std::string> tracked;
    {
      std::string files = git(wt(task), {"ls-files"});
      std::istringstream in(files);
      for (std::string l; std::getline(in, l);) tracked.push_back(l);
      std::sort(tracked.begin(), tracked.end());
    }
    std::vector<std::string> on_disk;
    for (const auto& f : list_tree(wt(task)))
      if (f.rfind("build/", 0) != 0) on_disk.push_back(f);
    EXPECT_EQ(on_disk, tracked);
  }

  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsRecycle, ALandedWorktreeIsPooledAndTheNextTaskWritesOnlyWhatDiffers) {
  open();
  vcs_->prepare("t1");
  const ino_t untouched = inode_of(wt("t1") / "src" / "file5.txt");
  ASSERT_NE(untouched, 0u);
  json rm = land("t1", "a.txt");
  EXPECT_EQ(rm["removed"], true);
  EXPECT_EQ(rm["recycled"], true);
  EXPECT_FALSE(fs::exists(wt("t1")));
  EXPECT_EQ(pooled(), 1u);
  // Gone from git: no worktree entry, no branch.
  EXPECT_EQ(git(repo_, {"worktree", "list", "--porcelain"}).find(".drover"), std::string::npos);
  EXPECT_EQ(git(repo_, {"branch", "--list", "drover/*"}), "");
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "worktrees" / "t1"));

  advance_main();
  json p = vcs_->prepare("t2");
  EXPECT_EQ(p["created"], true);
  EXPECT_EQ(p["base_commit"], git(repo_, {"rev-parse", "main"}));
  EXPECT_EQ(pooled(), 0u);
  expect_fresh_checkout("t2");
  EXPECT_EQ(read_file(wt("t2") / "src" / "file0.txt"), "changed on main\n");
  EXPECT_FALSE(fs::exists(wt("t2") / "src" / "file1.txt"));
  EXPECT_EQ(read_file(wt("t2") / "src" / "new.txt"), "new on main\n");
  EXPECT_EQ(read_file(wt("t2") / "a.txt"), "t1\n");  // landed on main
  // The recycled checkout kept the file nobody changed: not rewritten.
  EXPECT_EQ(inode_of(wt("t2") / "src" / "file5.txt"), untouched);
  // And it works like any worktree: commit, merge, list.
  write_file(wt("t2") / "b.txt", "b\n");
  EXPECT_EQ(vcs_->commit("t2", "b")["changed"], true);
  EXPECT_EQ(vcs_->merge("t2")["result"], "merged");
  json list = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["task_id"], "t2");
}

TEST_F(VcsRecycle, IgnoredFilesAreRemovedUnlessKeepIgnored) {
  for (bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "keep_ignored: true" : "keep_ignored: false");
    open(std::string("reuse_worktrees: true\nkeep_ignored: ") + (keep ? "true" : "false") + "\n");
    const std::string a = keep ? "k1" : "r1", b = keep ? "k2" : "r2";
    vcs_->prepare(a);
    write_file(wt(a) / "build" / "cache.o", "object\n");  // ignored: does not block removal
    EXPECT_EQ(land(a, a + ".txt")["recycled"], true);
    vcs_->prepare(b);
    EXPECT_EQ(fs::exists(wt(b) / "build" / "cache.o"), keep);
    expect_fresh_checkout(b);
    vcs_->ok(&V::remove_worktree, {{"task_id", b}, {"target_branch", "main"}});
  }
}

TEST_F(VcsRecycle, WorktreesWithWorkAreNeverRecycled) {
  open();
  // Uncommitted (untracked) work: refused without force, deleted with it, never pooled.
  vcs_->prepare("t1");
  write_file(wt("t1") / "draft.txt", "draft\n");
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}}).status, DROVER_CONFLICT);
  json forced = vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}, {"force", true}});
  EXPECT_EQ(forced["recycled"], false);
  EXPECT_EQ(pooled(), 0u);
  // Committed but not merged: the same.
  vcs_->prepare("t2");
  write_file(wt("t2") / "x.txt", "x\n");
  vcs_->commit("t2", "unmerged");
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "t2"}, {"target_branch", "main"}}).status, DROVER_CONFLICT);
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t2"}, {"target_branch", "main"}, {"force", true}})["recycled"], false);
  // A merge in progress (left by an agent): not recycled even when forced.
  vcs_->prepare("t3");
  EXPECT_EQ(pooled(), 0u);
  git(wt("t3"), {"checkout", "-q", "-b", "side"});
  write_file(wt("t3") / "side.txt", "side\n");
  git(wt("t3"), {"add", "side.txt"});
  git(wt("t3"), {"commit", "-q", "-m", "side"});
  git(wt("t3"), {"checkout", "-q", "drover/t3"});
  git_run(wt("t3"), {"merge", "--no-commit", "--no-ff", "side"});
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t3"}, {"target_branch", "main"}, {"force", true}})["recycled"], false);
  EXPECT_EQ(pooled(), 0u);
  // A locked worktree (`git worktree lock`) is not recycled.
  vcs_->prepare("t4");
  git(repo_, {"worktree", "lock", wt("t4").string()});
  json r4 = vcs_->ok(&V::remove_worktree, {{"task_id", "t4"}, {"target_branch", "main"}, {"force", true}});
  EXPECT_EQ(r4["recycled"], false);
  EXPECT_EQ(pooled(), 0u);
}

TEST_F(VcsRecycle, ThePoolIsBoundedAndTurningReuseOffEmptiesIt) {
  open("reuse_worktrees: true\nworktree_pool_size: 2\n");
  for (const char* t : {"t1", "t2", "t3"}) vcs_->prepare(t);
  EXPECT_EQ(land("t1", "1.txt")["recycled"], true);
  EXPECT_EQ(land("t2", "2.txt")["recycled"], true);
  EXPECT_EQ(land("t3", "3.txt")["recycled"], false);  // the pool is full
  EXPECT_EQ(pooled(), 2u);
  EXPECT_FALSE(fs::exists(wt("t3")));
  vcs_.reset();
  open("reuse_worktrees: false\n");
  EXPECT_FALSE(fs::exists(pool()));
  vcs_->prepare("t4");
  EXPECT_EQ(land("t4", "4.txt")["recycled"], false);
  EXPECT_FALSE(fs::exists(pool()));
  for (const auto& e : fs::directory_iterator(repo_ / ".drover" / "worktrees"))
    EXPECT_EQ(e.path().filename().string().rfind(".removing", 0), std::string::npos) << e.path();
}

TEST_F(VcsRecycle, ConfigKeysAreValidated) {
  EXPECT_EQ(VcsClient::check_config("reuse_worktrees: maybe\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(VcsClient::check_config("keep_ignored: 3\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(VcsClient::check_config("worktree_pool_size: -1\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(VcsClient::check_config("worktree_pool_size: 300\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(VcsClient::check_config("reuse_worktrees: false\nkeep_ignored: true\nworktree_pool_size: 8\n").status, DROVER_OK);
}

TEST_F(VcsRecycle, LeftoversOfAnInterruptedRecycleAreCleanedUp) {
  open();
  EXPECT_EQ(land("t1", "a.txt")["recycled"], true);
  ASSERT_EQ(pooled(), 1u);
  // A kill right after a claim took the pooled worktree, and one in the middle
  // of putting a worktree into the pool: both leave a directory of their own.
  const fs::path dir = repo_ / ".drover" / "worktrees";
  fs::rename(fs::directory_iterator(pool())->path(), dir / ".claiming-t2-1");
  fs::create_directories(dir / ".recycling-t9-1" / "tree");
  json p = vcs_->prepare("t2");
  EXPECT_EQ(p["created"], true);
  expect_fresh_checkout("t2");
  vcs_->ok(&V::remove_worktree, {{"task_id", "t2"}, {"target_branch", "main"}});
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == ".pool" || name == ".drover-worktrees") << name;
  }
}

// A process killed (SIGKILL) at random moments while it takes a pooled
// worktree and moves it to a new base: the next prepare_worktree always ends
// with an exact checkout of the base, whatever the kill interrupted.
TEST_F(VcsRecycle, KilledWhileClaimingAPooledWorktreeTheNextPrepareRepairsIt) {
  // Enough differing files that the move takes a while.
  for (int i = 0; i < 600; ++i) write_file(repo_ / "bulk" / ("b" + std::to_string(i) + ".txt"), "v1\n");
  git(repo_, {"add", "-A", "bulk"});
  git(repo_, {"commit", "-q", "-m", "bulk v1"});
  int interrupted_mid_checkout = 0;
  for (int round = 0; round < 6; ++round) {
    const std::string a = "a" + std::to_string(round), b = "b" + std::to_string(round);
    open();
    EXPECT_EQ(land(a, a + ".txt")["recycled"], true);
    // main moves: every bulk file changes, so the recycled checkout must rewrite them.
    for (int i = 0; i < 600; ++i)
      write_file(repo_ / "bulk" / ("b" + std::to_string(i) + ".txt"), "v" + std::to_string(round + 2) + "\n");
    git(repo_, {"add", "-A", "bulk"});
    git(repo_, {"commit", "-q", "-m", "bulk moves"});
    vcs_.reset();
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      VcsClient child(repo_, "reuse_worktrees: true\n");
      child.call(&V::prepare_worktree, {{"task_id", b}, {"target_branch", "main"}});
      _exit(0);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(2000 + 8000 * round));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const fs::path admin = repo_ / ".git" / "worktrees" / b;
    if (fs::exists(admin / "drover-recycled-from") && !fs::exists(admin / "drover-complete")) ++interrupted_mid_checkout;
    open();
    json p = vcs_->prepare(b);
    expect_fresh_checkout(b);
    EXPECT_EQ(read_file(wt(b) / "bulk" / "b7.txt"), "v" + std::to_string(round + 2) + "\n");
    EXPECT_FALSE(fs::exists(admin / "drover-recycled-from"));
    vcs_->ok(&V::remove_worktree, {{"task_id", b}, {"target_branch", "main"}});
    if (HasFailure()) break;
  }
  std::cerr << "kills that interrupted the recycled checkout: " << interrupted_mid_checkout << " of 6\n";
}

}  // namespace
}  // namespace drover::vcs_tests
