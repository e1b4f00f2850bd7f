// Who moved the target branch while a task's agent ran. Drover's own merges
// carry the trailers `Drover-Task` and `Drover-Source`; a commit the agent
// made (it checked the target out in its worktree and committed, or pushed
// its branch's commits onto the target) shows up as a "commit" entry of its
// worktree's HEAD log. When every commit the target gained is the agent's, the
// target can be put back where it was, the agent's commits kept under
// refs/drover/archive/<task>/target-<sha> so nothing is lost.
#ifndef DROVER_VCS_GIT_TARGET_MOVES_H
#define DROVER_VCS_GIT_TARGET_MOVES_H

#include <git2.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

namespace drover::vcs_git {

// The commits made in a task's worktree: the new ids of the "commit…" entries
// of its HEAD log (<admin dir>/logs/HEAD), read as text so a worktree whose
// `.git` file was deleted still answers.
std::set<std::string> worktree_head_history(const std::string& admin_dir);

struct TargetMovesInput {
  std::string task_id;
  std::string target_branch;
  std::string since;                     // the target's tip when the attempt began
  std::set<std::string> head_history;    // worktree_head_history of the task's worktree
};

// {"tip": str, "rewound": bool, "commits": [{"commit", "summary", "drover_merge": bool,
//   "by_task": bool}]} newest first, along the first-parent line from the tip
// back to `since` ("rewound": true and no commits when `since` is not on it).
nlohmann::json target_moves(git_repository* repo, const TargetMovesInput& in);

// Puts the target back at `since` when the tip is still `expected_tip` and every
// commit in `moves` is the task's, keeping the tip under the archive ref.
// Returns the archive ref's name, or nullopt when the target was left alone.
// The caller holds the target's merge lock.
std::optional<std::string> undo_target_moves(git_repository* repo, const TargetMovesInput& in,
                                             const nlohmann::json& moves);

}  // namespace drover::vcs_git

#endif
