// WorktreeKey: which worktree and branch of a task. Round 1 is the task's
// first worktree ("t3", branch drover/t3); after a merge conflict the work is
// redone on a fresh branch from the new tip, round 2 ("t3-r2"), and so on.
// Formatted and parsed here only: everything else passes the typed key.
#ifndef DROVER_MODEL_WORKTREE_KEY_H
#define DROVER_MODEL_WORKTREE_KEY_H

#include <optional>
#include <string>
#include <string_view>

namespace drover {

struct WorktreeKey {
  std::string task;
  int round = 1;

  // "t3" for round 1, "t3-r2" for round 2.
  std::string str() const;
  // The inverse of str(); nullopt for text that no key formats to (including
  // "t3-r1" and "t3-r0", which would name round 1 twice).
  static std::optional<WorktreeKey> parse(std::string_view text);

  bool operator==(const WorktreeKey& o) const { return task == o.task && round == o.round; }
  bool operator<(const WorktreeKey& o) const { return task != o.task ? task < o.task : round < o.round; }
};

}  // namespace drover

#endif
