#include "drover/plugin_host/plugin_workspace.h"

#include "plugin_response.h"

namespace drover {
namespace {

using json = nlohmann::json;
using Vcs = drover_vcs_vtable_v1;

template <class T, class F>
Result<T> read_vcs(Result<json> r, F&& convert) {
  return read_response<T>(std::move(r), "VCS", std::forward<F>(convert));
}

}  // namespace

Result<std::unique_ptr<PluginWorkspace>> PluginWorkspace::open(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                   const nlohmann::json& context) {
  auto client = VcsClient::open(plugin, config_yaml, context);
  if (!client.ok()) return client.status();
  return std::make_unique<PluginWorkspace>(std::move(client.value()));
}

Result<RepoInfo> PluginWorkspace::repo_info() {
  return read_vcs<RepoInfo>(client_->call(&Vcs::repo_info, "repo_info", json::object()), [](const json& j) {
    return RepoInfo{j.value("root", ""), optional_field<std::string>(j, "head_branch"), j.value("head_commit", "")};
  });
}

Result<PreparedWorktree> PluginWorkspace::prepare(const WorktreeKey& key, const std::string& target_branch) {
  return read_vcs<PreparedWorktree>(
      client_->call(&Vcs::prepare_worktree, "prepare_worktree", json{{"task_id", key.str()}, {"target_branch", target_branch}}),
      [](const json& j) {
        return PreparedWorktree{j.value("path", ""), j.value("branch", ""), j.value("base_commit", ""),
                                j.value("created", false), optional_field<std::string>(j, "head").value_or("")};
      });
}

Result<CommitResult> PluginWorkspace::commit(const WorktreeKey& key, const CommitRequest& c) {
  json req{{"task_id", key.str()}, {"message", c.message}};
  if (!c.author_name.empty()) req["author_name"] = c.author_name;
  if (!c.author_email.empty()) req["author_email"] = c.author_email;
  return read_vcs<CommitResult>(client_->call(&Vcs::commit, "commit", req), [](const json& j) {
    return CommitResult{optional_field<std::string>(j, "commit"), j.value("changed", false), j.value("files", 0)};
  });
}

Result<MergeResult> PluginWorkspace::merge(const WorktreeKey& key, const std::string& target_branch,
                                           const std::string& message) {
  auto r = client_->call(&Vcs::merge, "merge",
                        json{{"task_id", key.str()}, {"target_branch", target_branch}, {"message", message}});
  return read_vcs<MergeResult>(std::move(r), [](const json& j) -> Result<MergeResult> {
    const std::string text = j.value("result", "");
    auto kind = parse_merge_kind(text);
    if (!kind) return Status::Error("the VCS plugin's merge returned an unknown result \"" + text + "\"");
    return MergeResult{*kind, optional_field<std::string>(j, "commit"), string_list(j, "paths")};
  });
}

Result<Removal> PluginWorkspace::remove(const std::string& name, const std::string& target_branch, bool force) {
  json req{{"task_id", name}, {"target_branch", target_branch}};
  if (force) req["force"] = true;
  return read_vcs<Removal>(client_->call(&Vcs::remove_worktree, "remove_worktree", req),
                      [](const json& j) { return Removal{j.value("removed", false), string_list(j, "discarded")}; });
}

Result<std::vector<WorktreeInfo>> PluginWorkspace::list(const std::string& target_branch) {
  return read_vcs<std::vector<WorktreeInfo>>(
      client_->call(&Vcs::list_worktrees, "list_worktrees", json{{"target_branch", target_branch}}), [](const json& j) {
        std::vector<WorktreeInfo> out;
        for (const auto& w : j) {
          WorktreeInfo i;
          i.name = w.value("task_id", "");
          i.key = WorktreeKey::parse(i.name);
          i.path = w.value("path", "");
          i.branch = w.value("branch", "");
          i.head = w.value("head", "");
          i.merged = w.value("merged", false);
          i.dirty = w.value("dirty", false);
          i.broken = w.value("broken", false);
          i.size_bytes = w.value("size_bytes", int64_t{0});
          out.push_back(std::move(i));
        }
        return out;
      });
}

Result<DiffSummary> PluginWorkspace::diff_summary(const WorktreeKey& key, const std::string& target_branch) {
  return read_vcs<DiffSummary>(
      client_->call(&Vcs::diff_summary, "diff_summary", json{{"task_id", key.str()}, {"target_branch", target_branch}}),
      [](const json& j) {
        return DiffSummary{j.value("files", 0), j.value("insertions", 0), j.value("deletions", 0), string_list(j, "paths")};
      });
}

Result<WorktreeReset> PluginWorkspace::reset(const WorktreeKey& key, const std::string& to, const std::string& keep_ref) {
  return read_vcs<WorktreeReset>(
      client_->call(&Vcs::reset_worktree, "reset_worktree", json{{"task_id", key.str()}, {"to", to}, {"keep_ref", keep_ref}}),
      [](const json& j) {
        return WorktreeReset{j.value("reset", false), optional_field<std::string>(j, "kept_at").value_or(""),
                             string_list(j, "paths")};
      });
}

Result<CheckoutState> PluginWorkspace::checkout_state(const std::string& target_branch) {
  return read_vcs<CheckoutState>(
      client_->call(&Vcs::checkout_state, "checkout_state", json{{"target_branch", target_branch}}),
      [](const json& j) {
        CheckoutState s;
        s.head_ref = optional_field<std::string>(j, "head_ref");
        s.head_commit = optional_field<std::string>(j, "head_commit").value_or("");
        s.target_tip = optional_field<std::string>(j, "target_tip").value_or("");
        if (j.contains("entries") && j["entries"].is_object())
          for (const auto& [path, sig] : j["entries"].items())
            if (sig.is_string()) s.entries[path] = sig.get<std::string>();
        return s;
      });
}

Result<TargetMoves> PluginWorkspace::target_moves(const WorktreeKey& key, const std::string& target_branch,
                                                  const std::string& since, bool undo) {
  json req{{"task_id", key.str()}, {"target_branch", target_branch}, {"since", since}, {"undo", undo}};
  return read_vcs<TargetMoves>(client_->call(&Vcs::target_moves, "target_moves", req), [](const json& j) {
    TargetMoves m;
    m.tip = optional_field<std::string>(j, "tip").value_or("");
    m.rewound = j.value("rewound", false);
    m.undone = j.value("undone", false);
    m.kept_at = optional_field<std::string>(j, "kept_at").value_or("");
    if (j.contains("commits") && j["commits"].is_array())
      for (const auto& c : j["commits"])
        if (c.is_object())
          m.commits.push_back(TargetCommit{c.value("commit", ""), c.value("summary", ""), c.value("drover_merge", false),
                                           c.value("by_task", false)});
    return m;
  });
}

Result<BuiltLanding> PluginWorkspace::build_landing(const std::string& target_branch,
                                                    const std::vector<LandingToBuild>& tasks) {
  json list = json::array();
  for (const auto& t : tasks) list.push_back(json{{"task_id", t.key.str()}, {"message", t.message}});
  auto r = client_->call(&Vcs::build_landing, "build_landing", json{{"target_branch", target_branch}, {"tasks", list}});
  return read_vcs<BuiltLanding>(std::move(r), [](const json& j) -> Result<BuiltLanding> {
    BuiltLanding b;
    b.tip = optional_field<std::string>(j, "tip").value_or("");
    b.commit = optional_field<std::string>(j, "commit");
    if (j.contains("tasks") && j["tasks"].is_array())
      for (const auto& t : j["tasks"]) {
        if (!t.is_object()) continue;
        const std::string text = t.value("result", "");
        if (text == "error") {
          TaskLanding failed;
          failed.task = t.value("task_id", "");
          failed.error = t.value("error", std::string("the VCS plugin could not build this task's landing"));
          b.tasks.push_back(std::move(failed));
          continue;
        }
        auto kind = parse_merge_kind(text);
        if (!kind) return Status::Error("the VCS plugin's build_landing returned an unknown result \"" + text + "\"");
        TaskLanding landed;
        landed.task = t.value("task_id", "");
        landed.kind = *kind;
        landed.commit = optional_field<std::string>(t, "commit");
        landed.paths = string_list(t, "paths");
        b.tasks.push_back(std::move(landed));
      }
    return b;
  });
}

Result<Publication> PluginWorkspace::publish_landing(const std::string& target_branch, const std::string& expected_tip,
                                                     const std::string& commit) {
  json req{{"target_branch", target_branch}, {"expected_tip", expected_tip}, {"commit", commit}};
  return read_vcs<Publication>(client_->call(&Vcs::publish_landing, "publish_landing", req),
                               [](const json& j) -> Result<Publication> {
                                 const std::string text = j.value("result", "");
                                 Publication p;
                                 if (text == "merged") p.kind = PublishKind::kMerged;
                                 else if (text == "moved") p.kind = PublishKind::kMoved;
                                 else if (text == "local_changes") p.kind = PublishKind::kLocalChanges;
                                 else return Status::Error("the VCS plugin's publish_landing returned an unknown result \"" + text + "\"");
                                 p.tip = optional_field<std::string>(j, "tip").value_or("");
                                 p.paths = string_list(j, "paths");
                                 return p;
                               });
}

Result<WorktreeSync> PluginWorkspace::sync(const WorktreeKey& key, const std::string& target_branch) {
  json req{{"task_id", key.str()}, {"target_branch", target_branch}};
  return read_vcs<WorktreeSync>(client_->call(&Vcs::sync_worktree, "sync_worktree", req),
                                [](const json& j) -> Result<WorktreeSync> {
                                  const std::string text = j.value("result", "");
                                  WorktreeSync s;
                                  if (text == "up_to_date") s.kind = SyncKind::kUpToDate;
                                  else if (text == "merged") s.kind = SyncKind::kMerged;
                                  else if (text == "conflict") s.kind = SyncKind::kConflict;
                                  else return Status::Error("the VCS plugin's sync_worktree returned an unknown result \"" + text + "\"");
                                  s.tip = optional_field<std::string>(j, "tip").value_or("");
                                  s.paths = string_list(j, "paths");
                                  if (j.contains("collides_with") && j["collides_with"].is_array())
                                    for (const auto& c : j["collides_with"])
                                      if (c.is_object())
                                        s.collides_with.push_back(Collision{c.value("task_id", ""), c.value("commit", ""),
                                                                            c.value("summary", ""), string_list(c, "paths")});
                                  return s;
                                });
}

Result<std::vector<KeptWork>> PluginWorkspace::kept_work() {
  return read_vcs<std::vector<KeptWork>>(
      client_->call(&Vcs::list_worktrees, "list_worktrees", json{{"kept_only", true}}), [](const json& j) {
        std::vector<KeptWork> out;
        if (!j.is_array()) return out;
        for (const auto& w : j) {
          // A plugin that does not know "kept_only" lists worktrees: no "kept_ref".
          if (!w.is_object() || !w.contains("kept_ref") || !w["kept_ref"].is_string()) continue;
          KeptWork k;
          k.name = w.value("task_id", "");
          k.key = WorktreeKey::parse(k.name);
          k.ref = w["kept_ref"].get<std::string>();
          k.head = w.value("head", "");
          k.summary = w.value("summary", "");
          out.push_back(std::move(k));
        }
        return out;
      });
}

Result<Removal> PluginWorkspace::drop_kept(const std::string& name, const std::string& ref) {
  json req{{"task_id", name}, {"kept_ref", ref}, {"force", true}};
  return read_vcs<Removal>(client_->call(&Vcs::remove_worktree, "remove_worktree", req),
                           [](const json& j) { return Removal{j.value("removed", false), string_list(j, "discarded")}; });
}

Result<std::string> PluginWorkspace::scratch(const std::string& name, const std::optional<std::string>& commit) {
  json req{{"name", name}, {"commit", commit ? json(*commit) : json(nullptr)}};
  return read_vcs<std::string>(client_->call(&Vcs::scratch_worktree, "scratch_worktree", req),
                               [](const json& j) { return optional_field<std::string>(j, "path").value_or(""); });
}

namespace {
DiffPatch diff_patch_from(const json& j) {
  return DiffPatch{j.value("patch", std::string()), j.value("files", 0), j.value("insertions", 0),
                   j.value("deletions", 0), j.value("truncated", false)};
}
}  // namespace

Result<DiffPatch> PluginWorkspace::diff_commit(const std::string& commit, uint64_t max_bytes) {
  return read_vcs<DiffPatch>(
      client_->call(&Vcs::diff_patch, "diff_patch", json{{"commit", commit}, {"max_bytes", max_bytes}}), diff_patch_from);
}

Result<DiffPatch> PluginWorkspace::diff_worktree(const WorktreeKey& key, const std::string& target_branch,
                                                 uint64_t max_bytes) {
  return read_vcs<DiffPatch>(
      client_->call(&Vcs::diff_patch, "diff_patch",
                    json{{"task_id", key.str()}, {"target_branch", target_branch}, {"max_bytes", max_bytes}}),
      diff_patch_from);
}

}  // namespace drover
