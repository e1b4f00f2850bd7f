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
  bool created = trees_.try_emplace(k).second;
  return PreparedWorktree{"/repo/.drover/worktrees/" + k, "drover/" + k, "c" + std::to_string(history_.size()), created};
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

}  // namespace drover::testing
