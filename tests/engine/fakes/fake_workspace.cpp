#include "fake_workspace.h"

namespace drover::testing {

void FakeWorkspace::note(const std::string& op, const std::string& key) {
  if (before) before(op, key);
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[{op, key}];
}

int FakeWorkspace::count(const std::string& op, const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find({op, key});
  return it == counts_.end() ? 0 : it->second;
}

std::vector<std::string> FakeWorkspace::target_history() const {
  std::lock_guard<std::mutex> lock(mu_);
  return history_;
}

bool FakeWorkspace::exists(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return trees_.count(key) > 0;
}

Result<RepoInfo> FakeWorkspace::repo_info() { return RepoInfo{"/repo", std::string("main"), "c0"}; }

Result<PreparedWorktree> FakeWorkspace::prepare(const WorktreeKey& key, const std::string&) {
  const std::string k = key.str();
  note("prepare", k);
  std::lock_guard<std::mutex> lock(mu_);
  if (prepare_fails.count(k)) return Status::Error("cannot create worktree " + k + ": disk full");
  if (!prepare_error_.empty()) return Status::Error(prepare_error_);
  bool created = trees_.try_emplace(k).second;
  const std::string base = "c" + std::to_string(history_.size());
  return PreparedWorktree{"/repo/.drover/worktrees/" + k, "drover/" + k, base, created, base};
}

Result<CommitResult> FakeWorkspace::commit(const WorktreeKey& key, const CommitRequest&) {
  const std::string k = key.str();
  note("commit", k);
  std::lock_guard<std::mutex> lock(mu_);
  if (no_changes.count(k)) return CommitResult{std::nullopt, false, 0};
  trees_[k].committed = true;
  return CommitResult{"commit-" + k, true, 1};
}

Result<MergeResult> FakeWorkspace::merge(const WorktreeKey& key, const std::string&, const std::string&) {
  const std::string k = key.str();
  note("merge", k);
  std::lock_guard<std::mutex> lock(mu_);
  Tree& t = trees_[k];
  if (t.merged) return MergeResult{MergeKind::kAlreadyMerged, "merge-" + k, {}};
  if (local_changes[k] > 0) {
    --local_changes[k];
    return MergeResult{MergeKind::kLocalChanges, std::nullopt, {"README.md"}};
  }
  if (conflicts[k] > 0) {
    --conflicts[k];
    return MergeResult{MergeKind::kConflict, std::nullopt, {"shared.txt"}};
  }
  t.merged = true;
  history_.push_back(k);
  return MergeResult{MergeKind::kMerged, "merge-" + k, {}};
}

Result<Removal> FakeWorkspace::remove(const std::string& name, const std::string&, bool force) {
  note("remove", name);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = trees_.find(name);
  if (it == trees_.end()) return Removal{false, {}};
  if (!it->second.merged && it->second.committed && !force) return Removal{false, {}};
  trees_.erase(it);
  return Removal{true, {}};
}

Result<std::vector<WorktreeInfo>> FakeWorkspace::list(const std::string&) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WorktreeInfo> out;
  for (const auto& [k, t] : trees_) {
    WorktreeInfo w;
    w.name = k;
    w.key = WorktreeKey::parse(k);
    w.path = "/repo/.drover/worktrees/" + k;
    w.branch = "drover/" + k;
    w.merged = t.merged || !t.committed;
    out.push_back(w);
  }
  return out;
}

Result<DiffSummary> FakeWorkspace::diff_summary(const WorktreeKey&, const std::string&) { return DiffSummary{}; }

void FakeWorkspace::fail_prepare_with(const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  prepare_error_ = error;
}

void FakeWorkspace::leave_partial_work(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  trees_[key].partial = true;
}

std::vector<std::string> FakeWorkspace::kept_refs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kept_refs_;
}

Result<WorktreeReset> FakeWorkspace::reset(const WorktreeKey& key, const std::string&, const std::string& keep_ref) {
  note("reset", key.str());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = trees_.find(key.str());
  if (it == trees_.end() || !it->second.partial) return WorktreeReset{};
  it->second.partial = false;
  kept_refs_.push_back(keep_ref);
  return WorktreeReset{true, keep_ref, {"partial.txt"}};
}

void FakeWorkspace::write_checkout(const std::string& path, const std::string& signature) {
  std::lock_guard<std::mutex> lock(mu_);
  checkout_[path] = signature;
}

void FakeWorkspace::commit_on_target(const std::string& key, const std::string& commit) {
  std::lock_guard<std::mutex> lock(mu_);
  agent_commits_.emplace_back(key, commit);
}

std::vector<std::string> FakeWorkspace::foreign_target_commits() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [key, commit] : agent_commits_) out.push_back(commit);
  return out;
}

// The target's tip names every merge and agent commit so far: any move shows.
Result<CheckoutState> FakeWorkspace::checkout_state(const std::string&) {
  if (no_checkout_state) return Status(StatusCode::kUnsupported, "the fake VCS takes no checkout states");
  std::lock_guard<std::mutex> lock(mu_);
  CheckoutState s;
  s.head_ref = "refs/heads/main";
  s.target_tip = "tip-" + std::to_string(history_.size()) + "-" + std::to_string(agent_commits_.size());
  s.head_commit = s.target_tip;
  s.entries = checkout_;
  return s;
}

Result<TargetMoves> FakeWorkspace::target_moves(const WorktreeKey& key, const std::string&, const std::string&,
                                                bool undo) {
  if (no_checkout_state) return Status(StatusCode::kUnsupported, "the fake VCS takes no target moves");
  note("target_moves", key.str());
  std::lock_guard<std::mutex> lock(mu_);
  TargetMoves m;
  for (const auto& [k, commit] : agent_commits_)
    m.commits.push_back(TargetCommit{commit, "agent commit", false, k == key.str()});
  bool only_this_task = !m.commits.empty();
  for (const auto& c : m.commits) only_this_task = only_this_task && c.by_task;
  if (undo && only_this_task) {
    agent_commits_.clear();
    m.undone = true;
    m.kept_at = "refs/drover/archive/" + key.str() + "/target";
  }
  return m;
}

}  // namespace drover::testing
