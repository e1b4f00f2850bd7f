// What the user's checkout looks like, for noticing writes an agent made
// outside its worktree: HEAD (the branch it names and its commit), the target
// branch's tip, and every path `git status` would show (staged, modified,
// deleted, untracked; not ignored ones) with a signature of its index entry
// and its file on disk. Two states taken before and after an agent attempt
// differ exactly where somebody changed the checkout in between: Drover's own
// merges bring clean files along and leave these entries as they were.
//
// Read-only: the index is read, never refreshed or written.
#ifndef DROVER_VCS_GIT_CHECKOUT_STATE_H
#define DROVER_VCS_GIT_CHECKOUT_STATE_H

#include <git2.h>

#include <nlohmann/json.hpp>
#include <string>

namespace drover::vcs_git {

// {"head_ref": str|null, "head_commit": str|null, "target_tip": str|null,
//  "entries": {path: signature}}
nlohmann::json checkout_state(git_repository* repo, const std::string& root, const std::string& target_branch);

}  // namespace drover::vcs_git

#endif
