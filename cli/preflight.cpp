#include "preflight.h"

#include <set>

#include "drover/agent/agent_preflight.h"

namespace drover::cli {
namespace {

// The agents of tasks a run may still start (ready, waiting, interrupted).
// config check reads the store read-only and passes over a store it cannot
// open (that is the run's business); the run opens it as it will use it.
std::set<std::string> agents_of_runnable_tasks(Project& p, PreflightScope scope, std::vector<std::string>& problems) {
  std::set<std::string> names;
  const bool for_run = scope == PreflightScope::kRunnableTasks;
  auto store = p.store(for_run ? Project::StoreAccess::kReadWrite : Project::StoreAccess::kReadOnly);
  if (!store.ok()) {
    if (for_run) problems.push_back("opening the task store: " + store.status().message());
    return names;
  }
  auto tasks = store.value()->list_tasks(TaskFilter{std::nullopt, {TaskStatus::kReady, TaskStatus::kWaiting, TaskStatus::kRunning}, {}});
  if (!tasks.ok()) {
    problems.push_back("listing the tasks to run: " + tasks.status().message());
    return names;
  }
  for (const Task& t : tasks.value()) {
    std::string name = t.agent_or(p.config().default_agent);
    if (!name.empty()) names.insert(name);
  }
  return names;
}

std::string target_branch_problem(Project& p) {
  const std::string& branch = p.config().target_branch;
  if (branch.empty()) return "";  // the checked-out branch: it exists
  auto workspace = p.workspace();
  if (!workspace.ok()) return "";  // reported where the run opens it
  auto state = workspace.value()->checkout_state(branch);
  if (!state.ok() || !state.value().target_tip.empty()) return "";  // a VCS plugin without checkout_state: not checked
  return p.config().path + ": target_branch '" + branch + "' does not exist in " + p.config().project_root +
         "; create it (git branch " + branch + ") or set target_branch to an existing branch";
}

}  // namespace

std::vector<std::string> preflight_problems(Project& p, PreflightScope scope) {
  std::vector<std::string> problems;
  std::set<std::string> names = agents_of_runnable_tasks(p, scope, problems);
  if (scope == PreflightScope::kDefaultAgentAndTasks && !p.config().default_agent.empty())
    names.insert(p.config().default_agent);
  ProcessRunner runner;
  PreflightOptions options;
  options.cwd = p.config().project_root;
  for (const std::string& name : names) {
    auto agent = p.agent(name);
    if (!agent.ok()) {
      problems.push_back(agent.status().message());
      continue;
    }
    auto needs = agent_requirements(agent.value()->vtable(), agent.value()->handle());
    if (!needs.ok()) {
      problems.push_back("agent '" + name + "': its plugin could not say what it needs to start: " +
                         needs.status().message());
      continue;
    }
    std::string why = why_agent_cannot_start(name, needs.value(), runner, options);
    if (!why.empty()) problems.push_back(why);
  }
  if (std::string branch = target_branch_problem(p); !branch.empty()) problems.push_back(branch);
  return problems;
}

}  // namespace drover::cli
