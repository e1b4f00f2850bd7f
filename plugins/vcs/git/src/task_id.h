// Task ids become directory and branch names, so they are checked before
// anything touches the disk: a valid id can never name a path outside the
// worktree directory nor make a malformed ref.
#ifndef DROVER_VCS_GIT_TASK_ID_H
#define DROVER_VCS_GIT_TASK_ID_H

#include <string>
#include <string_view>

namespace drover::vcs_git {

constexpr std::size_t kMaxTaskIdLength = 100;

// Throws sdk::Error(DROVER_INVALID_ARGUMENT) naming the id unless it is 1..100
// characters of [A-Za-z0-9._-], does not start with '.', contains no "..", and
// does not end in ".lock".
void validate_task_id(std::string_view id);

// The text quoted for an error message, with control and non-ASCII bytes escaped
// so hostile input cannot forge log lines.
std::string quote_text(std::string_view text);

}  // namespace drover::vcs_git

#endif
