// drover edit / rm / pause / unpause: steering a task from outside a run.
// The store enforces the rules (storage.h, ABI 1.2) in one transaction each;
// these commands say the refusals in the commands' terms.
#include <algorithm>
#include <iostream>

#include "cli_support.h"
#include "drover/task_fields.h"

namespace drover::cli {
namespace {

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// A store whose plugin predates the steering operations says so; the
// message already names the plugin and what to do.
void check_steering(const Status& st, const std::string& command) {
  if (st.code() == StatusCode::kUnsupported)
    fail(kExitUsage, command + ": " + st.message() +
                         "; this needs a storage plugin built for plugin ABI 1.2 or later (`drover plugins list` shows "
                         "each plugin's ABI): upgrade the plugin");
}

void print_task(const Task& t, bool json_out, const std::string& line) {
  if (json_out) {
    std::cout << to_json(t).dump(2) << "\n";
  } else {
    std::cout << line << "\n";
  }
}

struct EditOptions {
  std::string id, title, description, priority, agent, touches;
  int max_attempts = 0;
  bool json_out = false;
  bool review = false, no_review = false;
  CLI::Option *title_opt = nullptr, *description_opt = nullptr, *priority_opt = nullptr, *agent_opt = nullptr,
              *touches_opt = nullptr, *max_attempts_opt = nullptr;
};

void run_edit(const GlobalOptions& g, const EditOptions& o) {
  TaskEdit edit;
  if (o.title_opt->count() > 0) {
    if (o.title.find_first_not_of(" \t\r\n") == std::string::npos)
      fail(kExitUsage, "edit --title: the title is empty; say what the task is about");
    edit.title = o.title;
  }
  if (o.description_opt->count() > 0) edit.description = o.description;
  if (o.priority_opt->count() > 0) edit.priority = unwrap(parse_priority(o.priority), "edit --priority");
  if (o.max_attempts_opt->count() > 0) edit.max_attempts = o.max_attempts;
  if (o.touches_opt->count() > 0) edit.touches = touches_option(o.touches, "edit --touches");
  if (o.review && o.no_review) fail(kExitUsage, "edit: --review and --no-review contradict each other; give one");
  if (o.review || o.no_review) edit.review = o.review;
  auto project = open_project(g);
  if (o.agent_opt->count() > 0) {
    if (!o.agent.empty()) require_agent(project->config(), o.agent, "edit --agent", " (--agent '' puts the task back on default_agent)");
    edit.agent = o.agent;
  }
  if (edit.empty())
    fail(kExitUsage, "edit: nothing to change for " + o.id +
                         "; give one or more of --title, --description, --priority, --agent, --touches, --max-attempts, "
                         "--review, --no-review");
  TaskStore& store = open_store(*project);
  Task before = get_task_or_fail(store, o.id);
  if (before.status == TaskStatus::kRunning)
    fail(kExitUsage, "edit: task " + o.id + " is running; edit it once its attempt has finished (`drover pause " + o.id +
                         "` keeps it from starting again meanwhile), or `drover cancel " + o.id + "` first");
  auto r = store.edit_task(o.id, edit, wall_ms());
  check_steering(r.status(), "edit");
  if (!r.ok() && r.status().code() == StatusCode::kConflict)
    fail(kExitUsage, "edit: task " + o.id + " started running meanwhile; edit it once its attempt has finished");
  Task t = unwrap(std::move(r), "edit " + o.id);
  std::string what;
  if (edit.title) what += " title";
  if (edit.description) what += " description";
  if (edit.priority) what += " priority";
  if (edit.agent) what += " agent";
  if (edit.touches) what += " touches";
  if (edit.max_attempts) what += " max-attempts";
  if (edit.review) what += *edit.review ? " review (required)" : " review (not required)";
  print_task(t, o.json_out, t.id + ": edited" + what + " (" + std::string(to_string(t.status)) + ")");
}

struct RemoveOptions {
  std::string id;
  bool cascade = false, yes = false, json_out = false;
};

// The tasks a cascade would remove besides id, for the question: id's
// sub-tasks and, transitively, whatever waits for any of them (the family
// edges of sub-task order aside, as the store counts them).
std::vector<std::string> cascade_preview(const std::vector<Task>& tasks, const std::string& id) {
  std::map<std::string, const Task*> by_id;
  for (const auto& t : tasks) by_id[t.id] = &t;
  std::vector<std::string> doomed{id}, queue{id};
  auto doom = [&](const std::string& x) {
    if (std::find(doomed.begin(), doomed.end(), x) != doomed.end()) return;
    doomed.push_back(x);
    queue.push_back(x);
  };
  while (!queue.empty()) {
    std::string cur = queue.back();
    queue.pop_back();
    auto it = by_id.find(cur);
    if (it == by_id.end()) continue;
    const Task& t = *it->second;
    for (const auto& other : tasks)
      if (other.parent == t.id) doom(other.id);
    for (const auto& d : t.blocks) {
      auto dep = by_id.find(d);
      if (dep == by_id.end()) continue;
      const bool family = t.parent && (d == *t.parent || dep->second->parent == t.parent);
      if (!family) doom(d);
    }
  }
  doomed.erase(doomed.begin());
  return doomed;
}

void run_remove(const GlobalOptions& g, const RemoveOptions& o) {
  auto project = open_project(g);
  TaskStore& store = open_store(*project);
  Task t = get_task_or_fail(store, o.id);
  if (t.status == TaskStatus::kRunning)
    fail(kExitUsage, "rm: task " + o.id + " is running; `drover cancel " + o.id + "` stops it, then `drover rm " + o.id +
                         "` removes it");
  if (o.cascade) {
    std::vector<std::string> others = cascade_preview(unwrap(store.list_tasks(TaskFilter{})), o.id);
    if (!others.empty())
      confirm_or_fail("rm --cascade", "removes " + o.id + " and " + std::to_string(others.size()) + " more (" +
                                          joined(others) + ") with their history", o.yes);
  }
  auto r = store.remove_task(o.id, o.cascade, wall_ms());
  check_steering(r.status(), "rm");
  if (!r.ok() && r.status().code() == StatusCode::kConflict && !o.cascade) {
    std::vector<std::string> waiting;
    for (const auto& d : get_task_or_fail(store, o.id).blocks) {
      auto dep = store.get_task(d);
      const bool family = t.parent && dep.ok() && (d == *t.parent || dep.value().parent == t.parent);
      if (!family) waiting.push_back(d);
    }
    if (!waiting.empty())
      fail(kExitUsage, "rm: " + joined(waiting) + (waiting.size() == 1 ? " waits" : " wait") + " for " + o.id +
                           "; `drover rm " + o.id + " --cascade` removes " + (waiting.size() == 1 ? "it" : "them") +
                           " too, or `drover dep rm " + waiting.front() + " " + o.id + "` first; nothing was removed");
  }
  if (!r.ok() && r.status().code() == StatusCode::kConflict)
    fail(kExitUsage, "rm: " + r.status().message().substr(r.status().message().find(": ") + 2) + "; nothing was removed");
  TaskRemoval removed = unwrap(std::move(r), "rm " + o.id);
  if (o.json_out) {
    std::cout << json{{"removed", removed.removed}}.dump(2) << "\n";
    return;
  }
  std::cout << "removed " << joined(removed.removed) << "\n";
}

void run_pause(const GlobalOptions& g, const std::string& id, bool paused, bool json_out) {
  const char* command = paused ? "pause" : "unpause";
  auto project = open_project(g);
  TaskStore& store = open_store(*project);
  Task before = get_task_or_fail(store, id);
  if (before.status == TaskStatus::kCompleted || before.status == TaskStatus::kCancelled)
    fail(kExitUsage, std::string(command) + ": task " + id + " is " + std::string(to_string(before.status)) +
                         "; it will not run again unless `drover reset " + id + "` puts it back");
  auto r = store.set_paused(id, paused, wall_ms());
  check_steering(r.status(), command);
  Task t = unwrap(std::move(r), std::string(command) + " " + id);
  std::string line = t.id + ": " + (paused ? "paused" : "unpaused");
  if (paused && t.status == TaskStatus::kRunning)
    line += " (its running attempt finishes; then it is not started again until `drover unpause " + t.id + "`)";
  else if (!paused && t.status == TaskStatus::kReady)
    line += " (ready: a running `drover run` starts it; otherwise `drover run`)";
  print_task(t, json_out, line);
}

}  // namespace

void add_steer_commands(CLI::App& app, GlobalOptions& g) {
  auto* e = new EditOptions();
  auto* edit = app.add_subcommand("edit", "Change a task that is not running (title, description, priority, agent, touches, max attempts, review)");
  edit->add_option("id", e->id, "task id")->required();
  e->title_opt = edit->add_option("--title", e->title, "new title");
  e->description_opt = edit->add_option("-d,--description", e->description, "new details for the agent");
  e->priority_opt = edit->add_option("--priority", e->priority, "a number (higher first) or critical|high|normal|low");
  e->agent_opt = edit->add_option("--agent", e->agent, "agent name from drover.yaml ('' = default_agent)");
  e->touches_opt = edit->add_option("--touches", e->touches,
                                    "comma-separated paths or globs it expects to edit; replaces the list ('' clears it)");
  e->max_attempts_opt = edit->add_option("--max-attempts", e->max_attempts, "attempts before it fails (0 = drover.yaml's)")
                            ->check(CLI::Range(0, 100));
  edit->add_flag("--review", e->review, "its work waits for `drover approve` before it lands");
  edit->add_flag("--no-review", e->no_review, "its work lands without review (unless review: required)");
  edit->add_flag("--json", e->json_out, "print the edited task as JSON");
  edit->callback([&g, e] { run_edit(g, *e); });

  auto* r = new RemoveOptions();
  auto* rm = app.add_subcommand("rm", "Remove a task that is not running, with its sub-tasks (refuses if others wait for it)");
  rm->add_option("id", r->id, "task id")->required();
  rm->add_flag("--cascade", r->cascade, "also remove every task that waits for it, transitively (asks first)");
  rm->add_flag("-y,--yes", r->yes, "do not ask before --cascade removes other tasks");
  rm->add_flag("--json", r->json_out, "JSON: {removed: [ids]}");
  rm->callback([&g, r] { run_remove(g, *r); });

  for (bool paused : {true, false}) {
    auto* id = new std::string();
    auto* json_out = new bool(false);
    auto* cmd = paused ? app.add_subcommand("pause", "Keep a task from starting; a running one finishes its attempt first")
                       : app.add_subcommand("unpause", "Let a paused task start again");
    cmd->add_option("id", *id, "task id")->required();
    cmd->add_flag("--json", *json_out, "print the task as JSON");
    cmd->callback([&g, id, json_out, paused] { run_pause(g, *id, paused, *json_out); });
  }
}

}  // namespace drover::cli
