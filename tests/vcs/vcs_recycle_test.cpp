// Git-specific: recycled worktrees (vcs.config.reuse_worktrees, keep_ignored,
// worktree_pool_size). A finished task's clean, merged worktree goes to a pool
// and the next task's worktree is made from it, writing only differing files.
#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
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

// While alive, the calling thread works without CAP_DAC_OVERRIDE and
// CAP_FOWNER (only the effective set: they come back afterwards), so even root
// cannot delete a file in a read-only directory. No-op for other users.
class WithoutPermissionOverride {
 public:
  WithoutPermissionOverride() { active_ = ::geteuid() == 0 && set(false); }
  ~WithoutPermissionOverride() {
    if (active_) set(true);
  }
  WithoutPermissionOverride(const WithoutPermissionOverride&) = delete;
  WithoutPermissionOverride& operator=(const WithoutPermissionOverride&) = delete;

 private:
  static bool set(bool on) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0) return false;
    for (int cap : {CAP_DAC_OVERRIDE, CAP_FOWNER}) {
      const unsigned bit = 1u << (cap % 32);
      if (on) data[cap / 32].effective |= bit & data[cap / 32].permitted;
      else data[cap / 32].effective &= ~bit;
    }
    return ::syscall(SYS_capset, &header, data) == 0;
  }
  bool active_ = false;
};

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
  // The inode of a checked-out file, kept alive by a hard link outside the
  // worktree: once the file is deleted the filesystem cannot hand the same
  // number to a freshly written file, so "a different inode" proves a rewrite.
  ino_t held_inode_of(const fs::path& p) {
    const fs::path link = tmp_.path() / ("held-" + std::to_string(held_++));
    fs::create_hard_link(p, link);
    return inode_of(link);
  }
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

  std::size_t pool_refs() const {
    std::string out = git(repo_, {"for-each-ref", "--format=%(refname)", "refs/drover/pool/"});
    return out.empty() ? 0 : static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n') + 1);
  }
  // Nothing left behind in the worktree dir but the pool, and one pool ref per pooled worktree.
  void expect_no_leftovers() {
    for (const auto& e : fs::directory_iterator(repo_ / ".drover" / "worktrees")) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name == ".pool" || name == ".drover-worktrees") << name;
    }
    EXPECT_EQ(pool_refs(), pooled());
  }
  fs::path admin(const std::string& task) const { return repo_ / ".git" / "worktrees" / task; }

  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  int held_ = 0;
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsRecycle, ALandedWorktreeIsPooledAndTheNextTaskWritesOnlyWhatDiffers) {
  open();
  vcs_->prepare("t1");
  const ino_t untouched = held_inode_of(wt("t1") / "src" / "file5.txt");
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
  // A merge in progress (left by an agent) with a clean status: removed
  // without force (nothing is lost: `side` keeps its commit) but not recycled.
  vcs_->prepare("t3");
  EXPECT_EQ(pooled(), 0u);
  git(wt("t3"), {"checkout", "-q", "-b", "side"});
  write_file(wt("t3") / "side.txt", "side\n");
  git(wt("t3"), {"add", "side.txt"});
  git(wt("t3"), {"commit", "-q", "-m", "side"});
  git(wt("t3"), {"checkout", "-q", "drover/t3"});
  git(wt("t3"), {"merge", "--no-commit", "--no-ff", "-s", "ours", "side"});
  ASSERT_TRUE(fs::exists(repo_ / ".git" / "worktrees" / "t3" / "MERGE_HEAD"));
  ASSERT_EQ(git(wt("t3"), {"status", "--porcelain", "--untracked-files=all"}), "");
  json r3 = vcs_->ok(&V::remove_worktree, {{"task_id", "t3"}, {"target_branch", "main"}});
  EXPECT_EQ(r3["removed"], true);
  EXPECT_EQ(r3["recycled"], false);
  EXPECT_EQ(pooled(), 0u);
  // A locked worktree (`git worktree lock`): refused without force, nothing moved.
  vcs_->prepare("t4");
  git(repo_, {"worktree", "lock", wt("t4").string()});
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "t4"}, {"target_branch", "main"}}).status, DROVER_CONFLICT);
  EXPECT_TRUE(fs::exists(wt("t4") / "README.md"));
  EXPECT_EQ(pooled(), 0u);
  git(repo_, {"worktree", "unlock", wt("t4").string()});
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t4"}, {"target_branch", "main"}})["recycled"], true);
  // Commits on a detached HEAD that are in no branch: refused without force.
  vcs_->prepare("t5");
  git(wt("t5"), {"checkout", "-q", "--detach"});
  write_file(wt("t5") / "detached.txt", "d\n");
  git(wt("t5"), {"add", "detached.txt"});
  git(wt("t5"), {"commit", "-q", "-m", "on a detached HEAD"});
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "t5"}, {"target_branch", "main"}}).status, DROVER_CONFLICT);
  EXPECT_TRUE(fs::exists(wt("t5") / "detached.txt"));
  json r5 = vcs_->ok(&V::remove_worktree, {{"task_id", "t5"}, {"target_branch", "main"}, {"force", true}});
  EXPECT_EQ(r5["recycled"], false);
  EXPECT_NE(r5["discarded"].dump().find("HEAD of"), std::string::npos) << r5.dump();
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

// The pooled commit is kept by refs/drover/pool/<slot>: after a squash the
// branch's commit is in no branch, and gc must not take it.
TEST_F(VcsRecycle, APooledCommitSurvivesGcAndAGcedOneFallsBackToAFreshCheckout) {
  for (bool drop_ref : {false, true}) {
    SCOPED_TRACE(drop_ref ? "pool ref deleted before gc" : "pool ref kept");
    open();
    const std::string a = drop_ref ? "g3" : "g1", b = drop_ref ? "g4" : "g2";
    vcs_->prepare(a);
    const ino_t untouched = held_inode_of(wt(a) / "src" / "file5.txt");
    write_file(wt(a) / (a + ".txt"), "x\n");
    vcs_->commit(a, "work");
    const std::string pooled_at = git(wt(a), {"rev-parse", "HEAD"});
    EXPECT_EQ(vcs_->merge(a, "main", "squash")["result"], "merged");
    EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", a}, {"target_branch", "main"}})["recycled"], true);
    EXPECT_EQ(pool_refs(), 1u);
    if (drop_ref) git(repo_, {"update-ref", "-d", git(repo_, {"for-each-ref", "--format=%(refname)", "refs/drover/pool/"})});
    git(repo_, {"reflog", "expire", "--expire=now", "--all"});
    git(repo_, {"gc", "-q", "--prune=now"});
    EXPECT_EQ(git_run(repo_, {"cat-file", "-e", pooled_at + "^{commit}"}).exit_code == 0, !drop_ref);
    write_file(repo_ / "src" / "file0.txt", "changed on main for " + b + "\n");
    git(repo_, {"commit", "-q", "-am", "main moves"});
    vcs_->prepare(b);
    expect_fresh_checkout(b);
    EXPECT_EQ(inode_of(wt(b) / "src" / "file5.txt") == untouched, !drop_ref);
    EXPECT_EQ(pooled(), 0u);
    vcs_->ok(&V::remove_worktree, {{"task_id", b}, {"target_branch", "main"}});
    expect_no_leftovers();
  }
}

// An ignored file that cannot be deleted: the checkout fails, a fresh one is made.
TEST_F(VcsRecycle, AnIgnoredFileTheCheckoutCannotDeleteFallsBackToAFreshCheckout) {
  open();
  vcs_->prepare("t1");
  write_file(wt("t1") / "build" / "ro" / "cache.o", "object\n");
  fs::permissions(wt("t1") / "build" / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  {
    const WithoutPermissionOverride as_a_plain_user;  // as root, the delete would succeed
    ASSERT_FALSE(::unlink((wt("t1") / "build" / "ro" / "cache.o").c_str()) == 0) << "the file is deletable: nothing is tested";
    EXPECT_EQ(land("t1", "a.txt")["recycled"], true);
    vcs_->prepare("t2");
  }
  expect_fresh_checkout("t2");
  EXPECT_FALSE(fs::exists(wt("t2") / "build"));
  for (auto it = fs::recursive_directory_iterator(repo_ / ".drover" / "worktrees"); it != fs::recursive_directory_iterator(); ++it)
    if (it->is_directory()) fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add);
}

// A file ignored at the pooled commit but not at the new base would be left
// as an untracked file (and end up in the next commit): a fresh checkout instead.
TEST_F(VcsRecycle, AFileIgnoredOnlyAtThePooledCommitIsNotLeftBehind) {
  for (bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "keep_ignored: true" : "keep_ignored: false");
    open(std::string("reuse_worktrees: true\nkeep_ignored: ") + (keep ? "true" : "false") + "\n");
    const std::string a = keep ? "k1" : "r1", b = keep ? "k2" : "r2";
    write_file(repo_ / ".gitignore", "/build/\n");
    git(repo_, {"add", ".gitignore"});
    git_run(repo_, {"commit", "-q", "-m", "ignore build"});
    vcs_->prepare(a);
    write_file(wt(a) / "build" / "cache.o", "object\n");
    EXPECT_EQ(land(a, a + ".txt")["recycled"], true);
    write_file(repo_ / ".gitignore", "/other/\n");
    git(repo_, {"add", ".gitignore"});
    git(repo_, {"commit", "-q", "-m", "build is no longer ignored"});
    vcs_->prepare(b);
    EXPECT_FALSE(fs::exists(wt(b) / "build"));
    expect_fresh_checkout(b);
    vcs_->ok(&V::remove_worktree, {{"task_id", b}, {"target_branch", "main"}});
    expect_no_leftovers();
  }
}

// libgit2's checkout never removes an ignored nested repository: such a
// worktree is not recycled.
TEST_F(VcsRecycle, AWorktreeWithAnIgnoredNestedRepositoryIsNotRecycled) {
  open();
  vcs_->prepare("t1");
  fs::create_directories(wt("t1") / "build" / "deps");
  git(wt("t1") / "build" / "deps", {"init", "-q", "nested"});
  EXPECT_EQ(land("t1", "a.txt")["recycled"], false);
  EXPECT_EQ(pooled(), 0u);
  expect_no_leftovers();
}

// A submodule's files and its git dir (<admin>/modules) are never recycled.
TEST_F(VcsRecycle, AWorktreeWithACheckedOutSubmoduleIsNotRecycled) {
  const fs::path sub = tmp_.path() / "sub";
  init_repo(sub, "main", 2);
  git(repo_, {"-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.string(), "mod"});
  git(repo_, {"commit", "-q", "-m", "a submodule"});
  open();
  // Not initialised (an empty gitlink directory): recycled.
  EXPECT_EQ(land("t0", "0.txt")["recycled"], true);
  vcs_->prepare("t1");
  EXPECT_TRUE(fs::is_empty(wt("t1") / "mod"));
  git(wt("t1"), {"-c", "protocol.file.allow=always", "submodule", "update", "-q", "--init"});
  ASSERT_TRUE(fs::exists(wt("t1") / "mod" / "README.md"));
  EXPECT_EQ(land("t1", "a.txt")["recycled"], false);
  EXPECT_EQ(pooled(), 0u);
  // Only a git dir of it left (the files deleted by hand): not recycled either.
  vcs_->prepare("t2");
  git(wt("t2"), {"-c", "protocol.file.allow=always", "submodule", "update", "-q", "--init"});
  git(wt("t2"), {"submodule", "deinit", "-q", "-f", "mod"});
  ASSERT_TRUE(fs::exists(admin("t2") / "modules"));
  EXPECT_EQ(land("t2", "b.txt")["recycled"], false);
  expect_no_leftovers();
}

// Only the index moves to the pool: the admin dir of the next task is new.
TEST_F(VcsRecycle, NothingOfTheOldAdminDirCarriesOver) {
  open();
  vcs_->prepare("t1");
  const ino_t untouched = held_inode_of(wt("t1") / "src" / "file5.txt");
  write_file(admin("t1") / "MERGE_MSG", "a merge message\n");
  write_file(admin("t1") / "SQUASH_MSG", "a squash message\n");
  write_file(admin("t1") / "config.worktree", "[user]\n\tname = Someone Else\n");
  write_file(admin("t1") / "refs" / "worktree" / "mine", git(repo_, {"rev-parse", "main"}) + "\n");
  EXPECT_EQ(land("t1", "a.txt")["recycled"], true);
  vcs_->prepare("t2");
  EXPECT_EQ(inode_of(wt("t2") / "src" / "file5.txt"), untouched);  // recycled
  expect_fresh_checkout("t2");
  for (const char* stale : {"MERGE_MSG", "SQUASH_MSG", "config.worktree", "refs", "logs", "ORIG_HEAD", "drover-recycled-from"})
    EXPECT_FALSE(fs::exists(admin("t2") / stale)) << stale;
  // The pooled tree has no .git file while pooled.
  EXPECT_EQ(land("t2", "b.txt")["recycled"], true);
  for (const auto& e : fs::directory_iterator(pool())) EXPECT_FALSE(fs::exists(e.path() / "tree" / ".git"));
}

// What goes into the pool of a worktree's admin dir: the index and the files
// the next registration overwrites in place (no new file under the worktrees
// lock), nothing else of the task it served.
TEST_F(VcsRecycle, APooledAdminDirHoldsOnlyWhatTheNextRegistrationOverwrites) {
  open();
  vcs_->prepare("t1");
  write_file(admin("t1") / "MERGE_MSG", "a merge message\n");
  write_file(admin("t1") / "logs" / "HEAD", "a reflog\n");
  EXPECT_EQ(land("t1", "a.txt")["recycled"], true);
  ASSERT_EQ(pooled(), 1u);
  const fs::path slot = fs::directory_iterator(pool())->path();
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(slot / "admin")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  const std::vector<std::string> allowed = {"HEAD", "commondir", "drover-base", "drover-complete",
                                            "drover-dotgit", "drover-target", "gitdir", "index"};
  for (const auto& n : names) EXPECT_TRUE(std::count(allowed.begin(), allowed.end(), n)) << n;
  const std::string head = read_file(slot / "admin" / "HEAD");  // detached at the commit of the files
  ASSERT_EQ(head.size(), 41u) << head;
  EXPECT_EQ(git(repo_, {"cat-file", "-t", head.substr(0, 40)}), "commit");
  EXPECT_FALSE(fs::exists(slot / "tree" / ".git"));
  // Nothing of the remove's reserved slot is left in a registered admin dir either.
  vcs_->prepare("t2");
  EXPECT_FALSE(fs::exists(admin("t2") / "drover-pool-slot"));
  EXPECT_FALSE(fs::exists(admin("t2") / "drover-dotgit"));
  EXPECT_EQ(read_file(wt("t2") / ".git"), "gitdir: " + admin("t2").string() + "\n");
}

// The next task of a chain starts from the tree its blocker landed: the
// pooled worktree's files already are the base's, and nothing needs writing.
// Whatever happened to them while pooled, the worktree is still exactly the
// base when prepare_worktree returns.
TEST_F(VcsRecycle, ThePooledTreeBeingTheBasesWritesNothingYetChangesWhilePooledAreUndone) {
  for (bool tamper : {false, true}) {
    SCOPED_TRACE(tamper ? "changed while pooled" : "untouched while pooled");
    open();
    const std::string a = tamper ? "x1" : "y1", b = tamper ? "x2" : "y2";
    vcs_->prepare(a);
    EXPECT_EQ(land(a, a + ".txt")["recycled"], true);
    ASSERT_EQ(pooled(), 1u);
    const fs::path tree = fs::directory_iterator(pool())->path() / "tree";
    const ino_t index_before = held_inode_of(fs::directory_iterator(pool())->path() / "admin" / "index");
    if (tamper) {
      write_file(tree / "src" / "file5.txt", "changed while pooled\n");
      write_file(tree / "stray.txt", "untracked\n");
      fs::remove(tree / "src" / "file6.txt");
    }
    vcs_->prepare(b);  // main is at a's landing: the same tree as the pooled commit's
    // Untouched: not even the index was written again (checked before git
    // status below, which refreshes the index and may write it).
    if (!tamper) EXPECT_EQ(inode_of(admin(b) / "index"), index_before);
    expect_fresh_checkout(b);
    EXPECT_EQ(read_file(wt(b) / "src" / "file5.txt"), read_file(repo_ / "src" / "file5.txt"));
    EXPECT_FALSE(fs::exists(wt(b) / "stray.txt"));
    EXPECT_TRUE(fs::exists(wt(b) / "src" / "file6.txt"));
    vcs_->ok(&V::remove_worktree, {{"task_id", b}, {"target_branch", "main"}});
    vcs_.reset();
  }
}

// A claimed worktree remembers the new task's target, not the one of the task
// whose admin files it carried over.
TEST_F(VcsRecycle, AClaimedWorktreeRemembersTheNewTasksTarget) {
  open();
  vcs_->prepare("t1");
  const ino_t untouched = held_inode_of(wt("t1") / "src" / "file5.txt");
  EXPECT_EQ(land("t1", "a.txt")["recycled"], true);
  git(repo_, {"branch", "release", "main"});
  vcs_->prepare("t2", "release");
  EXPECT_EQ(inode_of(wt("t2") / "src" / "file5.txt"), untouched);  // recycled
  EXPECT_EQ(read_file(admin("t2") / "drover-target"), "release\n");
  // remove_worktree without a target uses the remembered one: release.
  write_file(wt("t2") / "b.txt", "b\n");
  vcs_->commit("t2", "b");
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "t2"}}).status, DROVER_CONFLICT);  // not in release yet
  EXPECT_EQ(vcs_->merge("t2", "release")["result"], "merged");
  EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t2"}})["removed"], true);
}

// A pool entry as an earlier Drover left it (the admin dir holds only the
// index and HEAD) is still taken, its missing files written afresh.
TEST_F(VcsRecycle, APoolEntryWithOnlyIndexAndHeadIsStillTaken) {
  open();
  vcs_->prepare("t1");
  const ino_t untouched = held_inode_of(wt("t1") / "src" / "file5.txt");
  EXPECT_EQ(land("t1", "a.txt")["recycled"], true);
  const fs::path slot = fs::directory_iterator(pool())->path();
  for (const auto& e : fs::directory_iterator(slot / "admin"))
    if (e.path().filename() != "index" && e.path().filename() != "HEAD") fs::remove_all(e.path());
  advance_main();
  vcs_->prepare("t2");
  EXPECT_EQ(inode_of(wt("t2") / "src" / "file5.txt"), untouched);  // recycled
  expect_fresh_checkout("t2");
  EXPECT_TRUE(fs::exists(admin("t2") / "drover-complete"));
  EXPECT_FALSE(fs::exists(admin("t2") / "drover-recycled-from"));
  EXPECT_EQ(read_file(admin("t2") / "drover-target"), "main\n");
  EXPECT_EQ(land("t2", "b.txt")["recycled"], true);
  expect_no_leftovers();
}

// A task branch checked out anywhere (the user's checkout, a linked worktree
// of the user's) is not deleted by remove_worktree, recycled or not.
TEST_F(VcsRecycle, ABranchCheckedOutElsewhereIsKept) {
  for (bool reuse : {true, false}) {
    SCOPED_TRACE(reuse ? "reuse_worktrees: true" : "reuse_worktrees: false");
    open(std::string("reuse_worktrees: ") + (reuse ? "true" : "false") + "\n");
    const std::string a = reuse ? "a1" : "a2", b = reuse ? "b1" : "b2";
    // A linked worktree of the user's on the task's branch.
    vcs_->prepare(a);
    write_file(wt(a) / (a + ".txt"), "a\n");
    vcs_->commit(a, "work of " + a);
    EXPECT_EQ(vcs_->merge(a)["result"], "merged");
    const fs::path mine = tmp_.path() / ("mine-" + a);
    git(repo_, {"worktree", "add", "-q", "-f", mine.string(), "drover/" + a});
    auto r = vcs_->call(&V::remove_worktree, {{"task_id", a}, {"target_branch", "main"}});
    EXPECT_EQ(r.status, DROVER_CONFLICT) << r.error;
    EXPECT_EQ(git(repo_, {"branch", "--list", "drover/" + a}), "+ drover/" + a);  // checked out in a worktree
    git(repo_, {"worktree", "remove", "-f", mine.string()});
    EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", a}, {"target_branch", "main"}})["removed"], true);
    EXPECT_EQ(git(repo_, {"branch", "--list", "drover/" + a}), "");
    // The user's own checkout on the task's branch.
    vcs_->prepare(b);
    write_file(wt(b) / (b + ".txt"), "b\n");
    vcs_->commit(b, "work of " + b);
    EXPECT_EQ(vcs_->merge(b)["result"], "merged");
    git(repo_, {"checkout", "-q", "--ignore-other-worktrees", "drover/" + b});
    r = vcs_->call(&V::remove_worktree, {{"task_id", b}, {"target_branch", "main"}});
    EXPECT_EQ(r.status, DROVER_CONFLICT) << r.error;
    EXPECT_EQ(git(repo_, {"branch", "--list", "drover/" + b}), "* drover/" + b);
    git(repo_, {"checkout", "-q", "main"});
    EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", b}, {"target_branch", "main"}})["removed"], true);
    EXPECT_EQ(git(repo_, {"branch", "--list", "drover/*"}), "");
    expect_no_leftovers();
    vcs_.reset();
  }
}

// Attributes may change how unchanged blobs are written (eol, filters): a
// .gitattributes change between the pooled commit and the base means a full checkout.
TEST_F(VcsRecycle, AGitattributesChangeMeansAFullCheckout) {
  open();
  vcs_->prepare("t1");
  const ino_t untouched = held_inode_of(wt("t1") / "src" / "file5.txt");
  EXPECT_EQ(land("t1", "a.txt")["recycled"], true);
  write_file(repo_ / "src" / ".gitattributes", "*.txt text eol=crlf\n");
  git(repo_, {"add", "src/.gitattributes"});
  git(repo_, {"commit", "-q", "-m", "crlf"});
  vcs_->prepare("t2");
  EXPECT_NE(inode_of(wt("t2") / "src" / "file5.txt"), untouched);
  EXPECT_NE(read_file(wt("t2") / "src" / "file5.txt").find("\r\n"), std::string::npos);
  expect_fresh_checkout("t2");
}

// A worktree killed in the middle of its checkout (no drover-complete marker)
// whose branch is still at its recorded base holds no work: listed clean,
// removed without force. Commits beyond the base keep it protected.
TEST_F(VcsRecycle, AnUnfinishedCheckoutWithoutCommitsHoldsNoWork) {
  open();
  vcs_->prepare("t1");
  fs::remove(admin("t1") / "drover-complete");
  fs::remove(wt("t1") / "src" / "file3.txt");  // the checkout never got there
  json list = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["dirty"], false) << list.dump();
  EXPECT_EQ(list[0]["merged"], true) << list.dump();
  json r = vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
  EXPECT_EQ(r["removed"], true);
  EXPECT_EQ(r["recycled"], false);
  EXPECT_EQ(r["discarded"], json::array());
  // With a commit beyond the base it is work.
  vcs_->prepare("t2");
  write_file(wt("t2") / "w.txt", "work\n");
  vcs_->commit("t2", "work");
  fs::remove(admin("t2") / "drover-complete");
  fs::remove(wt("t2") / "src" / "file3.txt");
  list = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["dirty"], true) << list.dump();
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "t2"}, {"target_branch", "main"}}).status, DROVER_CONFLICT);
  EXPECT_TRUE(fs::exists(wt("t2") / "w.txt"));
}

// A process ended at each step of putting a worktree into the pool (S*) or
// taking one (C*), as kill -9 there would: the next prepare repairs it,
// nothing landed is lost, and nothing is left behind.
class VcsRecycleCrash : public VcsRecycle, public ::testing::WithParamInterface<const char*> {};

TEST_P(VcsRecycleCrash, TheNextPrepareRepairsIt) {
  const std::string step = GetParam();
  const bool in_remove = step[0] == 'S';
  open();
  vcs_->prepare("t1");
  write_file(wt("t1") / "a.txt", "t1\n");
  vcs_->commit("t1", "work of t1");
  EXPECT_EQ(vcs_->merge("t1")["result"], "merged");
  if (!in_remove) {
    EXPECT_EQ(vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}})["recycled"], true);
    advance_main();
  }
  vcs_.reset();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("DROVER_TEST_CRASH_AT", step.c_str(), 1);
    VcsClient child(repo_, "reuse_worktrees: true\n");
    if (in_remove)
      child.call(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
    else
      child.call(&V::prepare_worktree, {{"task_id", "t2"}, {"target_branch", "main"}});
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 86) << "the step " << step << " was not reached";
  open();
  // Whatever the crash left, the task list can be read and cleaned up.
  json list = vcs_->ok(&V::list_worktrees, {{"target_branch", "main"}});
  for (const auto& w : list)
    if (w["task_id"] == "t1") {
      EXPECT_EQ(w["merged"], true) << list.dump();
      vcs_->ok(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
    }
  vcs_->prepare("t2");
  expect_fresh_checkout("t2");
  EXPECT_EQ(read_file(wt("t2") / "a.txt"), "t1\n");  // t1's work landed and stays
  EXPECT_FALSE(fs::exists(admin("t2") / "drover-recycled-from"));
  EXPECT_TRUE(fs::exists(admin("t2") / "drover-complete"));
  EXPECT_EQ(land("t2", "b.txt")["removed"], true);
  EXPECT_EQ(git(repo_, {"branch", "--list", "drover/*"}), "");
  EXPECT_EQ(git(repo_, {"worktree", "list", "--porcelain"}).find(".drover"), std::string::npos);
  expect_no_leftovers();
  EXPECT_LE(pooled(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Steps, VcsRecycleCrash, ::testing::Values("S1", "S2", "S3", "S4", "C1", "C2", "C3", "C4"));

// Several threads prepare tasks against a pool of one while another removes:
// every worktree ends up an exact checkout, the pool within its bound.
TEST_F(VcsRecycle, ConcurrentPreparesAndRemovesShareAPoolOfOne) {
  const std::string config = "reuse_worktrees: true\nworktree_pool_size: 1\n";
  open(config);
  EXPECT_EQ(land("t0", "0.txt")["recycled"], true);
  vcs_->prepare("q");
  write_file(wt("q") / "q.txt", "q\n");
  vcs_->commit("q", "q");
  EXPECT_EQ(vcs_->merge("q")["result"], "merged");
  std::vector<std::thread> threads;
  std::vector<int> statuses(5, -1);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      VcsClient c(repo_, config);
      statuses[i] = c.call(&V::prepare_worktree, {{"task_id", "p" + std::to_string(i)}, {"target_branch", "main"}}).status;
    });
  threads.emplace_back([&] {
    VcsClient c(repo_, config);
    statuses[4] = c.call(&V::remove_worktree, {{"task_id", "q"}, {"target_branch", "main"}}).status;
  });
  for (auto& t : threads) t.join();
  for (int s : statuses) EXPECT_EQ(s, DROVER_OK);
  EXPECT_LE(pooled(), 1u);
  for (int i = 0; i < 4; ++i) {
    const std::string task = "p" + std::to_string(i);
    EXPECT_EQ(git(wt(task), {"status", "--porcelain", "--untracked-files=all", "--ignored"}), "") << task;
    EXPECT_EQ(git(wt(task), {"symbolic-ref", "HEAD"}), "refs/heads/drover/" + task);
    vcs_->ok(&V::remove_worktree, {{"task_id", task}, {"target_branch", "main"}});
  }
  EXPECT_LE(pooled(), 1u);
  expect_no_leftovers();
}

// The engine frees a worker as soon as its task completed, so the next
// task's prepare runs while the finished task's remove_worktree still checks
// its worktree. Landing marks that worktree as on its way to the pool; the
// prepare waits for it instead of checking out in full.
TEST_F(VcsRecycle, APrepareWaitsForALandedWorktreeOnItsWayToThePool) {
  const std::string config = "reuse_worktrees: true\n";
  open(config);
  vcs_->prepare("t1");
  const ino_t untouched = held_inode_of(wt("t1") / "src" / "file5.txt");
  ASSERT_NE(untouched, 0u);
  write_file(wt("t1") / "a.txt", "t1\n");
  vcs_->commit("t1", "a");
  EXPECT_EQ(vcs_->merge("t1")["result"], "merged");
  EXPECT_TRUE(fs::exists(admin("t1") / "drover-pool-pending"));
  EXPECT_EQ(pooled(), 0u);
  std::thread remover([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    VcsClient c(repo_, config);
    EXPECT_EQ(c.ok(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}})["recycled"], true);
  });
  vcs_->prepare("t2");
  remover.join();
  EXPECT_EQ(pooled(), 0u);
  EXPECT_EQ(inode_of(wt("t2") / "src" / "file5.txt"), untouched);  // t1's worktree, recycled
  expect_fresh_checkout("t2");
  EXPECT_EQ(read_file(wt("t2") / "a.txt"), "t1\n");
}

// A mark nobody acts on does not hold a prepare up: one left by a process
// that is gone is ignored, and remove_worktree clears the mark even when it
// refuses to remove.
TEST_F(VcsRecycle, APendingMarkOfADeadProcessOrARefusedRemoveHoldsNobodyUp) {
  open();
  vcs_->prepare("t1");
  write_file(wt("t1") / "a.txt", "t1\n");
  vcs_->commit("t1", "a");
  EXPECT_EQ(vcs_->merge("t1")["result"], "merged");
  const fs::path mark = admin("t1") / "drover-pool-pending";
  ASSERT_TRUE(fs::exists(mark));
  const pid_t gone = ::fork();
  if (gone == 0) ::_exit(0);
  ::waitpid(gone, nullptr, 0);
  write_file(mark, std::to_string(gone) + "\n");
  auto t0 = std::chrono::steady_clock::now();
  vcs_->prepare("t2");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  expect_fresh_checkout("t2");

  write_file(mark, std::to_string(::getpid()) + "\n");
  write_file(wt("t1") / "dirty.txt", "not committed\n");
  EXPECT_EQ(vcs_->call(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}}).status, DROVER_CONFLICT);
  EXPECT_FALSE(fs::exists(mark));
  t0 = std::chrono::steady_clock::now();
  vcs_->prepare("t3");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  expect_fresh_checkout("t3");
}

}  // namespace
}  // namespace drover::vcs_tests
