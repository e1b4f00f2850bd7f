#include "worktree_pool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "drover/plugin/sdk.hpp"
#include "libgit2_handles.h"
#include "repo_lock.h"
#include "repo_queries.h"

namespace drover::vcs_git {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRecycledFrom = "drover-recycled-from";
constexpr const char* kComplete = "drover-complete";

std::string pool_dir(const std::string& worktree_dir) { return worktree_dir + "/.pool"; }

std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw sdk::Error(DROVER_ERROR, "vcs git: cannot write " + path);
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

}  // namespace

void set_aside_interrupted_pool_moves(const std::string& worktree_dir) {
  std::error_code ec;
  for (fs::directory_iterator it(worktree_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".recycling-", 0) != 0 && name.rfind(".claiming-", 0) != 0) continue;
    sdk::log(DROVER_LOG_WARN, "vcs git: " + it->path().string() +
                                  " was left by an interrupted worktree recycle; deleting it (it held no work)");
    to_trash(worktree_dir, it->path());
  }
}

std::size_t pooled_worktrees(const std::string& worktree_dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(pool_dir(worktree_dir), ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

std::optional<std::string> stage_for_pool(const std::string& worktree_dir, const std::string& path,
                                          const std::string& admin_dir, const git_oid& head, const std::string& task_id) {
  // Renames only: the admin dir must be able to move next to the checkout.
  if (!same_device(worktree_dir, admin_dir)) return std::nullopt;
  const std::string staged = worktree_dir + "/.recycling-" + task_id + "-" + unique_suffix();
  std::error_code ec;
  if (!fs::create_directory(staged, ec) || ec) return std::nullopt;
  fs::rename(path, staged + "/tree", ec);
  if (ec) {
    fs::remove(staged, ec);
    return std::nullopt;
  }
  // From here on a failure must not put anything back half-way: a staged
  // leftover is deleted by the next prepare/remove, and the task's
  // registration without its directory is pruned like any vanished worktree.
  fs::rename(admin_dir, staged + "/admin", ec);
  if (ec) throw sdk::Error(DROVER_ERROR, "vcs git: cannot move " + admin_dir + " aside: " + ec.message());
  // Detached at the commit its files and index are a checkout of; nothing of
  // the task it served stays.
  write_text(staged + "/admin/HEAD", oid_hex(head) + "\n");
  for (const char* stale : {"ORIG_HEAD", "FETCH_HEAD", "drover-target", "drover-conflicts", kRecycledFrom, "logs"})
    fs::remove_all(staged + "/admin/" + stale, ec);
  return staged;
}

void publish_to_pool(const std::string& worktree_dir, const std::string& staged) {
  std::error_code ec;
  fs::create_directories(pool_dir(worktree_dir), ec);
  fs::rename(staged, pool_dir(worktree_dir) + "/" + unique_suffix(), ec);
  if (ec) to_trash(worktree_dir, staged);
}

bool claim_from_pool(git_repository* repo, const std::string& worktree_dir, const std::string& path,
                     const std::string& admin_dir, const std::string& branch) {
  std::error_code ec;
  if (!fs::is_directory(pool_dir(worktree_dir), ec)) return false;
  for (fs::directory_iterator it(pool_dir(worktree_dir), ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path entry = it->path();
    const std::string claim = worktree_dir + "/.claiming-" + fs::path(path).filename().string() + "-" + unique_suffix();
    std::error_code mv;
    fs::rename(entry, claim, mv);
    if (mv) continue;
    // A usable entry: a checkout of a commit this repository has.
    git_oid from{};
    auto head = read_line(claim + "/admin/HEAD");
    git_commit* raw = nullptr;
    if (!head || git_oid_fromstr(&from, head->c_str()) != 0 || !fs::is_directory(claim + "/tree", mv) ||
        git_commit_lookup(&raw, repo, &from) != 0) {
      to_trash(worktree_dir, claim);
      continue;
    }
    git_commit_free(raw);
    // Point the checkout and its admin dir at each other under the task's
    // names; HEAD on the task's branch, the files still the pooled commit's
    // (drover-recycled-from), no drover-complete marker until they are moved.
    fs::remove(claim + "/admin/" + kComplete, mv);
    fs::remove(claim + "/admin/locked", mv);
    write_text(claim + "/admin/" + kRecycledFrom, oid_hex(from) + "\n");
    write_text(claim + "/admin/gitdir", path + "/.git\n");
    write_text(claim + "/admin/commondir", "../..\n");
    write_text(claim + "/admin/HEAD", "ref: refs/heads/" + branch + "\n");
    write_text(claim + "/tree/.git", "gitdir: " + admin_dir + "\n");
    // Registration first, then the directory: a crash in between leaves a
    // registered worktree whose directory is missing, which prepare prunes.
    fs::rename(claim + "/admin", admin_dir, mv);
    if (mv) {
      to_trash(worktree_dir, claim);
      throw sdk::Error(DROVER_ERROR, "vcs git: cannot register a recycled worktree as " + admin_dir + ": " + mv.message());
    }
    fs::rename(claim + "/tree", path, mv);
    if (mv) {
      fs::remove_all(admin_dir, ec);
      to_trash(worktree_dir, claim);
      throw sdk::Error(DROVER_ERROR, "vcs git: cannot move a recycled worktree to " + path + ": " + mv.message());
    }
    fs::remove(claim, mv);
    return true;
  }
  return false;
}

void complete_checkout(git_repository* wt_repo, const std::string& admin_dir, bool keep_ignored) {
  git_checkout_options co;
  git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_FORCE;
  const std::string where = git_repository_workdir(wt_repo) ? git_repository_workdir(wt_repo) : admin_dir;
  git_oid from{};
  auto recycled = read_line(admin_dir + "/" + kRecycledFrom);
  if (recycled && git_oid_fromstr(&from, recycled->c_str()) == 0) {
    // From the pooled commit's files to HEAD's: only what differs is written.
    // Nobody worked here (prepare_worktree never returned), so whatever is
    // not in HEAD goes, ignored files too unless kept on purpose.
    CommitPtr base = lookup_commit(wt_repo, from);
    TreePtr base_tree = commit_tree(base.get());
    git_oid head{};
    check(git_reference_name_to_id(&head, wt_repo, "HEAD"), "vcs git: cannot read HEAD of worktree " + where);
    CommitPtr target = lookup_commit(wt_repo, head);
    co.baseline = base_tree.get();
    co.checkout_strategy |= GIT_CHECKOUT_REMOVE_UNTRACKED | (keep_ignored ? 0 : GIT_CHECKOUT_REMOVE_IGNORED);
    check(git_checkout_tree(wt_repo, reinterpret_cast<const git_object*>(target.get()), &co),
          "vcs git: cannot bring the recycled worktree " + where + " to its task's base");
  } else {
    check(git_checkout_head(wt_repo, &co), "vcs git: cannot check out worktree " + where);
  }
  write_text(admin_dir + "/" + kComplete, "checkout complete\n");
  std::error_code ec;
  fs::remove(admin_dir + "/" + kRecycledFrom, ec);
}

void drain_pool(const std::string& common_dir, const std::string& worktree_dir) {
  std::error_code ec;
  if (!fs::is_directory(pool_dir(worktree_dir), ec)) return;
  {
    RepoLock lock(RepoLock::worktrees_lock_path(common_dir));
    for (fs::directory_iterator it(pool_dir(worktree_dir), ec), end; !ec && it != end; it.increment(ec))
      to_trash(worktree_dir, it->path());
    fs::remove(pool_dir(worktree_dir), ec);
  }
  for (fs::directory_iterator it(worktree_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().rfind(".removing-pool-", 0) == 0) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
}

}  // namespace drover::vcs_git
