#include "drover/project.h"

namespace drover {

Project::Project(Config c) : config_(std::move(c)), host_(config_.plugin_dirs) {}

Result<std::unique_ptr<Project>> Project::load(const std::string& config_path) {
  auto c = load_config_file(config_path);
  if (!c.ok()) return c.status();
  return std::unique_ptr<Project>(new Project(std::move(c.value())));
}

json Project::plugin_context() const {
  // workers: the effective worker count (a run's --workers overrides it only
  // for that run), which bounds e.g. the git plugin's pool of recycled worktrees.
  return json{{"project_root", config_.project_root}, {"drover_dir", config_.drover_dir()}, {"workers", config_.workers}};
}

Result<TaskStore*> Project::store(StoreAccess access) {
  std::lock_guard<std::mutex> lock(mu_);
  if (store_) return store_.get();
  auto p = host_.load(DROVER_KIND_STORAGE, config_.storage.plugin);
  if (!p.ok()) return p.status().WithContext(config_.storage.where + ": storage.plugin");
  json context = plugin_context();
  if (access == StoreAccess::kReadOnly) context["read_only"] = true;
  auto s = PluginTaskStore::open(*p.value(), config_.storage.config_yaml, context);
  if (!s.ok()) return s.status();
  store_ = std::move(s.value());
  return store_.get();
}

Result<Workspace*> Project::workspace() {
  std::lock_guard<std::mutex> lock(mu_);
  if (workspace_) return workspace_.get();
  auto p = host_.load(DROVER_KIND_VCS, config_.vcs.plugin);
  if (!p.ok()) return p.status().WithContext(config_.vcs.where + ": vcs.plugin");
  auto v = PluginWorkspace::open(*p.value(), config_.vcs.config_yaml, plugin_context());
  if (!v.ok()) return v.status();
  workspace_ = std::move(v.value());
  return workspace_.get();
}

Result<AgentClient*> Project::agent(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = agents_.find(name); it != agents_.end()) return it->second.get();
  auto cfg = config_.agents.find(name);
  if (cfg == config_.agents.end()) {
    std::string hint = config_.closest_agent(name);
    return Status::InvalidConfig("no agent named '" + name + "' in " + config_.path +
                                 (hint.empty() ? std::string("; add it under agents:")
                                               : "; did you mean '" + hint + "'?"));
  }
  auto p = host_.load(DROVER_KIND_AGENT, cfg->second.plugin);
  if (!p.ok()) return p.status().WithContext(cfg->second.where + ": agents." + name + ".plugin");
  json ctx{{"project_root", config_.project_root}, {"agent_name", name}};
  auto a = AgentClient::create(*p.value(), cfg->second.config_yaml, ctx);
  if (!a.ok()) return a.status().WithContext("agent '" + name + "'");
  AgentClient* raw = a.value().get();
  agents_[name] = std::move(a.value());
  return raw;
}

std::vector<std::string> Project::check() {
  std::vector<std::string> problems;
  auto check_one = [&](drover_plugin_kind kind, const PluginChoice& choice, const std::string& key) {
    auto p = host_.load(kind, choice.plugin);
    if (!p.ok()) {
      problems.push_back(choice.where + ": " + key + ".plugin: " + p.status().message());
      return;
    }
    Status st = check_plugin_config(*p.value(), choice.config_yaml);
    if (!st.ok()) problems.push_back(choice.where + ": " + key + ".config: " + st.message());
  };
  check_one(DROVER_KIND_STORAGE, config_.storage, "storage");
  check_one(DROVER_KIND_VCS, config_.vcs, "vcs");
  for (const auto& [name, choice] : config_.agents) check_one(DROVER_KIND_AGENT, choice, "agents." + name);
  return problems;
}

}  // namespace drover
