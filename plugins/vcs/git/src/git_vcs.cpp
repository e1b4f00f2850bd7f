#include "git_vcs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <mutex>
#include <set>
#include <sstream>

#include "kept_work.h"
#include "nested_repos.h"
#include "repo_lock.h"
#include "stale_locks.h"
#include "repo_queries.h"
#include "request_json.h"
#include "task_id.h"
#include "worktree_dir.h"
#include "worktree_pool.h"
#include "worktree_staging.h"

namespace drover::vcs_git {

namespace fs = std::filesystem;

namespace {

// libgit2 keeps global state; initialise it once per process and never shut it
// down (plugins are never unloaded).
void ensure_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

// True iff HEAD or some local branch points to a commit. (git_repository_is_empty
// only knows the default initial branch name.)
bool has_any_commit(git_repository* repo) {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo, "HEAD") == 0) return true;
  git_branch_iterator* raw = nullptr;
  if (git_branch_iterator_new(&raw, repo, GIT_BRANCH_LOCAL) != 0) return false;
  BranchIterPtr it(raw);
  git_reference* ref = nullptr;
  git_branch_t type;
  bool found = git_branch_next(&ref, &type, it.get()) == 0;
  if (found) git_reference_free(ref);
  return found;
}

// The commit a linked worktree's HEAD is at, from its administrative files
// (<common dir>/worktrees/<name>/HEAD: "ref: <ref>" or a commit id).
std::optional<git_oid> worktree_head(git_repository* main, const std::string& admin_dir) {
  std::ifstream in(admin_dir + "/HEAD");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.pop_back();
  git_oid oid;
  if (line.rfind("ref: ", 0) == 0) {
    if (git_reference_name_to_id(&oid, main, line.substr(5).c_str()) != 0) return std::nullopt;
    return oid;
  }
  if (git_oid_fromstr(&oid, line.c_str()) != 0) return std::nullopt;
  return oid;
}

std::string strip_trailing_slash(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// Writes text to path atomically (temp file + rename), so a crash never leaves half a file.
void write_file_atomically(const std::string& path, const std::string& text) {
  static std::atomic<unsigned> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw sdk::Error(DROVER_ERROR, "vcs git: cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw sdk::Error(DROVER_ERROR, "vcs git: cannot rename " + tmp + " to " + path + ": " + ec.message());
}

// Keeps the task worktrees out of the user's `git status` by listing the
// worktree dir in .git/info/exclude (local to this clone, never committed).
void exclude_worktree_dir(const std::string& root, const std::string& common_dir, const std::string& worktree_dir) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> guard(mutex);
  fs::path rel = fs::path(worktree_dir).lexically_relative(root);
  if (rel.empty() || rel.native().rfind("..", 0) == 0) return;  // outside the repository
  std::string line = "/" + rel.generic_string() + "/";
  std::string path = common_dir + "info/exclude";
  std::string existing;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    existing = ss.str();
  }
  std::istringstream lines(existing);
  for (std::string l; std::getline(lines, l);)
    if (l == line) return;
  std::error_code ec;
  fs::create_directories(common_dir + "info", ec);
  if (!existing.empty() && existing.back() != '\n') existing += '\n';
  existing += "# drover task worktrees\n" + line + "\n";
  write_file_atomically(path, existing);
}

std::uint64_t directory_size(const std::string& path) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec) && !it->is_symlink(size_ec)) {
      auto n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

std::string join(const std::vector<std::string>& items, std::size_t limit = 20) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size()) + " in all)";
  return out;
}

}  // namespace

WorktreePtr GitVcs::lookup_worktree(git_repository* repo, const std::string& task_id) const {
  // git_worktree_lookup reports "no such worktree" as a generic error, so look
  // for the admin dir first.
  std::error_code ec;
  if (!fs::is_directory(admin_dir(task_id), ec)) return nullptr;
  git_worktree* raw = nullptr;
  if (git_worktree_lookup(&raw, repo, task_id.c_str()) != 0) return nullptr;
  return WorktreePtr(raw);
}

void validate_branch_name(const std::string& name) {
  int valid = 0;
  std::string full = "refs/heads/" + name;
  if (name.empty() || name.front() == '-' || name.find('\0') != std::string::npos ||
      git_reference_name_is_valid(&valid, full.c_str()) < 0 || !valid)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: " + quote_text(name) + " is not a valid branch name");
}

void GitVcs::check_config(std::string_view yaml) {
  ensure_libgit2();
  GitConfig::parse(yaml);
}

GitVcs::GitVcs(std::string_view config_yaml, std::string_view context_json) {
  ensure_libgit2();
  config_ = GitConfig::parse(config_yaml);
  json ctx = parse_request("open", context_json);
  std::string project_root = required_string("open (context)", ctx, "project_root");
  std::error_code ec;
  fs::path root_path = fs::weakly_canonical(fs::absolute(project_root), ec);
  if (ec) root_path = fs::absolute(project_root);

  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(&raw, root_path.c_str(), 0, nullptr);
  if (rc == GIT_ENOTFOUND)
    throw sdk::Error(DROVER_NOT_FOUND, "vcs git: project root " + root_path.string() +
                                           " is not inside a git repository; run `git init` there and make a first "
                                           "commit");
  check(rc, "vcs git: cannot open the git repository at " + root_path.string());
  RepoPtr repo(raw);
  if (git_repository_is_bare(repo.get()))
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: " + std::string(git_repository_path(repo.get())) +
                                                  " is a bare repository; drover needs a working tree (clone it "
                                                  "and run drover in the clone)");
  if (!has_any_commit(repo.get()))
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: the repository at " +
                                                  strip_trailing_slash(git_repository_workdir(repo.get())) +
                                                  " has no commits yet; make a first commit before running drover");

  root_ = strip_trailing_slash(git_repository_workdir(repo.get()));
  common_dir_ = git_repository_commondir(repo.get());
  if (common_dir_.empty() || common_dir_.back() != '/') common_dir_ += '/';
  fs::path wt = config_.worktree_dir;
  if (wt.is_relative()) wt = root_path / wt;
  worktree_dir_ = strip_trailing_slash(wt.lexically_normal().string());
  drover_dir_ = optional_string("open (context)", ctx, "drover_dir").value_or("");
  exclude_worktree_dir(root_, common_dir_, worktree_dir_);
  if (config_.remote) {
    remote_.emplace(*config_.remote, common_dir_, root_);
    remote_->check_configured(repo.get());
    remote_->limit_network_waits(repo.get(), config_.network_timeout_s);
  }
  // The pool's bound: the config's, else the host's worker count if it says
  // (a host of this version does not), else the default number of workers.
  pool_size_ = config_.worktree_pool_size.value_or(4);
  if (!config_.worktree_pool_size && ctx.contains("workers") && ctx["workers"].is_number_integer())
    pool_size_ = std::max(0, ctx["workers"].get<int>());
  // (Only when a pool is left from a run with reuse on: one stat otherwise.)
  if (!config_.reuse_worktrees || pool_size_ == 0) drain_pool(repo.get(), common_dir_, worktree_dir_);
}

RepoPtr GitVcs::open_main() const {
  git_repository* raw = nullptr;
  check(git_repository_open(&raw, root_.c_str()), "vcs git: cannot open the repository at " + root_);
  return RepoPtr(raw);
}

RepoPtr GitVcs::open_task_worktree(git_repository* main, const std::string& task_id) const {
  WorktreePtr wt = lookup_worktree(main, task_id);
  if (!wt)
    throw sdk::Error(DROVER_NOT_FOUND, "vcs git: task " + quote_text(task_id) +
                                           " has no worktree; call prepare_worktree first");
  if (git_worktree_validate(wt.get()) != 0)
    throw sdk::Error(DROVER_NOT_FOUND, "vcs git: the worktree of task " + quote_text(task_id) + " (" +
                                           worktree_path(task_id) +
                                           ") is missing on disk; call prepare_worktree to recreate it");
  git_repository* raw = nullptr;
  check(git_repository_open_from_worktree(&raw, wt.get()),
        "vcs git: cannot open the worktree of task " + quote_text(task_id));
  return RepoPtr(raw);
}

void GitVcs::remember_target(const std::string& task_id, const std::string& target) const {
  std::error_code ec;
  if (!fs::is_directory(admin_dir(task_id), ec)) return;
  if (remembered_target(task_id) == target) return;
  write_file_atomically(admin_dir(task_id) + "/drover-target", target + "\n");
}

std::optional<git_oid> GitVcs::target_tip(git_repository* repo, const std::string& target) const {
  return remote_ ? remote_->known_tip(repo, target) : branch_tip(repo, target);
}

git_oid GitVcs::current_target_tip(git_repository* repo, const std::string& target) const {
  if (remote_) return remote_->fetch_target(repo, target);
  auto tip = branch_tip(repo, target);
  if (!tip)
    throw sdk::Error(DROVER_NOT_FOUND, "vcs git: target branch " + quote_text(target) + " does not exist in " + root_ +
                                           "; create it or configure another target branch");
  return *tip;
}

void GitVcs::save_task_work(git_repository* repo, const std::string& task_id, const git_oid& head,
                            const std::optional<std::string>& target) const {
  if (!remote_) return;
  if (target)
    if (auto tip = target_tip(repo, *target); tip && reachable_from(repo, *tip, head)) return;  // nothing of its own
  remote_->push_task(repo, task_id, head);
}

std::optional<std::string> GitVcs::remembered_target(const std::string& task_id) const {
  std::ifstream in(admin_dir(task_id) + "/drover-target", std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

std::string GitVcs::repo_info(std::string_view request) {
  parse_request("repo_info", request);
  RepoPtr repo = open_main();
  json out = {{"root", root_}, {"head_branch", nullptr}, {"head_commit", nullptr}};
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo.get(), "HEAD") == 0) {
    RefPtr head(raw);
    if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC) {
      std::string target = git_reference_symbolic_target(head.get());
      if (target.rfind("refs/heads/", 0) == 0) out["head_branch"] = target.substr(11);
    }
  }
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo.get(), "HEAD") == 0) out["head_commit"] = oid_hex(oid);
  return out.dump();
}

namespace {
// Deletes directories renamed away by remove_worktree (".removing-*"),
// including any a killed process did not get to delete. They are no longer
// worktrees: git's admin data for them is gone.
void remove_trash(const std::string& worktree_dir) {
  if (!is_claimed_worktree_dir(worktree_dir)) return;
  std::error_code ec;
  for (fs::directory_iterator it(worktree_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind(".removing-", 0) != 0) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
  }
}

// Removes worktree entries (.git/worktrees/<name>) that lost their gitdir
// file: a prune killed half-way leaves them. Git itself treats them as
// prunable, and they hold no work (the files live in the worktree directory,
// which is not touched). They must go before git_worktree_add: libgit2 1.5
// reports "reference is already checked out" for every new worktree while one
// of them cannot be opened. An entry with a "locked" file is left alone: git
// itself is creating it (`git worktree add` locks it until gitdir is written).
// Call with the worktrees lock held.
void remove_broken_worktree_entries(const std::string& common_dir) {
  std::error_code ec;
  for (fs::directory_iterator it(common_dir + "worktrees", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code st;
    if (!it->is_directory(st) || fs::exists(it->path() / "gitdir", st) || fs::exists(it->path() / "locked", st)) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    sdk::log(DROVER_LOG_WARN, "removed the broken worktree entry " + it->path().string() +
                                  (rm ? " (failed: " + rm.message() + ")" : std::string(" (no gitdir file; an interrupted prune)")));
  }
}

}  // namespace

WorktreePtr GitVcs::add_worktree(git_repository* repo, const std::string& task_id) const {
  const std::string path = worktree_path(task_id);
  const std::string branch = branch_name(task_id);
  auto fail = [&](const std::string& why) {
    return sdk::Error(DROVER_ERROR, "vcs git: cannot create worktree " + path + " for task " + quote_text(task_id) + ": " + why);
  };
  const std::optional<git_oid> at = branch_tip(repo, branch);
  if (!at) throw sdk::Error(DROVER_ERROR, "vcs git: cannot look up branch " + branch);
  if (branch_checked_out(repo, common_dir_, branch)) throw fail("reference is already checked out");
  // Half made (a full disk, say): register_new_worktree removes what it made.
  // Leaving it would make the next prepare refuse a directory it cannot
  // recognise; removing it lets it start over once there is space.
  try {
    register_new_worktree(admin_dir(task_id), path, branch, *at);
  } catch (const sdk::Error& e) {
    throw fail(e.what());
  }
  WorktreePtr created = lookup_worktree(repo, task_id);
  if (!created) throw fail("git does not find the worktree just registered");
  return created;
}

void GitVcs::finish_checkout(git_repository* repo, const std::string& task_id) const {
  const std::string path = worktree_path(task_id);
  auto complete = [&] {
    WorktreePtr wt = lookup_worktree(repo, task_id);
    if (!wt) throw sdk::Error(DROVER_ERROR, "vcs git: the worktree of task " + quote_text(task_id) + " vanished; retry");
    git_repository* raw = nullptr;
    check(git_repository_open_from_worktree(&raw, wt.get()), "vcs git: cannot open worktree " + path);
    RepoPtr wt_repo(raw);
    return complete_checkout(wt_repo.get(), admin_dir(task_id), config_.keep_ignored);
  };
  if (complete()) return;
  // A recycled checkout that cannot be trusted: the directory goes to the
  // trash, the registration too, and a new worktree is checked out in full.
  // A crash in between leaves a registered worktree without its directory or
  // a branch without worktree, both repaired by the next prepare.
  {
    RepoLock lock(RepoLock::worktrees_lock_path(common_dir_));
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec))) {
      if (!is_checkout_of(path, admin_dir(task_id)))
        throw sdk::Error(DROVER_CONFLICT, "vcs git: " + path + " is not a worktree Drover created for task " +
                                              quote_text(task_id) + "; Drover leaves it alone: move it away and retry");
      const std::string trash = worktree_dir_ + "/.removing-" + task_id + "-" +
                                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
      fs::rename(path, trash, ec);
      if (ec) throw sdk::Error(DROVER_ERROR, "vcs git: cannot move " + path + " aside: " + ec.message());
    }
    fs::remove_all(admin_dir(task_id), ec);
    if (ec) throw sdk::Error(DROVER_ERROR, "vcs git: cannot remove " + admin_dir(task_id) + ": " + ec.message());
    remove_broken_worktree_entries(common_dir_);
    add_worktree(repo, task_id);
  }
  remove_trash(worktree_dir_);
  if (!complete())
    throw sdk::Error(DROVER_ERROR, "vcs git: cannot check out the worktree of task " + quote_text(task_id));
}

void GitVcs::mark_landed(const std::vector<std::string>& task_ids) const {
  if (!config_.reuse_worktrees || pool_size_ <= 0) return;
  for (const auto& task_id : task_ids) {
    try {
      validate_task_id(task_id);  // a trailer's text: never a path outside the admin dirs
    } catch (const sdk::Error&) {
      continue;
    }
    mark_pool_pending(admin_dir(task_id));
  }
}

bool GitVcs::unfinished_without_work(git_repository* repo, const std::string& task_id) const {
  if (checkout_completed(admin_dir(task_id))) return false;
  auto base = recorded_checkout_base(admin_dir(task_id));
  auto branch_head = branch_tip(repo, branch_name(task_id));
  auto head = worktree_head(repo, admin_dir(task_id));
  return base && branch_head && head && git_oid_equal(&*base, &*branch_head) && git_oid_equal(&*head, &*branch_head);
}

std::string GitVcs::prepare_worktree(std::string_view request) {
  const char* op = "prepare_worktree";
  json req = parse_request(op, request);
  std::string task_id = required_string(op, req, "task_id");
  validate_task_id(task_id);
  std::string target = required_string(op, req, "target_branch");
  validate_branch_name(target);

  clear_task_locks(common_dir_, branch_name(task_id), admin_dir(task_id));
  RepoPtr repo = open_main();
  // With a remote, one fetch brings its tip and the work of this task saved
  // there (another machine may have committed it: continued below).
  std::optional<git_oid> saved;
  std::optional<git_oid> tip;
  if (remote_) {
    const TargetRemote::Fetched fetched = remote_->fetch(repo.get(), target, task_id);
    tip = fetched.tip;
    saved = fetched.saved;
  } else {
    tip = current_target_tip(repo.get(), target);
  }
  finish_interrupted_checkout(repo.get(), target);
  const std::string path = worktree_path(task_id);
  const std::string branch = branch_name(task_id);
  claim_worktree_dir(worktree_dir_, drover_dir_);

  // Reuse a worktree left by an earlier attempt (the step is at-least-once).
  std::error_code ec;
  WorktreePtr wt = lookup_worktree(repo.get(), task_id);
  if (!wt && fs::exists(admin_dir(task_id), ec)) fs::remove_all(admin_dir(task_id), ec);  // half-written entry
  if (wt) {
    if (git_worktree_validate(wt.get()) == 0) {
      std::error_code ec;
      if (!fs::equivalent(git_worktree_path(wt.get()), path, ec))
        throw sdk::Error(DROVER_CONFLICT, "vcs git: a git worktree named " + quote_text(task_id) + " already exists at " +
                                              git_worktree_path(wt.get()) + ", not at " + path +
                                              "; remove it with `git worktree remove`");
      git_repository* raw_wt_repo = nullptr;
      check(git_repository_open_from_worktree(&raw_wt_repo, wt.get()), "vcs git: cannot open worktree " + path);
      RepoPtr wt_repo(raw_wt_repo);
      git_reference* raw_head = nullptr;
      check(git_repository_head(&raw_head, wt_repo.get()), "vcs git: cannot read HEAD of worktree " + path);
      RefPtr head(raw_head);
      if (std::string(git_reference_name(head.get())) != "refs/heads/" + branch)
        throw sdk::Error(DROVER_CONFLICT, "vcs git: worktree " + path + " is not on branch " + branch +
                                              "; check out that branch there or remove the worktree");
      // A worktree whose creation was interrupted (kill -9 during the checkout)
      // lacks files; committing it would record them as deleted and the merge
      // would drop them from the target. The marker is written only after the
      // checkout finished, so without it the checkout is redone first. The
      // agent cannot have worked here: prepare_worktree never returned.
      // (A recycled worktree's move to its new base likewise: worktree_pool.h.)
      if (!checkout_completed(admin_dir(task_id))) finish_checkout(repo.get(), task_id);
      const git_oid* head_oid = git_reference_target(head.get());
      git_oid base = *tip;
      if (head_oid != nullptr && git_merge_base(&base, repo.get(), head_oid, &*tip) != 0) base = *tip;
      remember_target(task_id, target);
      return json{{"path", path},
                  {"branch", branch},
                  {"base_commit", oid_hex(base)},
                  {"head", head_oid ? json(oid_hex(*head_oid)) : json(nullptr)},
                  {"created", false}}
          .dump();
    }
    // Registered but its directory is gone (e.g. a crash or a manual rm): prune and recreate.
    git_worktree_prune_options prune;
    git_worktree_prune_options_init(&prune, GIT_WORKTREE_PRUNE_OPTIONS_VERSION);
    check(git_worktree_prune(wt.get(), &prune),
          "vcs git: the stale worktree entry for task " + quote_text(task_id) + " cannot be pruned (is it locked?)");
  }

  if (fs::exists(fs::symlink_status(path, ec))) {
    if (fs::is_directory(fs::symlink_status(path, ec)) && fs::is_empty(path, ec)) {
      fs::remove(path, ec);
    } else if (fs::is_directory(fs::symlink_status(path, ec)) &&
               (is_checkout_of(path, admin_dir(task_id)) || is_unwritten_worktree(path))) {
      // Left by a worktree creation that was interrupted before git registered
      // it (so no agent ever worked in it): its `.git` file points at the
      // task's entry, or was never written. Set it aside rather than delete it.
      const std::string aside = worktree_dir_ + "/.interrupted-" + task_id + "-" +
                                std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
      fs::rename(path, aside, ec);
      if (ec)
        throw sdk::Error(DROVER_CONFLICT, "vcs git: " + path + " exists but is not the worktree of task " +
                                              quote_text(task_id) + " and cannot be moved aside (" + ec.message() +
                                              "); move it away and retry");
      sdk::log(DROVER_LOG_WARN, path + " was not a registered worktree (an interrupted creation); moved it to " + aside);
    } else {
      throw sdk::Error(DROVER_CONFLICT, "vcs git: " + path + " exists but is not a worktree Drover created for task " +
                                            quote_text(task_id) + "; Drover leaves it alone: move it away and retry");
    }
  }

  // With a remote, the work another machine committed for this task (it died
  // or lost its lease) is continued rather than redone: the task's saved ref,
  // when it holds work not yet on the target.
  if (saved && find_merge(repo.get(), *tip, *saved, task_id).state != MergeLookup::kNotMerged) saved.reset();
  // The branch may survive from a crashed attempt: keep it if it holds work not
  // yet in the target, otherwise restart it from the target's tip.
  git_oid base = *tip;
  CommitPtr tip_commit = lookup_commit(repo.get(), *tip);
  RefPtr branch_ref;
  git_reference* raw_ref = nullptr;
  int rc = git_branch_lookup(&raw_ref, repo.get(), branch.c_str(), GIT_BRANCH_LOCAL);
  if (rc == 0 || (rc == GIT_ENOTFOUND && saved)) {
    if (rc == 0) branch_ref.reset(raw_ref);
    auto head = rc == 0 ? branch_tip(repo.get(), branch) : std::nullopt;
    if (saved && (!head || (!git_oid_equal(&*head, &*saved) && reachable_from(repo.get(), *saved, *head)))) {
      // The saved work includes everything this branch has (or there is no
      // branch here): the task goes on from there.
      CommitPtr saved_commit = lookup_commit(repo.get(), *saved);
      raw_ref = nullptr;
      check(git_branch_create(&raw_ref, repo.get(), branch.c_str(), saved_commit.get(), 1),
            "vcs git: cannot set branch " + branch + " to the work saved on remote " + quote_text(remote_->name()));
      branch_ref.reset(raw_ref);
      head = saved;
      sdk::log(DROVER_LOG_INFO, "task " + task_id + " continues from its work saved on remote " +
                                    quote_text(remote_->name()) + " (" + oid_hex(*saved) + ")");
    }
    // (Merged by any strategy counts as no work: a squash leaves the branch
    // unreachable from the target, but its Drover-Source trailer names it.)
    if (head && find_merge(repo.get(), *tip, *head, task_id).state == MergeLookup::kNotMerged) {
      if (git_merge_base(&base, repo.get(), &*head, &*tip) != 0) base = *tip;
    } else {
      raw_ref = nullptr;
      check(git_branch_create(&raw_ref, repo.get(), branch.c_str(), tip_commit.get(), 1),
            "vcs git: cannot reset branch " + branch + " to " + target);
      branch_ref.reset(raw_ref);
    }
  } else if (rc == GIT_ENOTFOUND) {
    check(git_branch_create(&raw_ref, repo.get(), branch.c_str(), tip_commit.get(), 0),
          "vcs git: cannot create branch " + branch);
    branch_ref.reset(raw_ref);
  } else {
    check(rc, "vcs git: cannot look up branch " + branch);
  }

  // Only the registration (admin entry, HEAD on the branch, the `.git` file)
  // holds the worktrees lock: a half-made entry must not meet a neighbour's
  // repair (remove_broken_worktree_entries, set_aside_interrupted_pool_moves)
  // or libgit2's scan of every entry (git_worktree_add, which scratch
  // worktrees still use). Every task's prepare and remove waits for it, so
  // what it covers is kept to renames and small writes (register_new_worktree,
  // claim_from_pool). The checkout, which writes every file and
  // takes seconds in a large repository, runs after the lock is released, so
  // the workers' checkouts proceed in parallel. A crash in between leaves a
  // registered worktree without the drover-complete marker, which the next
  // prepare_worktree finishes (above) before anybody works in it. With
  // reuse_worktrees a pooled worktree is registered instead, and the checkout
  // writes only the files that differ from the commit it was pooled at.
  // An empty pool while a landed task's worktree is on its way there: the
  // wait (the rest of its remove_worktree's checks) is shorter than a full
  // checkout (worktree_pool.h: mark_pool_pending).
  const bool may_claim = config_.reuse_worktrees && pool_size_ > 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (bool registered = false; !registered;) {
    const bool worth_a_claim = may_claim && await_pending_recycle(worktree_dir_, common_dir_, task_id, deadline);
    RepoLock lock(RepoLock::worktrees_lock_path(common_dir_));
    remove_broken_worktree_entries(common_dir_);
    set_aside_interrupted_pool_moves(repo.get(), worktree_dir_);
    registered = worth_a_claim && claim_from_pool(repo.get(), worktree_dir_, path, admin_dir(task_id), branch, target);
    if (registered && !lookup_worktree(repo.get(), task_id))
      throw sdk::Error(DROVER_ERROR, "vcs git: a recycled worktree registered for task " + quote_text(task_id) +
                                         " cannot be found again; retry");
    // Another task's prepare took the pooled one: wait for the next one if more are coming.
    if (!registered && (!worth_a_claim || std::chrono::steady_clock::now() >= deadline)) {
      add_worktree(repo.get(), task_id);
      registered = true;
    }
  }
  finish_checkout(repo.get(), task_id);
  remember_target(task_id, target);
  const git_oid* branch_head = git_reference_target(branch_ref.get());
  return json{{"path", path},
              {"branch", branch},
              {"base_commit", oid_hex(base)},
              {"head", branch_head ? json(oid_hex(*branch_head)) : json(oid_hex(base))},
              {"created", true}}
      .dump();
}

namespace {

// Files among `paths` (relative to root) that still hold a line starting a
// conflict marker block ("<<<<<<< ") or ending one (">>>>>>> ").
std::vector<std::string> files_with_conflict_markers(const std::string& root, const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::ifstream in(root + "/" + p, std::ios::binary);
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("<<<<<<< ", 0) == 0 || line.rfind(">>>>>>> ", 0) == 0) {
        out.push_back(p);
        break;
      }
  }
  return out;
}

}  // namespace

// The paths a merge of sync_worktree left in conflict (recorded then), and
// any the index still has in conflict.
std::vector<std::string> GitVcs::merge_conflict_paths(const std::string& task_id, git_index* index) const {
  std::set<std::string> paths;
  std::ifstream in(admin_dir(task_id) + "/drover-conflicts");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) paths.insert(line);
  if (git_index_has_conflicts(index))
    for (auto& p : conflict_paths(index)) paths.insert(p);
  return {paths.begin(), paths.end()};
}

std::string GitVcs::commit(std::string_view request) {
  const char* op = "commit";
  json req = parse_request(op, request);
  std::string task_id = required_string(op, req, "task_id");
  validate_task_id(task_id);
  std::string message = required_string(op, req, "message");
  if (message.empty() || message.find('\0') != std::string::npos)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: commit for task " + quote_text(task_id) +
                                                  ": the message must be non-empty and contain no NUL byte");
  auto target = optional_string(op, req, "target_branch");
  if (target) validate_branch_name(*target);
  clear_task_locks(common_dir_, branch_name(task_id), admin_dir(task_id));
  auto author_name = optional_string(op, req, "author_name");
  auto author_email = optional_string(op, req, "author_email");

  RepoPtr repo = open_main();
  RepoPtr wt = open_task_worktree(repo.get(), task_id);
  const std::string branch = branch_name(task_id);

  git_reference* raw_head = nullptr;
  check(git_repository_head(&raw_head, wt.get()), "vcs git: cannot read HEAD of the worktree of task " + quote_text(task_id));
  RefPtr head_ref(raw_head);
  if (std::string(git_reference_name(head_ref.get())) != "refs/heads/" + branch)
    throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree of task " + quote_text(task_id) + " is not on branch " +
                                          branch + " (someone switched it); switch it back before committing");
  // A merge sync_worktree left for the agent to resolve is finished here.
  const bool finishing_merge = git_repository_state(wt.get()) == GIT_REPOSITORY_STATE_MERGE;
  if (git_repository_state(wt.get()) != GIT_REPOSITORY_STATE_NONE && !finishing_merge)
    throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree of task " + quote_text(task_id) +
                                          " is in the middle of a rebase or cherry-pick (left by the agent); "
                                          "finish or abort it there before committing");
  git_oid head = *git_reference_target(head_ref.get());
  CommitPtr head_commit = lookup_commit(wt.get(), head);
  TreePtr head_tree = commit_tree(head_commit.get());

  git_index* raw_index = nullptr;
  check(git_repository_index(&raw_index, wt.get()), "vcs git: cannot open the index of task " + quote_text(task_id));
  IndexPtr index(raw_index);
  check(git_index_read(index.get(), 0), "vcs git: cannot read the index of task " + quote_text(task_id));
  if (git_index_has_conflicts(index.get()) && !finishing_merge)
    throw sdk::Error(DROVER_CONFLICT, "vcs git: the index of task " + quote_text(task_id) +
                                          " has unresolved conflicts; resolve them in " + worktree_path(task_id) +
                                          " before committing");
  // The conflicts a sync left: checked whether the merge is still ours to
  // finish or the agent committed it itself.
  const std::string conflicts_file = admin_dir(task_id) + "/drover-conflicts";
  std::error_code ec;
  if (finishing_merge || fs::exists(conflicts_file, ec)) {
    std::vector<std::string> marked = files_with_conflict_markers(worktree_path(task_id), merge_conflict_paths(task_id, index.get()));
    if (!marked.empty())
      throw sdk::Error(DROVER_CONFLICT, "vcs git: conflict markers are still in " + join(marked) + " in the worktree of task " +
                                            quote_text(task_id) + "; resolve them before committing");
    fs::remove(conflicts_file, ec);
  }
  std::vector<git_oid> merge_heads;
  if (finishing_merge) {
    merge_heads = vcs_git::merge_heads(wt.get());
    // A commit killed before it cleaned up: its merge heads are in HEAD already.
    merge_heads.erase(std::remove_if(merge_heads.begin(), merge_heads.end(),
                                     [&](const git_oid& id) { return reachable_from(wt.get(), head, id); }),
                      merge_heads.end());
  }
  const git_oid tree_oid = stage_everything(wt.get(), index.get(), "task " + quote_text(task_id));

  if (git_oid_equal(&tree_oid, git_tree_id(head_tree.get())) && merge_heads.empty()) {
    if (finishing_merge) git_repository_state_cleanup(wt.get());  // a merge that brought nothing
    // Nothing new. Report the branch head if it already carries work (a replayed commit step).
    if (!target) target = remembered_target(task_id);
    json commit = oid_hex(head);
    if (target) {
      auto tip = target_tip(repo.get(), *target);
      if (tip && reachable_from(repo.get(), *tip, head)) commit = nullptr;
    }
    // A replayed commit step whose push did not happen pushes now.
    if (!commit.is_null()) save_task_work(repo.get(), task_id, head, target);
    return json{{"commit", commit}, {"changed", false}, {"files", 0}}.dump();
  }

  git_tree* raw_tree = nullptr;
  check(git_tree_lookup(&raw_tree, wt.get(), &tree_oid), "vcs git: cannot read the new tree");
  TreePtr tree(raw_tree);
  std::size_t files = changed_paths(wt.get(), head_tree.get(), tree.get()).size();
  SignaturePtr sig = make_signature(wt.get(), config_, author_name, author_email);
  std::vector<CommitPtr> merged;
  for (const auto& id : merge_heads) merged.push_back(lookup_commit(wt.get(), id));
  std::vector<const git_commit*> parents{head_commit.get()};
  for (const auto& c : merged) parents.push_back(c.get());
  git_oid commit_oid;
  check(git_commit_create(&commit_oid, wt.get(), "HEAD", sig.get(), sig.get(), nullptr, message.c_str(), tree.get(),
                          parents.size(), parents.data()),
        "vcs git: cannot commit on branch " + branch);
  if (finishing_merge) git_repository_state_cleanup(wt.get());
  // Reported done only once it is safe from this machine's loss.
  save_task_work(repo.get(), task_id, commit_oid, std::nullopt);
  return json{{"commit", oid_hex(commit_oid)}, {"changed", true}, {"files", files}}.dump();
}

std::string GitVcs::remove_worktree(std::string_view request) {
  const char* op = "remove_worktree";
  json req = parse_request(op, request);
  std::string task_id = required_string(op, req, "task_id");
  validate_task_id(task_id);
  bool force = optional_bool(op, req, "force", false);
  auto target = optional_string(op, req, "target_branch");
  if (target) validate_branch_name(*target);
  if (!target) target = remembered_target(task_id);
  if (auto kept = optional_string(op, req, "kept_ref")) {
    if (!force)
      throw sdk::Error(DROVER_CONFLICT, "vcs git: " + *kept + " holds work that did not land; remove it with force");
    RepoPtr repo = open_main();
    git_oid id{};
    const bool known = git_reference_name_to_id(&id, repo.get(), kept->c_str()) == 0;
    const bool removed = drop_kept_work(repo.get(), task_id, *kept);
    return json{{"removed", removed},
                {"discarded", removed && known ? json::array({*kept + " at " + oid_hex(id)}) : json::array()}}
        .dump();
  }
  clear_task_locks(common_dir_, branch_name(task_id), admin_dir(task_id));
  // Whatever happens here, nobody is to wait for this worktree any longer.
  const ClearPoolPending not_pending{admin_dir(task_id)};

  RepoPtr repo = open_main();
  const std::string path = worktree_path(task_id);
  const std::string branch = branch_name(task_id);
  auto head = branch_tip(repo.get(), branch);

  WorktreePtr wt = lookup_worktree(repo.get(), task_id);
  std::error_code ec;
  if (!wt && !head && !fs::exists(fs::symlink_status(path, ec)))
    return json{{"removed", false}, {"discarded", json::array()}}.dump();

  // Locked by someone (`git worktree lock`): left alone unless forced, before
  // anything moves (the prune would refuse after the directory went).
  if (wt && !force && git_worktree_is_locked(nullptr, wt.get()) > 0)
    throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree of task " + quote_text(task_id) + " (" + path +
                                          ") is locked; run `git worktree unlock " + path +
                                          "`, or remove with force");

  std::vector<std::string> discarded;
  // A worktree that can go to the pool (worktree_pool.h): valid, no merge or
  // rebase in progress, its HEAD a commit (checked below: clean, merged).
  std::optional<git_oid> recycle_at;
  // The worktree's own HEAD when it is not the branch (an agent's commits on
  // a detached HEAD or another branch): it must be merged too.
  std::optional<git_oid> wt_head;
  if (wt && git_worktree_validate(wt.get()) == 0) {
    git_repository* raw = nullptr;
    check(git_repository_open_from_worktree(&raw, wt.get()), "vcs git: cannot open worktree " + path);
    RepoPtr wt_repo(raw);
    // Killed in the middle of its checkout and nobody committed since: its
    // missing files are no work (worktree_pool.h); never recycled. One scan
    // finds the uncommitted files and (for the pool) the ignored ones.
    const bool may_recycle = config_.reuse_worktrees && pool_size_ > 0 && !force;
    WorktreeScan scan;
    if (!unfinished_without_work(repo.get(), task_id)) {
      scan = scan_worktree(wt_repo.get(), may_recycle);
      discarded = scan.uncommitted;
    }
    git_oid at{};
    if (git_reference_name_to_id(&at, wt_repo.get(), "HEAD") == 0 && (!head || !git_oid_equal(&at, &*head))) wt_head = at;
    if (may_recycle && discarded.empty() && git_repository_state(wt_repo.get()) == GIT_REPOSITORY_STATE_NONE &&
        git_reference_name_to_id(&at, wt_repo.get(), "HEAD") == 0) {
      if (auto why = not_recyclable(wt_repo.get(), admin_dir(task_id), scan.ignored))
        sdk::log(DROVER_LOG_DEBUG, "vcs git: worktree " + path + " is not recycled: " + *why);
      else
        recycle_at = at;
    }
    if (!discarded.empty() && !force)
      throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree of task " + quote_text(task_id) + " (" + path +
                                            ") has uncommitted changes: " + join(discarded) +
                                            "; commit them, or remove with force to discard them");
  }

  auto is_merged = [&](const git_oid& commit) {
    bool merged = false;
    auto tip = target ? target_tip(repo.get(), *target) : std::nullopt;
    if (tip) {
      merged = find_merge(repo.get(), *tip, commit, task_id).state != MergeLookup::kNotMerged;
      // With a remote, another machine may have landed it since the last fetch.
      if (!merged && remote_) {
        const git_oid now = remote_->fetch_target(repo.get(), *target);
        merged = find_merge(repo.get(), now, commit, task_id).state != MergeLookup::kNotMerged;
      }
    } else {
      // No known target: the work is safe if any other local branch contains it.
      git_branch_iterator* raw_it = nullptr;
      check(git_branch_iterator_new(&raw_it, repo.get(), GIT_BRANCH_LOCAL), "vcs git: cannot list branches");
      BranchIterPtr it(raw_it);
      git_reference* raw_ref = nullptr;
      git_branch_t type;
      while (!merged && git_branch_next(&raw_ref, &type, it.get()) == 0) {
        RefPtr ref(raw_ref);
        const char* name = nullptr;
        git_branch_name(&name, ref.get());
        const git_oid* oid = git_reference_target(ref.get());
        if (name != nullptr && branch != name && oid != nullptr) merged = reachable_from(repo.get(), *oid, commit);
      }
    }
    return merged;
  };
  const std::string where = target ? "target branch " + quote_text(*target) : std::string("any other branch");
  if (head && !is_merged(*head)) {
    if (!force)
      throw sdk::Error(DROVER_CONFLICT, "vcs git: branch " + branch + " of task " + quote_text(task_id) + " (" +
                                            oid_hex(*head) + ") has commits that are not in " + where +
                                            "; merge it first, or remove with force to discard them");
    discarded.push_back("branch " + branch + " at " + oid_hex(*head) + " (not merged)");
  }
  if (wt_head && !is_merged(*wt_head)) {
    if (!force)
      throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree of task " + quote_text(task_id) + " (" + path +
                                            ") has its HEAD at " + oid_hex(*wt_head) + ", which is not in " + where +
                                            "; merge it first, or remove with force to discard it");
    discarded.push_back("HEAD of " + path + " at " + oid_hex(*wt_head) + " (not merged)");
  }

  if (recycle_at) reserve_pool_slot(admin_dir(task_id));
  // Order matters for crash safety: directory, then admin data, then branch.
  // Under the lock the directory is only renamed away (instant); deleting its
  // files, which takes long in a large repository, happens after the lock is
  // released, so other tasks' worktree creation does not wait for it.
  std::optional<RepoLock> lock(std::in_place, RepoLock::worktrees_lock_path(common_dir_));
  const std::string trash = worktree_dir_ + "/.removing-" + task_id + "-" +
                            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  // Recycled: the worktree (checkout and admin dir) moves to the pool instead
  // of being deleted; only a clean one whose work is merged (checked above)
  // and that nobody locked (`git worktree lock`).
  set_aside_interrupted_pool_moves(repo.get(), worktree_dir_);
  std::optional<Staged> staged;
  if (recycle_at && !fs::exists(admin_dir(task_id) + "/locked", ec) && is_checkout_of(path, admin_dir(task_id)) &&
      pooled_worktrees(worktree_dir_) < static_cast<std::size_t>(pool_size_))
    staged = stage_for_pool(repo.get(), worktree_dir_, path, admin_dir(task_id), *recycle_at, task_id);
  if (staged) {
    // Neither directory nor git entry is left to remove.
  } else if (fs::exists(fs::symlink_status(path, ec))) {
    if (!is_checkout_of(path, admin_dir(task_id)))
      throw sdk::Error(DROVER_CONFLICT, "vcs git: " + path + " is not a worktree Drover created for task " +
                                            quote_text(task_id) + "; Drover leaves it alone: move it away and retry");
    fs::rename(path, trash, ec);
    if (ec) throw sdk::Error(DROVER_ERROR, "vcs git: cannot remove " + path + ": " + ec.message());
  }
  if (wt && !staged) {
    git_worktree_prune_options prune;
    git_worktree_prune_options_init(&prune, GIT_WORKTREE_PRUNE_OPTIONS_VERSION);
    prune.flags = GIT_WORKTREE_PRUNE_VALID | (force ? GIT_WORKTREE_PRUNE_LOCKED : 0);
    check(git_worktree_prune(wt.get(), &prune), "vcs git: cannot prune the worktree entry of task " + quote_text(task_id));
  }
  if (staged) {
    crash_point("S4");
    publish_to_pool(repo.get(), worktree_dir_, *staged);
  }
  lock.reset();
  // The branch last, and outside the lock (which guards the worktree entries
  // and the pool, not branches: prepare_worktree creates the branch without
  // it too). A crash before this leaves a merged branch without worktree,
  // which the next remove_worktree deletes.
  if (head) {
    git_reference* raw_ref = nullptr;
    if (git_branch_lookup(&raw_ref, repo.get(), branch.c_str(), GIT_BRANCH_LOCAL) == 0) {
      RefPtr ref(raw_ref);
      // Not git_branch_delete: in libgit2 1.5 its config-section cleanup leaks
      // ~180 KB per call (pcre2 match data), and task branches have no config.
      if (branch_checked_out(repo.get(), common_dir_, branch))
        throw sdk::Error(DROVER_CONFLICT, "vcs git: branch " + branch + " of task " + quote_text(task_id) +
                                              " is checked out in a worktree; switch that worktree to another branch");
      check(git_reference_delete(ref.get()), "vcs git: cannot delete branch " + branch);
    }
  }
  remove_trash(worktree_dir_);
  // Its saved work on the remote is no longer needed once it landed (a
  // landing deletes it; this catches one cut short). Kept when discarded here.
  if (remote_ && discarded.empty()) remote_->forget_tasks(repo.get(), {task_id});
  return json{{"removed", true}, {"discarded", discarded}, {"recycled", staged.has_value()}}.dump();
}

std::string GitVcs::list_worktrees(std::string_view request) {
  const char* op = "list_worktrees";
  json req = parse_request(op, request);
  auto target = optional_string(op, req, "target_branch");
  if (target) validate_branch_name(*target);

  RepoPtr repo = open_main();
  if (optional_bool(op, req, "kept_only", false)) return list_kept_work(repo.get()).dump();
  git_strarray names{};
  check(git_worktree_list(&names, repo.get()), "vcs git: cannot list worktrees");
  json out = json::array();
  for (size_t i = 0; i < names.count; ++i) {
    std::string name = names.strings[i];
    git_worktree* raw_wt = nullptr;
    if (git_worktree_lookup(&raw_wt, repo.get(), name.c_str()) != 0) continue;
    WorktreePtr wt(raw_wt);
    std::string path = strip_trailing_slash(git_worktree_path(wt.get()));
    if (fs::path(path).parent_path() != fs::path(worktree_dir_)) continue;  // not a drover task worktree
    try {
      validate_task_id(name);
    } catch (const sdk::Error&) {
      continue;
    }
    const std::string branch = branch_name(name);
    const auto branch_head = branch_tip(repo.get(), branch);
    // The worktree's own HEAD (an agent may have checked out something else),
    // read from its administrative files when its `.git` file is gone.
    std::optional<git_oid> head = worktree_head(repo.get(), admin_dir(name));
    if (!head) head = branch_head;
    bool dirty = false, broken = false;
    git_repository* raw = nullptr;
    if (git_worktree_validate(wt.get()) == 0 && git_repository_open_from_worktree(&raw, wt.get()) == 0) {
      RepoPtr wt_repo(raw);
      // A checkout killed half-way with nothing committed since holds no work.
      dirty = !unfinished_without_work(repo.get(), name) && !uncommitted_paths(wt_repo.get()).empty();
    } else {
      // Its files can no longer be compared with anything: whatever is in the
      // directory counts as work not merged.
      std::error_code ec;
      broken = true;
      dirty = fs::exists(path, ec) && !fs::is_empty(path, ec);
    }
    bool merged = false;
    auto task_target = target ? target : remembered_target(name);
    if (head && task_target && !dirty) {
      auto tip = target_tip(repo.get(), *task_target);
      auto in_target = [&](const git_oid& id) { return find_merge(repo.get(), *tip, id, name).state != MergeLookup::kNotMerged; };
      if (tip) merged = in_target(*head) && (!branch_head || in_target(*branch_head));
    }
    out.push_back({{"task_id", name},
                   {"path", path},
                   {"branch", branch},
                   {"head", head ? json(oid_hex(*head)) : json(nullptr)},
                   {"merged", merged},
                   {"dirty", dirty},
                   {"broken", broken},
                   {"size_bytes", directory_size(path)}});
  }
  git_strarray_dispose(&names);

  // Task branches whose worktree is gone (e.g. a run killed while removing
  // it) are listed too, with an empty path, so they can be cleaned up.
  std::set<std::string> listed;
  for (const auto& w : out) listed.insert(w["task_id"].get<std::string>());
  git_branch_iterator* raw_it = nullptr;
  if (git_branch_iterator_new(&raw_it, repo.get(), GIT_BRANCH_LOCAL) == 0) {
    BranchIterPtr it(raw_it);
    git_reference* raw_ref = nullptr;
    git_branch_t type;
    while (git_branch_next(&raw_ref, &type, it.get()) == 0) {
      RefPtr ref(raw_ref);
      const char* short_name = nullptr;
      if (git_branch_name(&short_name, ref.get()) != 0 || short_name == nullptr) continue;
      std::string branch = short_name;
      if (branch.rfind(config_.branch_prefix, 0) != 0) continue;
      std::string name = branch.substr(config_.branch_prefix.size());
      if (listed.count(name)) continue;
      try {
        validate_task_id(name);
      } catch (const sdk::Error&) {
        continue;
      }
      auto head = branch_tip(repo.get(), branch);
      bool merged = false;
      auto task_target = target ? target : remembered_target(name);
      if (head && task_target) {
        auto tip = target_tip(repo.get(), *task_target);
        if (tip) merged = find_merge(repo.get(), *tip, *head, name).state != MergeLookup::kNotMerged;
      }
      out.push_back({{"task_id", name},
                     {"path", ""},
                     {"branch", branch},
                     {"head", head ? json(oid_hex(*head)) : json(nullptr)},
                     {"merged", merged},
                     {"dirty", false},
                     {"size_bytes", 0}});
    }
  }
  return out.dump();
}

GitVcs::TaskBase GitVcs::task_base(git_repository* repo, const std::string& task_id, const std::string& target) const {
  const std::string branch = branch_name(task_id);
  auto head = branch_tip(repo, branch);
  if (!head)
    throw sdk::Error(DROVER_NOT_FOUND, "vcs git: task " + quote_text(task_id) + " has no branch " + branch +
                                           " (its work was removed, or it has not started: prepare_worktree makes it)");
  auto tip = target_tip(repo, target);
  if (!tip) throw sdk::Error(DROVER_NOT_FOUND, "vcs git: target branch " + quote_text(target) + " does not exist");
  git_oid base;
  check(git_merge_base(&base, repo, &*head, &*tip),
        "vcs git: branch " + branch + " and " + quote_text(target) + " share no history", DROVER_CONFLICT);
  CommitPtr base_commit = lookup_commit(repo, base);
  return TaskBase{*head, commit_tree(base_commit.get())};
}

std::string GitVcs::diff_summary(std::string_view request) {
  const char* op = "diff_summary";
  json req = parse_request(op, request);
  std::string task_id = required_string(op, req, "task_id");
  validate_task_id(task_id);
  std::string target = required_string(op, req, "target_branch");
  validate_branch_name(target);

  RepoPtr repo = open_main();
  const TaskBase b = task_base(repo.get(), task_id, target);
  CommitPtr head_commit = lookup_commit(repo.get(), b.head);
  TreePtr head_tree = commit_tree(head_commit.get());

  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  git_diff* raw_diff = nullptr;
  check(git_diff_tree_to_tree(&raw_diff, repo.get(), b.base_tree.get(), head_tree.get(), &opts),
        "vcs git: cannot diff task " + quote_text(task_id));
  DiffPtr diff(raw_diff);
  git_diff_stats* raw_stats = nullptr;
  check(git_diff_get_stats(&raw_stats, diff.get()), "vcs git: cannot count the changes of task " + quote_text(task_id));
  DiffStatsPtr stats(raw_stats);
  json paths = json::array();
  for (size_t i = 0, n = git_diff_num_deltas(diff.get()); i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    paths.push_back(d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path);
  }
  return json{{"files", git_diff_stats_files_changed(stats.get())},
              {"insertions", git_diff_stats_insertions(stats.get())},
              {"deletions", git_diff_stats_deletions(stats.get())},
              {"paths", paths}}
      .dump();
}

}  // namespace drover::vcs_git
