// drover dep add / dep rm: make an existing task wait, or stop waiting, for other tasks.
#include <algorithm>
#include <iostream>

#include "cli_support.h"
#include "drover/plan/plan_graph.h"
#include "drover/plan/plan_records.h"

namespace drover::cli {
namespace {


struct DepAddOptions {
  std::string task;
  std::vector<std::string> blockers;
};

void require_task(const plan::BlockedByGraph& graph, const std::string& id) {
  if (graph.blockers.count(id)) return;
  std::string m = closest_match(id, graph.order);
  fail(kExitUsage, "dep add: there is no task '" + id + "'" + (m.empty() ? "" : " (did you mean '" + m + "'?)") +
                       "; see `drover status --tree` for task ids");
}

void run_dep_add(const GlobalOptions& g, const DepAddOptions& o) {
  auto project = open_project(g);
  TaskStore& store = open_store(*project);
  std::vector<Task> tasks = unwrap(store.list_tasks(TaskFilter{}));
  // Check every new edge first, against the graph with the earlier ones added,
  // so a refused command adds nothing. The store checks again on each edge.
  plan::BlockedByGraph graph = plan::graph_from_records(tasks);
  require_task(graph, o.task);
  // A task that has finished or is running cannot start to wait: it would sit
  // "blocked" with its work already done, or be held back mid-attempt.
  for (const auto& t : tasks) {
    if (t.id != o.task) continue;
    if (t.status == TaskStatus::kCompleted)
      fail(kExitUsage, "dep add: task " + o.task + " is completed, so it cannot wait for other tasks; `drover reset " +
                           o.task + "` first if it must run again after them");
    if (t.status == TaskStatus::kRunning)
      fail(kExitUsage, "dep add: task " + o.task + " is running; add the dependency once it has finished (or `drover cancel " +
                           o.task + "` first)");
  }
  for (const auto& b : o.blockers) {
    require_task(graph, b);
    if (b == o.task) fail(kExitUsage, "dep add: task " + o.task + " cannot wait for itself; name other tasks");
    std::vector<std::string> path = plan::waiting_path(graph, b, o.task);
    if (!path.empty()) {
      path.insert(path.begin(), o.task);
      fail(kExitUsage, "dep add: " + o.task + " cannot wait for " + b + ", that would make a dependency cycle: " +
                           plan::cycle_text(path) + " (each waits for the next); nothing was added");
    }
    graph.add_edge(o.task, b);
  }
  Task task;
  for (const auto& b : o.blockers) task = unwrap(store.add_dependency(o.task, b, wall_ms()), "dep add " + o.task + " " + b);
  std::string list;
  for (const auto& b : task.blocked_by) list += (list.empty() ? "" : ", ") + b;
  std::cout << o.task << " is blocked by " << list << " (" << to_string(task.status) << ")\n";
}

struct DepRmOptions {
  std::string task, blocker;
  bool json_out = false;
};

void run_dep_rm(const GlobalOptions& g, const DepRmOptions& o) {
  auto project = open_project(g);
  TaskStore& store = open_store(*project);
  Task task = get_task_or_fail(store, o.task);
  get_task_or_fail(store, o.blocker);
  if (std::find(task.blocked_by.begin(), task.blocked_by.end(), o.blocker) == task.blocked_by.end()) {
    std::string list;
    for (const auto& b : task.blocked_by) list += (list.empty() ? "" : ", ") + b;
    fail(kExitUsage, "dep rm: " + o.task + " does not wait for " + o.blocker + " (" +
                         (list.empty() ? "it waits for nothing" : "it waits for " + list) + "); nothing was removed");
  }
  auto r = store.remove_dependency(o.task, o.blocker, wall_ms());
  if (!r.ok() && r.status().code() == StatusCode::kUnsupported)
    fail(kExitUsage, "dep rm: " + r.status().message() +
                         "; this needs a storage plugin built for plugin ABI 1.2 or later: upgrade the plugin");
  if (!r.ok() && r.status().code() == StatusCode::kInvalidArgument)
    fail(kExitUsage, "dep rm: " + o.task + " waits for " + o.blocker +
                         " because of sub-task order (a parent waits for its sub-tasks, each sub-task for the one "
                         "before); that cannot be removed, only the tasks themselves (`drover rm`)");
  task = unwrap(std::move(r), "dep rm " + o.task + " " + o.blocker);
  if (o.json_out) {
    std::cout << to_json(task).dump(2) << "\n";
    return;
  }
  std::cout << o.task << " no longer waits for " << o.blocker << " (" << to_string(task.status) << ")\n";
}

}  // namespace

void add_dep_commands(CLI::App& app, GlobalOptions& g) {
  auto* dep = app.add_subcommand("dep", "Dependencies between existing tasks");
  dep->require_subcommand(1);
  auto* o = new DepAddOptions();
  auto* add = dep->add_subcommand("add", "Make a task wait for other tasks (refuses dependency cycles)");
  add->add_option("task", o->task, "the task that must wait")->required();
  add->add_option("blockers", o->blockers, "ids of the tasks it waits for")->required();
  add->callback([&g, o] { run_dep_add(g, *o); });

  auto* r = new DepRmOptions();
  auto* rm = dep->add_subcommand("rm", "Make a task stop waiting for another (it may become ready)");
  rm->add_option("task", r->task, "the task that waits")->required();
  rm->add_option("blocker", r->blocker, "the task it should no longer wait for")->required();
  rm->add_flag("--json", r->json_out, "print the task as JSON");
  rm->callback([&g, r] { run_dep_rm(g, *r); });
}

}  // namespace drover::cli
