// GitVcs operations that look for writes an agent made outside its worktree:
// checkout_state (the user's checkout) and target_moves (the target branch).
#include "checkout_state.h"
#include "git_vcs.h"
#include "repo_lock.h"
#include "repo_queries.h"
#include "request_json.h"
#include "target_moves.h"
#include "task_id.h"

namespace drover::vcs_git {

std::string GitVcs::checkout_state(std::string_view request) {
  const char* op = "checkout_state";
  json req = parse_request(op, request);
  const std::string target = required_string(op, req, "target_branch");
  validate_branch_name(target);
  RepoPtr repo = open_main();
  // Under the target's merge lock, so a merge bringing the checkout along is
  // seen before or after, never half-way.
  RepoLock lock(RepoLock::merge_lock_path(common_dir_, target));
  return vcs_git::checkout_state(repo.get(), root_, target).dump();
}

std::string GitVcs::target_moves(std::string_view request) {
  const char* op = "target_moves";
  json req = parse_request(op, request);
  TargetMovesInput in;
  in.task_id = required_string(op, req, "task_id");
  validate_task_id(in.task_id);
  in.target_branch = required_string(op, req, "target_branch");
  validate_branch_name(in.target_branch);
  in.since = required_string(op, req, "since");
  const bool undo = optional_bool(op, req, "undo", false);

  RepoPtr repo = open_main();
  RepoLock lock(RepoLock::merge_lock_path(common_dir_, in.target_branch));
  // Nearly always the target has not moved: the worktree's log is read only when it has.
  const auto tip = branch_tip(repo.get(), in.target_branch);
  if (!tip || oid_hex(*tip) != in.since) in.head_history = worktree_head_history(admin_dir(in.task_id));
  json out = vcs_git::target_moves(repo.get(), in);
  out["undone"] = false;
  out["kept_at"] = nullptr;
  if (undo) {
    if (auto kept = undo_target_moves(repo.get(), in, out)) {
      out["undone"] = true;
      out["kept_at"] = *kept;
    }
  }
  return out.dump();
}

}  // namespace drover::vcs_git
