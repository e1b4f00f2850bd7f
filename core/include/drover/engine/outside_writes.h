// Writes an agent made outside its worktree. The workflow takes the user's
// checkout state (Workspace::checkout_state) before an agent attempt and
// after it; checkout_changes names what differs. Drover's own merges bring
// clean files along and move the target branch, which the comparison leaves
// to Workspace::target_moves. The ledger remembers which task's agent wrote
// which path, so a later merge blocked by such a file blames the agent, not
// the user.
#ifndef DROVER_ENGINE_OUTSIDE_WRITES_H
#define DROVER_ENGINE_OUTSIDE_WRITES_H

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drover/ports/workspace.h"

namespace drover {

struct CheckoutChange {
  std::string path;  // relative to the checkout's root; "HEAD" for HEAD itself
  std::string what;  // "added", "changed", "reverted", or how HEAD moved
  std::string text() const { return path + " (" + what + ")"; }
};

// Every entry that differs (added, changed, or reverted: a change of the
// user's that is gone), and HEAD when it names another branch or its branch
// (other than the target) moved. Empty when nothing changed. Drover's own
// directory (.drover/, where it writes logs while agents run) is never an
// agent's write, even in a repository where `drover init` did not exclude it.
std::vector<CheckoutChange> checkout_changes(const CheckoutState& before, const CheckoutState& after,
                                          const std::string& target_branch);

class OutsideWriteLedger {
 public:
  // Off: the sandbox keeps agents out of the checkout, or the user said so.
  explicit OutsideWriteLedger(bool watching = true) : watching_(watching) {}
  bool watching() const { return watching_.load(); }
  // The VCS cannot take checkout states: stop asking. True the first time.
  bool stop_watching();

  void blame(const std::string& task_id, const std::vector<CheckoutChange>& changes);
  // The task whose agent wrote path during this run, if one did.
  std::optional<std::string> writer_of(const std::string& path) const;

 private:
  std::atomic<bool> watching_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> writer_;  // path -> task id
};

}  // namespace drover

#endif
