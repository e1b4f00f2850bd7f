// Work Drover keeps under refs/drover/ instead of deleting it: a round's
// commits that did not land (archive/), an interrupted attempt's files
// (interrupted/), an agent's own commits taken off the target (archive/.../
// target-<sha>). Listed by `drover worktree list --all`, dropped by
// `drover worktree prune --force`.
#ifndef DROVER_VCS_GIT_KEPT_WORK_H
#define DROVER_VCS_GIT_KEPT_WORK_H

#include <git2.h>

#include <nlohmann/json.hpp>
#include <string>

namespace drover::vcs_git {

// [{"task_id" (the worktree key the ref was kept for), "kept_ref", "head", "summary"}]
nlohmann::json list_kept_work(git_repository* repo);

// Deletes one ref under refs/drover/ kept for task_id; false if there is none.
// Throws DROVER_INVALID_ARGUMENT for any other ref.
bool drop_kept_work(git_repository* repo, const std::string& task_id, const std::string& ref);

}  // namespace drover::vcs_git

#endif
