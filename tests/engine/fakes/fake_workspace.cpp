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
  if (auto f = away_locked("prepare")) return *f;
  bool created = trees_.try_emplace(k).second || !trees_[k].here;
  trees_[k].here = true;
  const std::string base = "c" + std::to_string(history_.size());
  return PreparedWorktree{"/repo/.drover/worktrees/" + k, "drover/" + k, base, created, base};
}

Result<CommitResult> FakeWorkspace::commit(const WorktreeKey& key, const CommitRequest&) {
  const std::string k = key.str();
  note("commit", k);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto f = away_locked("commit")) return *f;
  if (no_changes.count(k)) return CommitResult{std::nullopt, false, 0};
  trees_[k].committed = true;
  return CommitResult{"commit-" + k, true, 1};
}

std::optional<Status> FakeWorkspace::away(const std::string& op) {
  std::lock_guard<std::mutex> lock(mu_);
  return away_locked(op);
}

std::optional<Status> FakeWorkspace::away_locked(const std::string& op) {
  auto it = unreachable.find(op);
  if (it == unreachable.end() || it->second <= 0) return std::nullopt;
  --it->second;
  return Status::Unavailable("cannot reach remote 'origin' (git://127.0.0.1/shared.git): connection refused");
}

void FakeWorkspace::forget_worktrees_here() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, tree] : trees_) {
    tree.here = false;
    tree.partial = false;  // uncommitted work stays on the other machine
  }
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

std::string FakeWorkspace::tip() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tip_locked();
}

std::vector<std::string> FakeWorkspace::keys_in(const std::string& text) {
  std::vector<std::string> out;
  const size_t start = text.find("land:");
  if (start == std::string::npos) return out;
  std::string rest = text.substr(start + 5);
  size_t pos = rest.find('+');
  while (pos != std::string::npos) {
    size_t next = rest.find('+', pos + 1);
    out.push_back(rest.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1));
    pos = next;
  }
  return out;
}

Result<BuiltLanding> FakeWorkspace::build_landing(const std::string&, const std::vector<LandingToBuild>& tasks) {
  if (no_queue) return Status(StatusCode::kUnsupported, "the fake VCS has no merge queue");
  for (const auto& t : tasks) note("build_landing", t.key.str());
  std::lock_guard<std::mutex> lock(mu_);
  if (auto f = away_locked("build_landing")) return *f;
  BuiltLanding b;
  b.tip = tip_locked();
  std::string chain = "land:" + b.tip;
  for (const auto& t : tasks) {
    const std::string k = t.key.str();
    Tree& tree = trees_[k];
    TaskLanding l;
    l.task = k;
    if (tree.merged) {
      l.kind = MergeKind::kAlreadyMerged;
      l.commit = "merge-" + k;
    } else if (!tree.committed) {
      l.kind = MergeKind::kNothingToMerge;
    } else if (conflicts[k] > 0) {
      --conflicts[k];
      tree.conflicted = true;
      l.kind = MergeKind::kConflict;
      l.paths = {"shared.txt"};
    } else {
      chain += "+" + k;
      l.kind = MergeKind::kMerged;
      l.commit = "merge-" + k;
      b.commit = chain;
    }
    b.tasks.push_back(l);
  }
  return b;
}

Result<Publication> FakeWorkspace::publish_landing(const std::string&, const std::string& expected_tip,
                                                   const std::string& commit) {
  if (no_queue) return Status(StatusCode::kUnsupported, "the fake VCS has no merge queue");
  note("publish_landing", commit);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto f = away_locked("publish_landing")) return *f;
  if (!refuse_publish.empty()) return Status::Conflict("the remote refused the update of main: " + refuse_publish);
  if (moves_before_publish > 0) {
    --moves_before_publish;
    history_.push_back("(someone else)");
  }
  if (expected_tip != tip_locked()) return Publication{PublishKind::kMoved, tip_locked(), {}};
  const std::vector<std::string> keys = keys_in(commit);
  for (const auto& k : keys)
    if (local_changes[k] > 0) {
      --local_changes[k];
      return Publication{PublishKind::kLocalChanges, tip_locked(), {"README.md"}};
    }
  for (const auto& k : keys) {
    trees_[k].merged = true;
    history_.push_back(k);
  }
  return Publication{PublishKind::kMerged, tip_locked(), {}};
}

Result<WorktreeSync> FakeWorkspace::sync(const WorktreeKey& key, const std::string&) {
  if (no_queue) return Status(StatusCode::kUnsupported, "the fake VCS has no merge queue");
  const std::string k = key.str();
  note("sync", k);
  std::lock_guard<std::mutex> lock(mu_);
  Tree& t = trees_[k];
  WorktreeSync s;
  s.tip = tip_locked();
  if (t.conflicted) {
    t.conflicted = false;
    s.kind = SyncKind::kConflict;
    s.paths = {"shared.txt"};
    for (auto it = history_.rbegin(); it != history_.rend(); ++it)
      if (*it != k && it->front() != '(') {
        s.collides_with.push_back(Collision{*it, "merge-" + *it, "landed " + *it, {"shared.txt"}});
        break;
      }
  } else {
    s.kind = SyncKind::kMerged;
  }
  return s;
}

Result<std::string> FakeWorkspace::scratch(const std::string& name, const std::optional<std::string>& commit) {
  if (no_queue) return Status(StatusCode::kUnsupported, "the fake VCS has no merge queue");
  note(commit ? "scratch" : "scratch_removed", name);
  if (!commit) return std::string();
  return "/repo/.drover/worktrees/+" + name + "/" + *commit;
}

}  // namespace drover::testing
