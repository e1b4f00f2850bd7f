// GitVcs::reset_worktree: puts a task's worktree back to the commit its
// attempt started from (tasks.on_interrupted: restart), after keeping every
// file of the interrupted attempt in a commit under a private ref.
#include <git2.h>

#include "commit_message.h"
#include "git_vcs.h"
#include "repo_queries.h"
#include "request_json.h"
#include "stale_locks.h"
#include "task_id.h"
#include "worktree_staging.h"

namespace drover::vcs_git {

std::string GitVcs::reset_worktree(std::string_view request) {
  const char* op = "reset_worktree";
  json req = parse_request(op, request);
  const std::string task_id = required_string(op, req, "task_id");
  validate_task_id(task_id);
  const std::string to_text = required_string(op, req, "to");
  const std::string keep_ref = required_string(op, req, "keep_ref");
  if (keep_ref.rfind("refs/drover/", 0) != 0 || git_reference_is_valid_name(keep_ref.c_str()) != 1)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: reset_worktree: keep_ref must be a valid ref under refs/drover/, "
                                              "not " + quote_text(keep_ref));
  git_oid to;
  if (git_oid_fromstr(&to, to_text.c_str()) != 0)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: reset_worktree: 'to' is not a commit id: " + quote_text(to_text));
  clear_task_locks(common_dir_, branch_name(task_id), admin_dir(task_id));

  RepoPtr repo = open_main();
  WorktreePtr handle = lookup_worktree(repo.get(), task_id);
  if (!handle || git_worktree_validate(handle.get()) != 0)
    return json{{"reset", false}, {"kept_at", nullptr}, {"paths", json::array()}}.dump();  // prepare makes a fresh one
  RepoPtr wt = open_task_worktree(repo.get(), task_id);
  const std::string what = "task " + quote_text(task_id);
  CommitPtr to_commit = lookup_commit(wt.get(), to);
  TreePtr to_tree = commit_tree(to_commit.get());

  const std::string branch_ref = "refs/heads/" + branch_name(task_id);
  git_oid head;
  check(git_reference_name_to_id(&head, wt.get(), "HEAD"), "vcs git: cannot read HEAD of the worktree of " + what);
  bool on_branch = false;
  git_reference* raw_head = nullptr;
  if (git_reference_lookup(&raw_head, wt.get(), "HEAD") == 0) {
    RefPtr head_ref(raw_head);
    on_branch = git_reference_type(head_ref.get()) == GIT_REFERENCE_SYMBOLIC &&
                branch_ref == git_reference_symbolic_target(head_ref.get());
  }
  // A merge or rebase the agent left half-done is part of what gets kept.
  git_repository_state_cleanup(wt.get());

  git_index* raw_index = nullptr;
  check(git_repository_index(&raw_index, wt.get()), "vcs git: cannot open the index of " + what);
  IndexPtr index(raw_index);
  check(git_index_read(index.get(), 1), "vcs git: cannot read the index of " + what);
  const git_oid tree_oid = stage_everything(wt.get(), index.get(), what);
  if (on_branch && git_oid_equal(&head, &to) && git_oid_equal(&tree_oid, git_tree_id(to_tree.get())))
    return json{{"reset", false}, {"kept_at", nullptr}, {"paths", json::array()}}.dump();  // nothing was done yet

  // Keep everything: a commit of the files on top of where HEAD was.
  git_tree* raw_tree = nullptr;
  check(git_tree_lookup(&raw_tree, wt.get(), &tree_oid), "vcs git: cannot read the tree of " + what);
  TreePtr tree(raw_tree);
  CommitPtr head_commit = lookup_commit(wt.get(), head);
  SignaturePtr sig = make_signature(wt.get(), config_, std::nullopt, std::nullopt);
  const std::string message = with_trailer("Work of an interrupted attempt of task " + task_id +
                                               "\n\nKept by Drover before the attempt was restarted.\n",
                                           "Drover-Task", task_id);
  const git_commit* parents[] = {head_commit.get()};
  git_oid kept;
  check(git_commit_create(&kept, wt.get(), nullptr, sig.get(), sig.get(), nullptr, message.c_str(), tree.get(), 1, parents),
        "vcs git: cannot keep the interrupted work of " + what);
  git_reference* raw_ref = nullptr;
  check(git_reference_create(&raw_ref, repo.get(), keep_ref.c_str(), &kept, 1, "drover: keep an interrupted attempt"),
        "vcs git: cannot write " + keep_ref);
  git_reference_free(raw_ref);

  // Back to the start: the branch at `to`, checked out, untracked files gone
  // (ignored ones, e.g. build caches, stay).
  raw_ref = nullptr;
  check(git_reference_create(&raw_ref, repo.get(), branch_ref.c_str(), &to, 1, "drover: restart an interrupted attempt"),
        "vcs git: cannot move " + branch_ref);
  git_reference_free(raw_ref);
  check(git_repository_set_head(wt.get(), branch_ref.c_str()), "vcs git: cannot put the worktree of " + what + " on its branch");
  git_checkout_options co;
  git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
  check(git_reset(wt.get(), reinterpret_cast<git_object*>(to_commit.get()), GIT_RESET_HARD, &co),
        "vcs git: cannot reset the worktree of " + what);
  // The work saved on a remote is the restarted attempt's too: a machine that
  // takes the task over starts where this one restarted, not before.
  if (remote_) remote_->push_task(repo.get(), task_id, to);
  return json{{"reset", true}, {"kept_at", keep_ref}, {"paths", changed_paths(wt.get(), to_tree.get(), tree.get())}}.dump();
}

}  // namespace drover::vcs_git
