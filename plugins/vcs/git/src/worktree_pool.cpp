#include "worktree_pool.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "drover/plugin/sdk.hpp"
#include "libgit2_handles.h"
#include "repo_lock.h"
#include "repo_queries.h"
#include "worktree_dir.h"

namespace drover::vcs_git {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRecycledFrom = "drover-recycled-from";
constexpr const char* kComplete = "drover-complete";
constexpr const char* kBase = "drover-base";
constexpr const char* kPoolRefPrefix = "refs/drover/pool/";
constexpr const char* kPoolPending = "drover-pool-pending";
constexpr const char* kTarget = "drover-target";
// A pooled worktree's `.git` file, kept in its admin dir while pooled (the
// tree has none) so the next task's is an overwrite, not a new file.
constexpr const char* kDotGit = "drover-dotgit";
// The directory stage_for_pool renames to .recycling-*, made before the lock.
constexpr const char* kPoolSlot = "drover-pool-slot";
// What of a worktree's admin dir goes with it into the pool: files the next
// task's registration overwrites (claim_from_pool). Written in place rather
// than created, they cost no inode allocation under the worktrees lock (on
// ext4 a create searches the inode table, and with many recent deletions, as
// worktree churn makes, that search dominated a recycle and a claim).
bool carried_over(const std::string& name) {
  for (const char* kept : {"index", "HEAD", "gitdir", "commondir", kBase, kComplete, kRecycledFrom, kTarget, kDotGit})
    if (name == kept) return true;
  return false;
}
// A mark older than this is a leftover (a remove that never came), not a wait.
constexpr auto kPendingMaxAge = std::chrono::seconds(60);

std::string pool_dir(const std::string& worktree_dir) { return worktree_dir + "/.pool"; }

std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

// Writes text to path; false (nothing thrown) when it cannot. An existing
// file is overwritten in place and then cut to length, never truncated to
// zero first: no new inode, no freed and reallocated block, and no flush on
// close (ext4's auto_da_alloc writes back a file truncated to zero and
// rewritten when it is closed). Not atomic, like the truncating write it
// replaces: callers write where a crash leaves nothing anyone trusts (a
// .recycling-* or .claiming-* directory, or a file written again on replay).
bool try_write_text(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  bool ok = true;
  for (std::size_t done = 0; ok && done < text.size();) {
    const ssize_t n = ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n > 0) done += static_cast<std::size_t>(n);
    else ok = n < 0 && errno == EINTR;
  }
  ok = ok && ::ftruncate(fd, static_cast<off_t>(text.size())) == 0;
  return ::close(fd) == 0 && ok;
}

void write_text(const std::string& path, const std::string& text) {
  if (!try_write_text(path, text)) throw sdk::Error(DROVER_ERROR, "vcs git: cannot write " + path);
}

std::optional<std::string> read_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

bool same_device(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev;
}

// Renames an entry of the worktree dir to a .removing-* name (remove_trash deletes those).
void to_trash(const std::string& worktree_dir, const fs::path& entry) {
  std::error_code ec;
  fs::rename(entry, fs::path(worktree_dir) / (".removing-pool-" + unique_suffix()), ec);
  if (ec) fs::remove_all(entry, ec);
}

void delete_pool_ref(git_repository* repo, const std::string& slot) {
  const std::string name = kPoolRefPrefix + slot;
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, name.c_str()) != 0) return;
  RefPtr ref(raw);
  git_reference_delete(ref.get());
}

// Deletes refs/drover/pool/<slot> for every slot not in the pool (all when
// keep_pooled is false). Call with the worktrees lock held: nothing is then
// between staging and publishing.
void prune_pool_refs(git_repository* repo, const std::string& worktree_dir, bool keep_pooled) {
  std::vector<std::string> stale;
  git_reference_iterator* raw_it = nullptr;
  const std::string glob = std::string(kPoolRefPrefix) + "*";
  if (git_reference_iterator_glob_new(&raw_it, repo, glob.c_str()) != 0) return;
  const char* name = nullptr;
  while (git_reference_next_name(&name, raw_it) == 0) {
    const std::string slot = std::string(name).substr(std::strlen(kPoolRefPrefix));
    std::error_code ec;
    if (!keep_pooled || !fs::exists(pool_dir(worktree_dir) + "/" + slot, ec)) stale.push_back(slot);
  }
  git_reference_iterator_free(raw_it);
  for (const auto& slot : stale) delete_pool_ref(repo, slot);
}

// A pooled entry that cannot be used: its ref first, then the directory.
void trash_pool_entry(git_repository* repo, const std::string& worktree_dir, const fs::path& entry,
                      const std::string& slot) {
  delete_pool_ref(repo, slot);
  to_trash(worktree_dir, entry);
}

// True iff some ignored entry of the worktree (scan_worktree's) is or holds a
// .git (a nested repository, which libgit2's checkout never removes).
bool has_ignored_nested_repository(git_repository* wt_repo, const std::vector<std::string>& ignored) {
  const char* workdir = git_repository_workdir(wt_repo);
  if (workdir == nullptr) return false;
  for (const std::string& rel : ignored) {
    const fs::path full = fs::path(workdir) / rel;
    if (full.filename() == ".git" || (full.filename().empty() && full.parent_path().filename() == ".git")) return true;
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(full, ec))) continue;
    if (fs::exists(fs::symlink_status(full / ".git", ec))) return true;
    for (fs::recursive_directory_iterator it(full, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec))
      if (it->path().filename() == ".git") return true;
  }
  return false;
}

// True iff a path ending in .gitattributes differs between the two trees.
bool attributes_differ(git_repository* repo, git_tree* from, git_tree* to) {
  for (const auto& p : changed_paths(repo, from, to)) {
    const std::string suffix = ".gitattributes";
    if (p.size() >= suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0) return true;
  }
  return false;
}

}  // namespace

void crash_point(const char* step) {
  const char* at = std::getenv("DROVER_TEST_CRASH_AT");
  if (at != nullptr && std::strcmp(at, step) == 0) ::_exit(86);
}

void set_aside_interrupted_pool_moves(git_repository* repo, const std::string& worktree_dir) {
  std::error_code ec;
  bool found = false;
  for (fs::directory_iterator it(worktree_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".recycling-", 0) != 0 && name.rfind(".claiming-", 0) != 0) continue;
    sdk::log(DROVER_LOG_WARN, "vcs git: " + it->path().string() +
                                  " was left by an interrupted worktree recycle; deleting it (it held no work)");
    to_trash(worktree_dir, it->path());
    found = true;
  }
  if (found) prune_pool_refs(repo, worktree_dir, true);
}

std::size_t pooled_worktrees(const std::string& worktree_dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(pool_dir(worktree_dir), ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

std::optional<std::string> not_recyclable(git_repository* wt_repo, const std::string& admin_dir,
                                          const std::vector<std::string>& ignored) {
  std::error_code ec;
  if (!checkout_completed(admin_dir)) return "its checkout never completed";
  if (fs::exists(admin_dir + "/modules", ec)) return "it has submodules (" + admin_dir + "/modules)";
  const char* workdir = git_repository_workdir(wt_repo);
  git_index* raw = nullptr;
  if (workdir == nullptr || git_repository_index(&raw, wt_repo) != 0) return "its index cannot be read";
  IndexPtr index(raw);
  for (size_t i = 0, n = git_index_entrycount(index.get()); i < n; ++i) {
    const git_index_entry* e = git_index_get_byindex(index.get(), i);
    if (e->mode != GIT_FILEMODE_COMMIT) continue;
    const fs::path dir = fs::path(workdir) / e->path;
    if (fs::exists(fs::symlink_status(dir, ec)) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
      return std::string("its submodule ") + e->path + " is checked out";
  }
  if (has_ignored_nested_repository(wt_repo, ignored)) return "it holds an ignored nested repository";
  return std::nullopt;
}

std::optional<Staged> stage_for_pool(git_repository* repo, const std::string& worktree_dir, const std::string& path,
                                     const std::string& admin_dir, const git_oid& head, const std::string& task_id) {
  // Renames only: the admin dir must be able to move next to the checkout.
  if (!same_device(worktree_dir, admin_dir)) return std::nullopt;
  Staged staged{"", unique_suffix()};
  staged.dir = worktree_dir + "/.recycling-" + task_id + "-" + staged.slot;
  const std::string tree = staged.dir + "/tree", admin = staged.dir + "/admin";
  std::error_code ec;
  fs::rename(admin_dir + "/" + kPoolSlot, staged.dir, ec);
  if (ec && (!fs::create_directory(staged.dir, ec) || ec)) {
    fs::remove_all(staged.dir, ec);
    return std::nullopt;
  }
  // The pooled commit stays alive while pooled (pooled admin dirs are no gc roots).
  const std::string ref_name = kPoolRefPrefix + staged.slot;
  git_reference* raw_ref = nullptr;
  if (git_reference_create(&raw_ref, repo, ref_name.c_str(), &head, 1, "drover: pooled worktree") != 0) {
    fs::remove_all(staged.dir, ec);
    return std::nullopt;
  }
  git_reference_free(raw_ref);
  // Puts back whatever moved, so the caller deletes the worktree as usual;
  // what cannot be put back is trashed (the worktree is clean and merged).
  bool tree_moved = false, admin_moved = false;
  const std::optional<std::string> old_head = read_line(admin_dir + "/HEAD");
  auto give_up = [&](const std::string& why) -> std::optional<Staged> {
    std::error_code back;
    if (admin_moved) {
      fs::rename(admin + "/" + kDotGit, tree + "/.git", back);
      if (old_head) try_write_text(admin + "/HEAD", *old_head + "\n");
      fs::rename(admin, admin_dir, back);
    }
    if (tree_moved) fs::rename(tree, path, back);
    delete_pool_ref(repo, staged.slot);
    to_trash(worktree_dir, staged.dir);
    sdk::log(DROVER_LOG_INFO, "vcs git: worktree " + path + " is not recycled: " + why);
    return std::nullopt;
  };
  fs::rename(path, tree, ec);
  if (ec) return give_up("cannot move it: " + ec.message());
  tree_moved = true;
  crash_point("S1");
  // Unregistered in one step: the admin dir moves along. Only the index
  // (which matches the files) and the files the next registration
  // overwrites stay in it; MERGE_MSG, config.worktree, logs, refs/worktree/*
  // and anything else of the task it served go, and HEAD names the commit.
  if (!old_head) return give_up("cannot read " + admin_dir + "/HEAD");
  fs::rename(admin_dir, admin, ec);
  if (ec) return give_up("cannot move " + admin_dir + " along: " + ec.message());
  admin_moved = true;
  // A git command run inside the pool must not find (and touch) anyone's index.
  fs::rename(tree + "/.git", admin + "/" + kDotGit, ec);
  if (ec) return give_up("cannot move its .git file: " + ec.message());
  if (!try_write_text(admin + "/HEAD", oid_hex(head) + "\n")) return give_up("cannot write " + admin + "/HEAD");
  crash_point("S2");
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(admin, ec), end; !ec && it != end; it.increment(ec))
    if (!carried_over(it->path().filename().string())) stale.push_back(it->path());
  for (const fs::path& p : stale) {
    std::error_code rm;
    fs::remove_all(p, rm);
    if (rm) return give_up("cannot remove " + p.string() + ": " + rm.message());
  }
  crash_point("S3");
  return staged;
}

void reserve_pool_slot(const std::string& admin_dir) {
  std::error_code ec;
  fs::create_directory(admin_dir + "/" + kPoolSlot, ec);
}

void publish_to_pool(git_repository* repo, const std::string& worktree_dir, const Staged& staged) {
  std::error_code ec;
  fs::create_directories(pool_dir(worktree_dir), ec);
  fs::rename(staged.dir, pool_dir(worktree_dir) + "/" + staged.slot, ec);
  if (ec) trash_pool_entry(repo, worktree_dir, staged.dir, staged.slot);
}

void mark_pool_pending(const std::string& admin_dir) {
  std::error_code ec;
  if (fs::is_directory(admin_dir, ec)) try_write_text(admin_dir + "/" + kPoolPending, std::to_string(::getpid()) + "\n");
}

ClearPoolPending::~ClearPoolPending() {
  std::error_code ec;
  fs::remove(admin_dir + "/" + kPoolPending, ec);
}

namespace {

// True iff some admin dir but skip_task's holds a fresh mark of a live process.
bool recycle_pending(const std::string& common_dir, const std::string& skip_task) {
  std::error_code ec;
  for (fs::directory_iterator it(common_dir + "worktrees", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == skip_task) continue;
    const fs::path mark = it->path() / kPoolPending;
    std::error_code st;
    const auto written = fs::last_write_time(mark, st);
    if (st || fs::file_time_type::clock::now() - written > kPendingMaxAge) continue;
    auto pid = read_line(mark.string());
    const long n = pid ? std::atol(pid->c_str()) : 0;
    if (n > 0 && (::kill(static_cast<pid_t>(n), 0) == 0 || errno == EPERM)) return true;
  }
  return false;
}

}  // namespace

bool await_pending_recycle(const std::string& worktree_dir, const std::string& common_dir, const std::string& skip_task,
                           std::chrono::steady_clock::time_point deadline) {
  // The mark goes with the admin dir while remove_worktree holds the
  // worktrees lock, before the worktree is in the pool: once seen, a claim
  // (under that lock) is worth trying.
  for (bool seen = false;; seen = true) {
    if (pooled_worktrees(worktree_dir) > 0) return true;
    if (!recycle_pending(common_dir, skip_task)) return seen;
    if (std::chrono::steady_clock::now() >= deadline) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool claim_from_pool(git_repository* repo, const std::string& worktree_dir, const std::string& path,
                     const std::string& admin_dir, const std::string& branch, const std::string& target) {
  std::error_code ec;
  if (!fs::is_directory(pool_dir(worktree_dir), ec)) return false;
  git_oid branch_head{};
  if (git_reference_name_to_id(&branch_head, repo, ("refs/heads/" + branch).c_str()) != 0) return false;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(pool_dir(worktree_dir), ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(it->path());
  for (const fs::path& entry : entries) {
    const std::string slot = entry.filename().string();
    const std::string claim = worktree_dir + "/.claiming-" + fs::path(path).filename().string() + "-" + unique_suffix();
    std::error_code mv;
    fs::rename(entry, claim, mv);
    if (mv) continue;
    crash_point("C1");
    // A usable entry: a checkout of a commit (and tree) this repository has.
    git_oid from{};
    auto head = read_line(claim + "/admin/HEAD");
    git_commit* raw = nullptr;
    git_tree* raw_tree = nullptr;
    bool usable = head && git_oid_fromstr(&from, head->c_str()) == 0 && fs::is_directory(claim + "/tree", mv) &&
                  git_commit_lookup(&raw, repo, &from) == 0;
    if (usable) usable = git_commit_tree(&raw_tree, raw) == 0;
    git_tree_free(raw_tree);
    git_commit_free(raw);
    // No longer pooled: the ref goes (from here on, a baseline gc took is
    // caught by complete_checkout, which then checks out afresh).
    delete_pool_ref(repo, slot);
    if (!usable) {
      sdk::log(DROVER_LOG_WARN, "vcs git: the pooled worktree " + entry.string() +
                                    " is not a checkout of a commit this repository has; deleting it");
      to_trash(worktree_dir, claim);
      continue;
    }
    // Point the checkout and its admin dir at each other under the task's
    // names; HEAD on the task's branch, the files still the pooled commit's
    // (drover-recycled-from), no drover-complete marker until they are moved.
    // The admin dir holds only what this writes and the index. The files
    // carried over from the task the worktree served (stage_for_pool) are
    // overwritten in place; its drover-complete marker becomes
    // drover-recycled-from (a rename: the marker is gone before the
    // registration, whatever happens next).
    const std::string admin = claim + "/admin";
    std::vector<fs::path> stale;
    for (fs::directory_iterator it(admin, mv), end; !mv && it != end; it.increment(mv)) {
      const std::string name = it->path().filename().string();
      if (!carried_over(name) || name == kRecycledFrom) stale.push_back(it->path());
    }
    for (const fs::path& p : stale) fs::remove_all(p, ec);
    if (fs::exists(admin + "/" + kComplete, ec)) {
      fs::rename(admin + "/" + kComplete, admin + "/" + kRecycledFrom, mv);
      if (mv) fs::remove(admin + "/" + kComplete, ec);
      if (fs::exists(admin + "/" + kComplete, ec)) {
        to_trash(worktree_dir, claim);
        throw sdk::Error(DROVER_ERROR, "vcs git: cannot clear the checkout marker of a pooled worktree in " + admin);
      }
    }
    write_text(admin + "/" + kRecycledFrom, oid_hex(from) + "\n");
    write_text(admin + "/" + kBase, oid_hex(branch_head) + "\n");
    write_text(admin + "/gitdir", path + "/.git\n");
    write_text(admin + "/commondir", "../..\n");
    write_text(admin + "/HEAD", "ref: refs/heads/" + branch + "\n");
    if (read_line(admin + "/" + kTarget) != target) write_text(admin + "/" + kTarget, target + "\n");
    if (fs::exists(admin + "/" + kDotGit, ec)) {
      write_text(admin + "/" + kDotGit, "gitdir: " + admin_dir + "\n");
      fs::rename(admin + "/" + kDotGit, claim + "/tree/.git", mv);
      if (mv) fs::remove(admin + "/" + kDotGit, ec);
    }
    if (!fs::exists(claim + "/tree/.git", ec)) write_text(claim + "/tree/.git", "gitdir: " + admin_dir + "\n");
    // Registration first, then the directory: a crash in between leaves a
    // registered worktree whose directory is missing, which prepare prunes.
    // (<git-dir>/worktrees itself may be gone: git gc prunes it when empty.)
    fs::create_directories(fs::path(admin_dir).parent_path(), ec);
    fs::rename(admin, admin_dir, mv);
    if (mv) {
      to_trash(worktree_dir, claim);
      throw sdk::Error(DROVER_ERROR, "vcs git: cannot register a recycled worktree as " + admin_dir + ": " + mv.message());
    }
    crash_point("C2");
    fs::rename(claim + "/tree", path, mv);
    if (mv) {
      fs::remove_all(admin_dir, ec);
      to_trash(worktree_dir, claim);
      throw sdk::Error(DROVER_ERROR, "vcs git: cannot move a recycled worktree to " + path + ": " + mv.message());
    }
    crash_point("C3");
    fs::remove(claim, mv);
    return true;
  }
  return false;
}

void register_new_worktree(const std::string& admin_dir, const std::string& path, const std::string& branch,
                           const git_oid& base) {
  std::error_code ec;
  fs::create_directories(fs::path(admin_dir).parent_path(), ec);
  if (::mkdir(admin_dir.c_str(), 0777) != 0)
    throw sdk::Error(DROVER_ERROR, "cannot create " + admin_dir + ": " + std::strerror(errno));
  bool made_path = false;
  try {
    write_text(admin_dir + "/commondir", "../..\n");
    write_text(admin_dir + "/HEAD", "ref: refs/heads/" + branch + "\n");
    record_checkout_base(admin_dir, base);
    if (::mkdir(path.c_str(), 0777) != 0) throw sdk::Error(DROVER_ERROR, "cannot create " + path + ": " + std::strerror(errno));
    made_path = true;
    write_text(path + "/.git", "gitdir: " + admin_dir + "\n");
    write_text(admin_dir + "/gitdir", path + "/.git\n");  // last: from here on, git sees a worktree
  } catch (const sdk::Error&) {
    if (made_path) fs::remove_all(path, ec);
    fs::remove_all(admin_dir, ec);
    throw;
  }
}

void record_checkout_base(const std::string& admin_dir, const git_oid& base) {
  write_text(admin_dir + "/" + kBase, oid_hex(base) + "\n");
}

std::optional<git_oid> recorded_checkout_base(const std::string& admin_dir) {
  auto line = read_line(admin_dir + "/" + kBase);
  git_oid oid{};
  if (!line || git_oid_fromstr(&oid, line->c_str()) != 0) return std::nullopt;
  return oid;
}

bool checkout_completed(const std::string& admin_dir) {
  std::error_code ec;
  return fs::exists(admin_dir + "/" + kComplete, ec);
}

bool complete_checkout(git_repository* wt_repo, const std::string& admin_dir, bool keep_ignored) {
  git_checkout_options co;
  git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_FORCE;
  const std::string where = git_repository_workdir(wt_repo) ? git_repository_workdir(wt_repo) : admin_dir;
  git_oid from{};
  auto recycled = read_line(admin_dir + "/" + kRecycledFrom);
  if (recycled) {
    // From the pooled commit's files to HEAD's: only what differs is written.
    // Nobody worked here (prepare_worktree never returned), so whatever is
    // not in HEAD goes, ignored files too unless kept on purpose. Anything
    // that makes the result doubtful: false, and the caller starts afresh.
    std::string why;
    try {
      if (git_oid_fromstr(&from, recycled->c_str()) != 0) throw sdk::Error(DROVER_ERROR, "unreadable " + std::string(kRecycledFrom));
      CommitPtr base = lookup_commit(wt_repo, from);
      TreePtr base_tree = commit_tree(base.get());
      git_oid head{};
      check(git_reference_name_to_id(&head, wt_repo, "HEAD"), "cannot read HEAD");
      CommitPtr target = lookup_commit(wt_repo, head);
      TreePtr target_tree = commit_tree(target.get());
      // The same tree (a chain: the base is the landing of the task whose
      // worktree this was, and nothing else landed since): the files and the
      // index already are the base's, so the scan below comes first, and the
      // checkout (which rewrites the index, at least) only if it finds
      // anything to undo.
      const bool same_tree = git_oid_equal(git_tree_id(base_tree.get()), git_tree_id(target_tree.get()));
      if (!same_tree && attributes_differ(wt_repo, base_tree.get(), target_tree.get())) {
        why = "a .gitattributes file differs between the pooled commit and the base";
      } else {
        std::optional<WorktreeScan> as_pooled;
        if (same_tree) as_pooled = scan_worktree(wt_repo, !keep_ignored);
        if (!as_pooled || !as_pooled->uncommitted.empty() || !as_pooled->ignored.empty()) {
          co.baseline = base_tree.get();
          co.checkout_strategy |= GIT_CHECKOUT_REMOVE_UNTRACKED | (keep_ignored ? 0 : GIT_CHECKOUT_REMOVE_IGNORED);
          check(git_checkout_tree(wt_repo, reinterpret_cast<const git_object*>(target.get()), &co), "checkout failed");
          as_pooled.reset();
        }
        crash_point("C4");
        // Exactly the base: nothing modified, staged or untracked (a file
        // ignored at the pooled commit but not at the base stays behind as
        // untracked), and nothing ignored unless kept on purpose. One scan
        // (the one above when nothing was to be written).
        const WorktreeScan after = as_pooled ? *as_pooled : scan_worktree(wt_repo, !keep_ignored);
        if (!after.uncommitted.empty())
          why = "files differ from the base after the checkout";
        else if (!after.ignored.empty())
          why = "ignored files could not be removed";
      }
    } catch (const sdk::Error& e) {
      why = e.what();
    }
    if (!why.empty()) {
      sdk::log(DROVER_LOG_WARN, "vcs git: the recycled worktree " + where + " cannot be used (" + why +
                                    "); checking it out afresh");
      return false;
    }
  } else {
    check(git_checkout_head(wt_repo, &co), "vcs git: cannot check out worktree " + where);
  }
  // A recycled checkout's drover-recycled-from becomes the marker (one
  // rename, no new file); the content of drover-complete is never read.
  std::error_code ec;
  if (recycled) fs::rename(admin_dir + "/" + kRecycledFrom, admin_dir + "/" + kComplete, ec);
  if (!recycled || ec) {
    write_text(admin_dir + "/" + kComplete, "checkout complete\n");
    fs::remove(admin_dir + "/" + kRecycledFrom, ec);
  }
  return true;
}

void drain_pool(git_repository* repo, const std::string& common_dir, const std::string& worktree_dir) {
  std::error_code ec;
  if (!fs::is_directory(pool_dir(worktree_dir), ec) || !is_claimed_worktree_dir(worktree_dir)) return;
  {
    RepoLock lock(RepoLock::worktrees_lock_path(common_dir));
    for (fs::directory_iterator it(pool_dir(worktree_dir), ec), end; !ec && it != end; it.increment(ec))
      to_trash(worktree_dir, it->path());
    fs::remove(pool_dir(worktree_dir), ec);
    prune_pool_refs(repo, worktree_dir, false);
  }
  for (fs::directory_iterator it(worktree_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind(".removing-pool-", 0) == 0) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
}

}  // namespace drover::vcs_git
