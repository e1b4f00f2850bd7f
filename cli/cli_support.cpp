#include "cli_support.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "drover/common/path_glob.h"
#include "drover/config/config.h"  // closest_match
#include "user_terms.h"

namespace drover::cli {

void fail(int exit_code, const std::string& message) { throw CommandError{exit_code, message}; }

void check(const Status& st, const std::string& context) {
  if (st.ok()) return;
  if (st.code() == StatusCode::kCorrupt) fail(kExitUsage, st.message());  // already says where and what to do
  const std::string message = in_user_terms(st.message());
  fail(kExitUsage, context.empty() ? message : context + ": " + message);
}

std::unique_ptr<Project> open_project(const GlobalOptions& g) {
  auto path = locate_config(g.config_path, std::filesystem::current_path().string());
  check(path.status());
  return unwrap(Project::load(path.value()));
}

void check_plugin_configs(Project& p, PreflightScope scope) {
  auto problems = p.check();
  // Preflight only with plugins that load and accept their config.
  if (problems.empty()) problems = preflight_problems(p, scope);
  if (problems.empty()) return;
  std::string all;
  for (const auto& problem : problems) all += (all.empty() ? "" : "\ndrover: ") + problem;
  fail(kExitUsage, all);
}

TaskStore& open_store(Project& p, Project::StoreAccess access) {
  return *unwrap(p.store(access), "opening the task store");
}

Workspace& open_workspace(Project& p) { return *unwrap(p.workspace(), "opening the repository"); }

Task get_task_or_fail(TaskStore& store, const std::string& id) {
  auto t = store.get_task(id);
  if (!t.ok() && t.status().code() == StatusCode::kNotFound)
    fail(kExitUsage, "task " + id + " does not exist; `drover status --tree` shows the task ids");
  return unwrap(std::move(t));
}

void require_epic(TaskStore& store, const std::string& id, const std::string& option) {
  std::vector<std::string> ids;
  for (const auto& e : unwrap(store.list_epics())) {
    if (e.id == id) return;
    ids.push_back(e.id);
  }
  std::string hint = closest_match(id, ids);
  fail(kExitUsage, option + ": there is no epic '" + id + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                       "; `drover epic list` shows the epic ids");
}

void require_agent(const Config& config, const std::string& name, const std::string& option, const std::string& more) {
  if (config.agents.count(name)) return;
  std::string hint = config.closest_agent(name);
  fail(kExitUsage, option + ": no agent named '" + name + "' in " + config.path +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?") + more);
}

std::string target_branch(Project& p) {
  if (!p.config().target_branch.empty()) return p.config().target_branch;
  RepoInfo info = unwrap(open_workspace(p).repo_info());
  return info.head_branch.value_or("HEAD");
}

void confirm_or_fail(const std::string& command, const std::string& what, bool yes) {
  if (yes) return;
  if (isatty(STDIN_FILENO) != 1 || isatty(STDERR_FILENO) != 1)
    fail(kExitUsage, command + ": " + what + "; pass --yes to confirm (there is no terminal to ask on)");
  std::cerr << "drover: " << command << ": " << what << "; continue? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes"))
    fail(kExitUsage, command + ": not confirmed; nothing was changed");
}

std::vector<std::string> touches_option(const std::string& text, const std::string& option) {
  std::vector<std::string> touches = split_touches(text);
  if (auto problem = touches_problem(touches, option)) fail(kExitUsage, *problem);
  return touches;
}

bool stdout_is_tty() { return isatty(STDOUT_FILENO) == 1; }

bool color_enabled() {
  const char* no = std::getenv("NO_COLOR");
  if (no != nullptr && *no != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return stdout_is_tty();
}

std::string paint(const std::string& text, const char* code) {
  if (!color_enabled()) return text;
  return std::string("\033[") + code + "m" + text + "\033[0m";
}

std::string status_color(const std::string& status) {
  if (status == "completed") return paint(status, "32");
  if (status == "failed") return paint(status, "31");
  if (status == "blocked" || status == "cancelled") return paint(status, "33");
  if (status == "running") return paint(status, "36");
  return status;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string money(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.4f", v);
  return buf;
}

std::string format_time(int64_t ms) {
  if (ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace drover::cli
