// GitVcs::scratch_worktree: a worktree that belongs to no task, with HEAD
// detached at a given commit: where the host verifies a merged result before
// the target moves. Reused from one commit to the next (only the files that
// differ are written; ignored files such as build caches stay).
#include <git2.h>

#include <filesystem>

#include "git_vcs.h"
#include "repo_lock.h"
#include "repo_queries.h"
#include "request_json.h"
#include "stale_locks.h"
#include "worktree_dir.h"

namespace drover::vcs_git {

namespace fs = std::filesystem;

namespace {

void validate_scratch_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 32;
  for (char c : name) ok = ok && c >= 'a' && c <= 'z';
  if (!ok)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: scratch_worktree: the name must be 1 to 32 letters a-z, not '" +
                                                  name.substr(0, 40) + "'");
}

}  // namespace

std::string GitVcs::scratch_worktree(std::string_view request) {
  const char* op = "scratch_worktree";
  json req = parse_request(op, request);
  const std::string name = required_string(op, req, "name");
  validate_scratch_name(name);
  const auto commit_text = optional_string(op, req, "commit");
  // '+' is never part of a task id, so neither the worktree nor its
  // short-lived branch can be a task's (and list_worktrees skips them).
  const std::string wt_name = "+" + name;
  const std::string path = worktree_dir_ + "/" + wt_name;
  const std::string admin = common_dir_ + "worktrees/" + wt_name;
  const std::string temp_branch = config_.branch_prefix + wt_name;
  RepoPtr repo = open_main();
  std::error_code ec;
  // The host holds its landing lock around every use of the scratch
  // worktree: a lock file in it is a killed process's.
  clear_task_locks(common_dir_, temp_branch, admin);

  auto delete_temp_branch = [&] {
    git_reference* raw = nullptr;
    if (git_branch_lookup(&raw, repo.get(), temp_branch.c_str(), GIT_BRANCH_LOCAL) == 0) {
      RefPtr ref(raw);
      git_branch_delete(ref.get());
    }
  };
  auto remove_all = [&] {
    RepoLock lock(RepoLock::worktrees_lock_path(common_dir_));
    fs::remove_all(path, ec);
    fs::remove_all(admin, ec);
    delete_temp_branch();
  };
  if (!commit_text) {
    remove_all();
    return json{{"path", nullptr}}.dump();
  }
  git_oid oid;
  if (git_oid_fromstr(&oid, commit_text->c_str()) != 0)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: scratch_worktree: 'commit' is not a commit id: '" +
                                                  commit_text->substr(0, 60) + "'");
  CommitPtr commit = lookup_commit(repo.get(), oid);

  WorktreePtr wt = lookup_worktree(repo.get(), wt_name);
  if (wt && git_worktree_validate(wt.get()) == 0) {
    git_repository* raw_repo = nullptr;
    if (git_repository_open_from_worktree(&raw_repo, wt.get()) == 0) {
      RepoPtr wt_repo(raw_repo);
      CommitPtr wt_commit = lookup_commit(wt_repo.get(), oid);
      git_checkout_options co;
      git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
      co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
      if (git_checkout_tree(wt_repo.get(), reinterpret_cast<git_object*>(wt_commit.get()), &co) == 0 &&
          git_repository_set_head_detached(wt_repo.get(), &oid) == 0) {
        delete_temp_branch();  // left by a creation cut short after the add
        return json{{"path", path}}.dump();
      }
      sdk::log(DROVER_LOG_WARN, "the scratch worktree " + path + " could not be checked out (" + last_git_error() +
                                    "); making it afresh");
    }
  }
  {
    // Missing, or left half made or damaged: made afresh.
    wt.reset();
    remove_all();
    claim_worktree_dir(worktree_dir_, drover_dir_);
    {
      // Registration and ref updates under the worktrees lock; the checkout
      // (every file) after it, so task worktrees are not held up. A crash
      // before the checkout ends leaves a registered scratch worktree that
      // the next call checks out in full (the path above: FORCE).
      RepoLock lock(RepoLock::worktrees_lock_path(common_dir_));
      // libgit2 adds a worktree on a branch only: a short-lived one, deleted
      // once HEAD is detached.
      git_reference* raw_branch = nullptr;
      check(git_branch_create(&raw_branch, repo.get(), temp_branch.c_str(), commit.get(), 1),
            "vcs git: cannot create the scratch worktree's branch");
      RefPtr branch(raw_branch);
      git_worktree_add_options opts;
      git_worktree_add_options_init(&opts, GIT_WORKTREE_ADD_OPTIONS_VERSION);
      opts.ref = branch.get();
      opts.checkout_options.checkout_strategy = GIT_CHECKOUT_NONE;
      git_worktree* raw_wt = nullptr;
      if (git_worktree_add(&raw_wt, repo.get(), wt_name.c_str(), path.c_str(), &opts) != 0) {
        const std::string why = last_git_error();
        fs::remove_all(path, ec);
        fs::remove_all(admin, ec);
        git_branch_delete(branch.get());
        throw sdk::Error(DROVER_ERROR, "vcs git: cannot create the scratch worktree " + path + ": " + why);
      }
      wt.reset(raw_wt);
      git_repository* raw_repo = nullptr;
      check(git_repository_open_from_worktree(&raw_repo, wt.get()), "vcs git: cannot open the scratch worktree " + path);
      RepoPtr wt_repo(raw_repo);
      check(git_repository_set_head_detached(wt_repo.get(), &oid), "vcs git: cannot detach HEAD in " + path);
      git_branch_delete(branch.get());
    }
    git_repository* raw_repo = nullptr;
    check(git_repository_open_from_worktree(&raw_repo, wt.get()), "vcs git: cannot open the scratch worktree " + path);
    RepoPtr wt_repo(raw_repo);
    CommitPtr wt_commit = lookup_commit(wt_repo.get(), oid);
    git_checkout_options co;
    git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
    co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
    check(git_checkout_tree(wt_repo.get(), reinterpret_cast<git_object*>(wt_commit.get()), &co),
          "vcs git: cannot check out the scratch worktree " + path);
    return json{{"path", path}}.dump();
  }
}

}  // namespace drover::vcs_git
