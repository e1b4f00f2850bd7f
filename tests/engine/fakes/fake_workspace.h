// FakeWorkspace: the Workspace port in memory. Each worktree key gets a
// branch; merging appends it to the target's history. A test scripts what
// goes wrong: merge conflicts, the user's checkout in the way, a failing
// prepare, an agent that changed nothing; and counts every side effect.
#ifndef DROVER_TESTS_ENGINE_FAKES_FAKE_WORKSPACE_H
#define DROVER_TESTS_ENGINE_FAKES_FAKE_WORKSPACE_H

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "drover/ports/workspace.h"

namespace drover::testing {

class FakeWorkspace final : public Workspace {
 public:
  // Scripts, keyed by the worktree key's text ("t1", "t1-r2").
  std::map<std::string, int> conflicts;      // this many merges of the key conflict
  std::map<std::string, int> local_changes;  // this many merges find the checkout in the way
  std::set<std::string> no_changes;          // commit finds nothing to commit
  std::set<std::string> prepare_fails;       // prepare fails for good
  bool no_checkout_state = false;            // checkout_state/target_moves: kUnsupported
  bool no_queue = false;                     // build/publish_landing, sync, scratch: kUnsupported (ABI 1.1)
  int moves_before_publish = 0;              // this many publishes find the target moved by someone else
  // A remote that cannot be reached: this many calls of the op (prepare,
  // commit, build_landing, publish_landing) fail with kUnavailable first.
  std::map<std::string, int> unreachable;
  std::string refuse_publish;                // set: every publish is refused with kConflict and this reason
  // Another machine: worktrees made before are not on this one (their
  // commits are, as a remote keeps them); the next prepare makes them again.
  void forget_worktrees_here();
  // Called before each operation with its name and key; may throw Crash.
  std::function<void(const std::string& op, const std::string& key)> before;

  // Until called again with "", every prepare fails with this error (e.g. ENOSPC's text).
  void fail_prepare_with(const std::string& error);

  // An agent's partial work left in key's worktree (what reset undoes).
  void leave_partial_work(const std::string& key);
  std::vector<std::string> kept_refs() const;  // where resets kept work

  // An agent's write into the user's checkout (path -> new signature).
  void write_checkout(const std::string& path, const std::string& signature);
  // An agent's commit on the target branch, made in key's worktree.
  void commit_on_target(const std::string& key, const std::string& commit);
  // Agent commits still on the target (not put back by target_moves(undo)).
  std::vector<std::string> foreign_target_commits() const;

  // What happened.
  int count(const std::string& op, const std::string& key) const;
  std::vector<std::string> target_history() const;  // keys merged, in order
  bool exists(const std::string& key) const;
  // The op's next call fails (kUnavailable) when `unreachable` says so.
  std::optional<Status> away(const std::string& op);

  Result<RepoInfo> repo_info() override;
  Result<PreparedWorktree> prepare(const WorktreeKey& key, const std::string& target_branch) override;
  Result<CommitResult> commit(const WorktreeKey& key, const CommitRequest& request) override;
  Result<MergeResult> merge(const WorktreeKey& key, const std::string& target_branch, const std::string& message) override;
  Result<Removal> remove(const std::string& name, const std::string& target_branch, bool force) override;
  Result<std::vector<WorktreeInfo>> list(const std::string& target_branch) override;
  Result<DiffSummary> diff_summary(const WorktreeKey& key, const std::string& target_branch) override;
  Result<WorktreeReset> reset(const WorktreeKey& key, const std::string& to, const std::string& keep_ref) override;
  Result<CheckoutState> checkout_state(const std::string& target_branch) override;
  Result<TargetMoves> target_moves(const WorktreeKey& key, const std::string& target_branch, const std::string& since,
                                   bool undo) override;
  // The merge queue. A landing's commit is "land:<tip>+<key>+<key>...": the
  // keys it brings in, so a test's verify rule can see what it verifies.
  Result<BuiltLanding> build_landing(const std::string& target_branch, const std::vector<LandingToBuild>& tasks) override;
  Result<Publication> publish_landing(const std::string& target_branch, const std::string& expected_tip,
                                      const std::string& commit) override;
  Result<WorktreeSync> sync(const WorktreeKey& key, const std::string& target_branch) override;
  Result<std::vector<KeptWork>> kept_work() override { return std::vector<KeptWork>{}; }
  Result<Removal> drop_kept(const std::string&, const std::string&) override { return Removal{}; }
  Result<std::string> scratch(const std::string& name, const std::optional<std::string>& commit) override;
  // The keys a landing commit or scratch path brings in.
  static std::vector<std::string> keys_in(const std::string& commit_or_path);
  std::string tip() const;

 private:
  struct Tree {
    bool committed = false;
    bool merged = false;
    bool partial = false;  // uncommitted work of an attempt
    bool conflicted = false;  // its last landing conflicted: the next sync leaves the conflict in it
    bool here = true;         // on this machine (forget_worktrees_here)
  };
  std::optional<Status> away_locked(const std::string& op);
  std::string tip_locked() const { return "c" + std::to_string(history_.size()); }
  void note(const std::string& op, const std::string& key);

  mutable std::mutex mu_;
  std::map<std::string, Tree> trees_;
  std::vector<std::string> history_;
  std::vector<std::string> kept_refs_;
  std::string prepare_error_;
  std::map<std::string, std::string> checkout_;                       // path -> signature
  std::vector<std::pair<std::string, std::string>> agent_commits_;    // (key, commit) on the target
  std::map<std::pair<std::string, std::string>, int> counts_;
};

}  // namespace drover::testing

#endif
