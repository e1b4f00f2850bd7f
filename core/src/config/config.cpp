#include "drover/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "drover/common/byte_size.h"
#include "drover/common/duration.h"
#include "worktree_dir_rule.h"

namespace drover {
namespace {

namespace fs = std::filesystem;

// Thrown inside this file only; converted to a Status at parse_config's edge.
struct ConfigError {
  std::string message;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  std::string where(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    if (m.line < 0) return file_;
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& what) const {
    throw ConfigError{where(n) + ": " + key + ": " + what};
  }

  void require_map(const YAML::Node& n, const std::string& key) const {
    if (!n.IsMap()) fail(n, key, "expected a mapping (key: value lines)");
  }

  void check_keys(const YAML::Node& n, const std::string& prefix, const std::vector<std::string>& known) const {
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (std::find(known.begin(), known.end(), k) == known.end()) {
        std::string hint = closest_match(k, known);
        fail(it->first, prefix + k,
             "unknown key" + (hint.empty() ? std::string() : "; did you mean '" + prefix + hint + "'?"));
      }
    }
  }

  std::string str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a string");
    return n.as<std::string>();
  }

  // One of a few words; anything else names them all.
  std::string choice(const YAML::Node& n, const std::string& key, const std::vector<std::string>& options) const {
    const std::string v = str(n, key);
    if (std::find(options.begin(), options.end(), v) != options.end()) return v;
    std::string list;
    for (const auto& o : options) list += (list.empty() ? "" : " or ") + o;
    const std::string hint = closest_match(v, options);
    fail(n, key, "expected " + list + ", got '" + v + "'" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }

  long long integer(const YAML::Node& n, const std::string& key, long long lo, long long hi) const {
    if (!n.IsScalar()) fail(n, key, "expected a whole number");
    long long v = 0;
    try {
      size_t used = 0;
      std::string s = n.as<std::string>();
      v = std::stoll(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
    } catch (const std::exception&) {
      fail(n, key, "expected a whole number, got '" + n.as<std::string>() + "'");
    }
    if (v < lo || v > hi) fail(n, key, "expected a number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return v;
  }

  double number(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a number");
    try {
      size_t used = 0;
      std::string s = n.as<std::string>();
      double v = std::stod(s, &used);
      if (used != s.size() || !std::isfinite(v)) throw std::invalid_argument(s);
      return v;
    } catch (const std::exception&) {
      fail(n, key, "expected a number, got '" + n.as<std::string>() + "'");
    }
  }

  std::chrono::milliseconds duration(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a duration like 30s, 10m or 2h");
    auto d = parse_duration(n.as<std::string>());
    if (!d.ok()) fail(n, key, d.status().message());
    return d.value();
  }

  uint64_t byte_size(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a size like 64MiB");
    auto size = parse_byte_size(n.as<std::string>());
    if (!size.ok()) fail(n, key, size.status().message());
    return size.value();
  }

  std::vector<std::string> string_list(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence()) fail(n, key, "expected a list of strings, e.g. [\"ctest\", \"--output-on-failure\"]");
    std::vector<std::string> out;
    for (const auto& e : n) {
      if (!e.IsScalar()) fail(e, key, "expected a string in the list");
      out.push_back(e.as<std::string>());
    }
    return out;
  }

  PluginChoice plugin_choice(const YAML::Node& n, const std::string& key,
                            const std::vector<std::string>& more_keys = {}) const {
    require_map(n, key);
    std::vector<std::string> known{"plugin", "config"};
    known.insert(known.end(), more_keys.begin(), more_keys.end());
    check_keys(n, key + ".", known);
    PluginChoice c;
    c.where = where(n);
    if (!n["plugin"]) fail(n, key + ".plugin", "missing; name the plugin to use");
    c.plugin = str(n["plugin"], key + ".plugin");
    if (c.plugin.empty()) fail(n["plugin"], key + ".plugin", "must not be empty");
    c.config_yaml = "{}";
    if (n["config"] && !n["config"].IsNull()) {
      if (!n["config"].IsMap()) fail(n["config"], key + ".config", "expected a mapping of the plugin's settings");
      YAML::Emitter out;
      out << n["config"];
      c.config_yaml = out.c_str();
    }
    return c;
  }

 private:
  std::string file_;
};

// "~" and "~/x" are the home directory; a relative path is the project's.
std::string write_path(const YAML::Node& n, const Reader& r, const std::string& key, const std::string& project_root) {
  std::string p = r.str(n, key);
  if (p.empty()) r.fail(n, key, "an empty path; name a directory or file the agents may write to");
  if (p == "~" || p.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') r.fail(n, key, "'" + p + "' needs $HOME, which is not set; write the full path");
    p = std::string(home) + p.substr(1);
  }
  fs::path path(p);
  return (path.is_absolute() ? path : fs::path(project_root) / path).lexically_normal().string();
}

std::vector<std::string> write_paths(const YAML::Node& n, const Reader& r, const std::string& key,
                                     const std::string& project_root) {
  if (!n.IsSequence()) r.fail(n, key, "expected a list of paths, e.g. [\"~/.cache/pip\"]");
  std::vector<std::string> out;
  for (const auto& e : n) out.push_back(write_path(e, r, key, project_root));
  return out;
}

// sandbox: enforce | detect | off, or { mode: ..., write_paths: [...] }.
void read_sandbox(const YAML::Node& n, const Reader& r, Config& c) {
  c.sandbox_where = r.where(n);
  auto mode = [&](const YAML::Node& m, const std::string& key) {
    if (!m.IsScalar()) r.fail(m, key, "expected enforce, detect or off");
    auto parsed = parse_sandbox_mode(m.as<std::string>());
    if (!parsed) r.fail(m, key, "expected enforce, detect or off, got '" + m.as<std::string>() + "'");
    c.sandbox_mode = parsed;
  };
  if (n.IsScalar()) return mode(n, "sandbox");
  if (!n.IsMap()) r.fail(n, "sandbox", "expected enforce, detect or off, or a mapping with mode and write_paths");
  r.check_keys(n, "sandbox.", {"mode", "write_paths"});
  if (auto m = n["mode"]; m && !m.IsNull()) mode(m, "sandbox.mode");
  if (auto w = n["write_paths"]; w && !w.IsNull()) c.sandbox_write_paths = write_paths(w, r, "sandbox.write_paths", c.project_root);
}

AgentContainment read_agent_containment(const YAML::Node& n, const Reader& r, const std::string& key,
                                        const std::string& project_root) {
  AgentContainment a;
  if (auto s = n["sandbox"]; s && !s.IsNull()) {
    r.require_map(s, key + ".sandbox");
    r.check_keys(s, key + ".sandbox.", {"write_paths"});
    if (auto w = s["write_paths"]; w && !w.IsNull()) a.write_paths = write_paths(w, r, key + ".sandbox.write_paths", project_root);
  }
  if (auto l = n["limits"]; l && !l.IsNull()) {
    r.require_map(l, key + ".limits");
    r.check_keys(l, key + ".limits.", {"processes", "memory"});
    if (auto p = l["processes"]) a.limits.processes = static_cast<int>(r.integer(p, key + ".limits.processes", 1, 1000000));
    if (auto m = l["memory"]) {
      a.limits.memory = r.byte_size(m, key + ".limits.memory");
      if (a.limits.memory < (uint64_t{1} << 20)) r.fail(m, key + ".limits.memory", "must be at least 1MiB");
    }
  }
  return a;
}

void read_config(const YAML::Node& root, const Reader& r, Config& c) {
  if (root.IsNull()) return;  // an empty file means all defaults
  r.require_map(root, "(top level)");
  r.check_keys(root, "", {"workers", "target_branch", "default_agent", "storage", "vcs", "agents", "tasks", "verify",
                          "plugin_dirs", "prompt", "budget_usd", "author", "lease", "logs", "disk", "sandbox",
                          "merge", "review", "quota"});
  if (auto n = root["workers"]) c.workers = static_cast<int>(r.integer(n, "workers", 1, 256));
  if (auto n = root["target_branch"]; n && !n.IsNull()) c.target_branch = r.str(n, "target_branch");
  if (auto n = root["storage"]) c.storage = r.plugin_choice(n, "storage");
  if (auto n = root["review"]) c.review_required = r.choice(n, "review", {"off", "required"}) == "required";
  if (auto n = root["vcs"]) {
    c.vcs = r.plugin_choice(n, "vcs");
    const YAML::Node plugin_config = n["config"];
    if (const YAML::Node w = plugin_config.IsMap() ? plugin_config["worktree_dir"] : YAML::Node(); w && w.IsScalar()) {
      c.worktree_dir = w.as<std::string>();
      std::string problem = worktree_dir_problem(w.as<std::string>(), c.project_root);
      if (!problem.empty()) r.fail(w, "vcs.config.worktree_dir", problem);
    }
  }
  if (auto n = root["agents"]) {
    r.require_map(n, "agents");
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string name = it->first.as<std::string>();
      c.agents[name] = r.plugin_choice(it->second, "agents." + name, {"sandbox", "limits"});
      c.agent_containment[name] = read_agent_containment(it->second, r, "agents." + name, c.project_root);
    }
  }
  if (auto n = root["sandbox"]; n && !n.IsNull()) read_sandbox(n, r, c);
  if (auto n = root["default_agent"]) {
    c.default_agent = r.str(n, "default_agent");
    if (!c.agents.count(c.default_agent)) {
      std::string hint = c.closest_agent(c.default_agent);
      r.fail(n, "default_agent",
             "no agent named '" + c.default_agent + "' is configured under agents" +
                 (hint.empty() ? std::string() : "; did you mean '" + hint + "'?"));
    }
  } else if (c.agents.size() == 1) {
    c.default_agent = c.agents.begin()->first;
  } else if (c.agents.size() > 1) {
    r.fail(root, "default_agent", "missing; several agents are configured, so name the one tasks use by default");
  }
  if (auto t = root["tasks"]) {
    r.require_map(t, "tasks");
    r.check_keys(t, "tasks.", {"timeout", "max_attempts", "backoff", "on_interrupted", "no_changes",
                               "max_turns_continuations"});
    if (auto n = t["no_changes"]) {
      const std::string v = r.choice(n, "tasks.no_changes", {"complete", "fail", "hold"});
      c.no_changes = v == "complete" ? NoChanges::kComplete : v == "fail" ? NoChanges::kFail : NoChanges::kHold;
    }
    if (auto n = t["max_turns_continuations"])
      c.max_turns_continuations = static_cast<int>(r.integer(n, "tasks.max_turns_continuations", 0, 10));
    if (auto n = t["on_interrupted"])
      c.restart_interrupted = r.choice(n, "tasks.on_interrupted", {"restart", "continue"}) == "restart";
    if (auto n = t["timeout"]) c.task_timeout = r.duration(n, "tasks.timeout");
    if (auto n = t["max_attempts"]) c.max_attempts = static_cast<int>(r.integer(n, "tasks.max_attempts", 1, 100));
    if (auto b = t["backoff"]) {
      r.require_map(b, "tasks.backoff");
      r.check_keys(b, "tasks.backoff.", {"initial", "max"});
      if (auto n = b["initial"]) c.backoff_initial = r.duration(n, "tasks.backoff.initial");
      if (auto n = b["max"]) c.backoff_max = r.duration(n, "tasks.backoff.max");
    }
  }
  if (auto q = root["quota"]; q && !q.IsNull()) {
    r.require_map(q, "quota");
    r.check_keys(q, "quota.", {"backoff", "give_up_after"});
    if (auto b = q["backoff"]) {
      r.require_map(b, "quota.backoff");
      r.check_keys(b, "quota.backoff.", {"initial", "max"});
      if (auto n = b["initial"]) c.quota_backoff_initial = r.duration(n, "quota.backoff.initial");
      if (auto n = b["max"]) c.quota_backoff_max = r.duration(n, "quota.backoff.max");
      if (c.quota_backoff_initial.count() < 1) r.fail(b["initial"], "quota.backoff.initial", "must be at least 1ms");
      if (c.quota_backoff_max < c.quota_backoff_initial)
        r.fail(b["max"] ? b["max"] : b, "quota.backoff.max", "must not be below quota.backoff.initial");
    }
    if (auto n = q["give_up_after"]) c.quota_give_up_after = r.duration(n, "quota.give_up_after");
  }
  if (auto l = root["lease"]) {
    r.require_map(l, "lease");
    r.check_keys(l, "lease.", {"duration"});
    if (auto n = l["duration"]) c.lease_duration = r.duration(n, "lease.duration");
    if (c.lease_duration < std::chrono::seconds(1)) r.fail(l["duration"], "lease.duration", "must be at least 1s");
  }
  if (auto l = root["logs"]) {
    r.require_map(l, "logs");
    r.check_keys(l, "logs.", {"max_size", "store_max_size"});
    if (auto n = l["store_max_size"]) {
      c.log_store_max_bytes = r.byte_size(n, "logs.store_max_size");
      if (c.log_store_max_bytes != 0 && c.log_store_max_bytes < 4096) {
        r.fail(n, "logs.store_max_size", "must be 0 (output not kept in the store) or at least 4KiB");
      }
    }
    if (auto n = l["max_size"]) {
      c.log_max_bytes = r.byte_size(n, "logs.max_size");
      if (c.log_max_bytes != 0 && c.log_max_bytes < 4096) {
        r.fail(n, "logs.max_size", "must be 0 (no cap) or at least 4KiB");
      }
    }
  }
  if (auto d = root["disk"]) {
    r.require_map(d, "disk");
    r.check_keys(d, "disk.", {"min_free"});
    if (auto n = d["min_free"]) c.disk_min_free = r.byte_size(n, "disk.min_free");
  }
  if (auto v = root["verify"]; v && !v.IsNull()) {
    r.require_map(v, "verify");
    r.check_keys(v, "verify.", {"command", "timeout"});
    VerifyConfig vc;
    if (!v["command"]) r.fail(v, "verify.command", "missing; give the gate command as a list of arguments");
    vc.command = r.string_list(v["command"], "verify.command");
    if (vc.command.empty()) r.fail(v["command"], "verify.command", "must not be empty");
    if (auto n = v["timeout"]) vc.timeout = r.duration(n, "verify.timeout");
    c.verify = vc;
  }
  if (auto m = root["merge"]; m && !m.IsNull()) {
    r.require_map(m, "merge");
    r.check_keys(m, "merge.", {"verify_on", "batch", "max_rounds", "overlap"});
    if (auto n = m["verify_on"]) c.merge.verify_merged = r.choice(n, "merge.verify_on", {"merged", "branch"}) == "merged";
    if (auto n = m["batch"]) c.merge.batch = static_cast<int>(r.integer(n, "merge.batch", 1, 64));
    if (auto n = m["max_rounds"]) c.merge.max_rounds = static_cast<int>(r.integer(n, "merge.max_rounds", 0, 20));
    if (auto n = m["overlap"]) c.merge.overlap_hold = r.choice(n, "merge.overlap", {"hold", "ignore"}) == "hold";
  }
  if (auto n = root["plugin_dirs"]) {
    for (auto& d : r.string_list(n, "plugin_dirs")) {
      fs::path p(d);
      c.plugin_dirs.push_back(p.is_absolute() ? p.string() : (fs::path(c.project_root) / p).lexically_normal().string());
    }
  }
  if (auto p = root["prompt"]) {
    r.require_map(p, "prompt");
    r.check_keys(p, "prompt.", {"guidelines", "template"});
    if (auto n = p["guidelines"]) c.prompt_guidelines = r.str(n, "prompt.guidelines");
    if (auto n = p["template"]) c.prompt_template = r.str(n, "prompt.template");
  }
  if (auto n = root["budget_usd"]; n && !n.IsNull()) {
    double b = r.number(n, "budget_usd");
    if (b < 0) r.fail(n, "budget_usd", "must not be negative");
    c.budget_usd = b;
  }
  if (auto a = root["author"]) {
    r.require_map(a, "author");
    r.check_keys(a, "author.", {"name", "email"});
    if (auto n = a["name"]) c.author_name = r.str(n, "author.name");
    if (auto n = a["email"]) c.author_email = r.str(n, "author.email");
  }
}

}  // namespace

std::string Config::closest_agent(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& [k, v] : agents) names.push_back(k);
  return closest_match(name, names);
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::vector<size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t sub = prev[j - 1] + (word[i - 1] == c[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_d) {
      best_d = prev[c.size()];
      best = c;
    }
  }
  return best;
}

Result<Config> parse_config(const std::string& yaml_text, const std::string& file_label,
                            const std::string& project_root) {
  Config c;
  c.path = file_label;
  c.project_root = project_root;
  Reader r(file_label);
  try {
    YAML::Node root = YAML::Load(yaml_text);
    read_config(root, r, c);
  } catch (const ConfigError& e) {
    return Status::InvalidConfig(e.message);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidConfig(file_label + ":" + std::to_string(e.mark.line + 1) + ":" +
                                 std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Status::InvalidConfig(file_label + ": " + e.what());
  }
  return c;
}

Result<Config> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidConfig("cannot read " + path + "; check the path or run `drover init`");
  std::stringstream ss;
  ss << in.rdbuf();
  fs::path abs = fs::absolute(path).lexically_normal();
  return parse_config(ss.str(), abs.string(), abs.parent_path().string());
}

Result<std::string> locate_config(const std::string& explicit_path, const std::string& start_dir) {
  if (!explicit_path.empty()) {
    if (!fs::exists(explicit_path)) return Status::InvalidConfig("config file " + explicit_path + " does not exist");
    return fs::absolute(explicit_path).lexically_normal().string();
  }
  if (const char* env = std::getenv("DROVER_CONFIG"); env != nullptr && *env != '\0') {
    if (!fs::exists(env)) return Status::InvalidConfig("DROVER_CONFIG names " + std::string(env) + ", which does not exist");
    return fs::absolute(env).lexically_normal().string();
  }
  fs::path dir = fs::absolute(start_dir).lexically_normal();
  while (true) {
    if (fs::exists(dir / "drover.yaml")) return (dir / "drover.yaml").string();
    if (dir == dir.root_path() || dir.empty()) break;
    dir = dir.parent_path();
  }
  return Status::InvalidConfig("no drover.yaml in " + fs::absolute(start_dir).lexically_normal().string() +
                               " or its parents; run `drover init` in your repository or pass --config");
}

std::string default_config_text(const std::string& target_branch) {
  std::ostringstream o;
  o << "# Drover configuration. Every key is described in docs/configuration.md.\n"
       "\n"
       "# How many agents may run at once (drover run --workers overrides).\n"
       "workers: 4\n"
       "\n"
       "# Finished tasks are merged into this branch.\n"
       "target_branch: "
    << target_branch
    << "\n"
       "\n"
       "# Where Drover keeps its state. For a team or several machines use postgres:\n"
       "#   storage: { plugin: postgres, config: { url: \"postgresql://drover@127.0.0.1:5432/drover\" } }\n"
       "storage:\n"
       "  plugin: sqlite\n"
       "  config: { path: .drover/drover.db }\n"
       "\n"
       "vcs:\n"
       "  plugin: git\n"
       "  config: { worktree_dir: .drover/worktrees, merge_strategy: merge }\n"
       "\n"
       "# Named agents: each is a plugin plus that plugin's own config.\n"
       "default_agent: claude\n"
       "agents:\n"
       "  claude:\n"
       "    plugin: claude\n"
       "    config: { binary: claude, permission_mode: acceptEdits, max_turns: 50 }\n"
       "  # codex:\n"
       "  #   plugin: codex\n"
       "  #   config: { binary: codex, sandbox: workspace-write }\n"
       "  # script:\n"
       "  #   plugin: exec\n"
       "  #   config: { command: [\"./tools/agent.sh\", \"{prompt_file}\"] }\n"
       "\n"
       "tasks:\n"
       "  timeout: 30m\n"
       "  max_attempts: 3\n"
       "  backoff: { initial: 10s, max: 10m }\n"
       "  on_interrupted: restart   # or continue: re-run on top of the killed attempt's files\n"
       "  no_changes: hold          # an agent that changed nothing and gave no verdict waits for\n"
       "                            # you (drover show / approve / reject); or complete, or fail\n"
       "\n"
       "# review: required   # every task's work waits for `drover approve` before it lands\n"
       "\n"
       "# Optional gate: with merge.verify_on: merged it runs on the merge of each task\n"
       "# into the target's tip, and the target moves only when it passes.\n"
       "# verify: { command: [\"make\", \"test\"], timeout: 20m }\n"
       "\n"
       "# How finished tasks land (docs/merge-queue.md).\n"
       "merge:\n"
       "  verify_on: merged   # or branch: verify the task's branch before its merge\n"
       "  batch: 1            # tasks landed per verify run; a red batch is bisected\n"
       "  max_rounds: 3       # conflict-resolution and fix rounds per attempt\n"
       "  overlap: hold       # or ignore: run tasks whose `touches` overlap at the same time\n"
       "\n"
       "# Where agents may write (docs/agent-sandbox.md): enforce (the default where\n"
       "# the kernel has Landlock), detect or off; write_paths adds places for all agents.\n"
       "# sandbox: { mode: enforce, write_paths: [\"~/.cache/pip\"] }\n";
  return o.str();
}

}  // namespace drover
