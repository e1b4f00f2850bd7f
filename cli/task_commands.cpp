// drover add / epic add / epic list / reset / retry / cancel.
#include <algorithm>
#include <iostream>

#include "cli_support.h"
#include "drover/common/duration.h"
#include "drover/engine/workflow_context.h"
#include "drover/task_fields.h"

namespace drover::cli {
namespace {

struct AddOptions {
  std::string title, description, epic, parent, priority, blocked_by, agent, timeout, touches;
  int max_attempts = 0;
  bool json_out = false;
  bool review = false;
};

std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// Why the store refused to put a task back, in the words of the commands:
// which command does what the user wants.
std::string reset_refusal(const Task& t, ResetMode mode) {
  const std::string& id = t.id;
  const std::string status(to_string(t.status));
  if (t.status == TaskStatus::kRunning)
    return "task " + id + " is running; stop it with `drover cancel " + id + "` or let it finish";
  if (mode == ResetMode::kCancel)
    return "task " + id + " is " + status + "; there is nothing to cancel (`drover reset " + id + "` runs it again)";
  if (mode == ResetMode::kRetry) {
    if (t.status == TaskStatus::kCompleted) return "task " + id + " is completed; `drover reset " + id + "` runs it again";
    return "task " + id + " is " + status + "; retry applies to failed, blocked or cancelled tasks (`drover reset " + id +
           "` puts any other task back)";
  }
  return "task " + id + " is " + status + " and cannot be reset now";
}

void reset_tasks(const GlobalOptions& g, const std::vector<std::string>& ids, ResetMode mode) {
  auto project = open_project(g);
  TaskStore& store = open_store(*project);
  for (const auto& id : ids) {
    get_task_or_fail(store, id);
    auto r = store.reset_task(id, mode, wall_ms());
    if (!r.ok() && r.status().code() == StatusCode::kConflict) fail(kExitUsage, reset_refusal(get_task_or_fail(store, id), mode));
    check(r.status(), "task " + id);
    std::cout << id << ": " << to_string(r.value().task.status) << "\n";
    for (const auto& c : r.value().changed) {
      if (c != id) std::cout << "  also " << c << "\n";
    }
  }
}

// Sub-tasks do not inherit their parent's blockers (docs/getting-started.md,
// "Describe the work"): the parent's own attempt waits for them, the sub-task
// may start before. Said on stderr when it matters, so stdout stays the id.
void note_parent_blockers(TaskStore& store, const Task& sub) {
  auto parent = store.get_task(*sub.parent);
  if (!parent.ok()) return;
  std::string pending;
  for (const auto& b : parent.value().blocked_by) {
    if (std::find(sub.blocked_by.begin(), sub.blocked_by.end(), b) != sub.blocked_by.end()) continue;
    if (b.rfind(*sub.parent + ".", 0) == 0) continue;  // the parent waits for its own sub-tasks too
    auto blocker = store.get_task(b);
    if (blocker.ok() && blocker.value().status == TaskStatus::kCompleted) continue;
    pending += (pending.empty() ? "" : " ") + b;
  }
  if (pending.empty()) return;
  std::cerr << "drover: note: " << sub.id << " does not wait for what " << *sub.parent << " is blocked by (" << pending
            << "); only " << *sub.parent << "'s own attempt does. If " << sub.id
            << " needs their work: drover dep add " << sub.id << " " << pending << "\n";
}

// Titles are what status, logs and the agent's prompt show: never empty.
void require_title(const std::string& title, const std::string& command, const std::string& example) {
  if (title.find_first_not_of(" \t\r\n") == std::string::npos)
    fail(kExitUsage, command + ": the title is empty; say what it is about, e.g. drover " + command + " \"" + example + "\"");
}

}  // namespace

void add_task_commands(CLI::App& app, GlobalOptions& g) {
  auto* o = new AddOptions();
  auto* add = app.add_subcommand("add", "Add a task; prints its id");
  add->add_option("title", o->title, "what to do")->required();
  add->add_option("-d,--description", o->description, "details for the agent");
  add->add_option("--epic", o->epic, "epic id (see `drover epic list`)");
  add->add_option("--parent", o->parent, "make this a sub-task of the given task (id <parent>.N)");
  add->add_option("--priority", o->priority, "a number (higher first) or critical|high|normal|low (default normal)");
  add->add_option("--blocked-by", o->blocked_by, "comma-separated ids of tasks that must complete first");
  add->add_option("--agent", o->agent, "agent name from drover.yaml (default: default_agent)");
  add->add_option("--max-attempts", o->max_attempts, "attempts before the task fails (default from drover.yaml)")
      ->check(CLI::Range(1, 100));
  add->add_option("--timeout", o->timeout, "per-attempt time limit, e.g. 30m (default from drover.yaml)");
  add->add_option("--touches", o->touches,
                  "comma-separated paths or globs it expects to edit, e.g. 'src/parser/**,docs/cli.md' "
                  "(merge.overlap: hold keeps overlapping tasks from running at once)");
  add->add_flag("--review", o->review, "its work waits for `drover approve` before it lands (as with review: required)");
  add->add_flag("--json", o->json_out, "print the new task as JSON");
  add->callback([&g, o] {
    require_title(o->title, "add", "Add a --verbose flag");
    std::vector<std::string> touches = touches_option(o->touches);
    auto project = open_project(g);
    TaskStore& store = open_store(*project);
    // The store would refuse these too, in its own terms; say it in the command's.
    if (!o->epic.empty()) require_epic(store, o->epic);
    // An id with control characters is the store's to refuse (it names the character).
    auto missing = [&store](const std::string& id) {
      if (std::any_of(id.begin(), id.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) return false;
      auto t = store.get_task(id);
      return !t.ok() && t.status().code() == StatusCode::kNotFound;
    };
    if (!o->parent.empty() && missing(o->parent))
      fail(kExitUsage, "--parent: task " + o->parent + " does not exist; `drover status --tree` shows the task ids");
    for (const auto& b : split_ids(o->blocked_by))
      if (missing(b))
        fail(kExitUsage, "--blocked-by: task " + b + " does not exist; `drover status --tree` shows the task ids");
    NewTask req;
    req.title = o->title;
    req.description = o->description;
    if (!o->epic.empty()) req.epic = o->epic;
    if (!o->parent.empty()) req.parent = o->parent;
    req.priority = o->priority.empty() ? kPriorityNormal : unwrap(parse_priority(o->priority), "--priority");
    if (!o->blocked_by.empty()) req.blocked_by = split_ids(o->blocked_by);
    if (!o->agent.empty()) {
      require_agent(project->config(), o->agent, "--agent");
      req.agent = o->agent;
    }
    if (o->max_attempts > 0) req.max_attempts = o->max_attempts;
    if (!o->timeout.empty()) req.timeout_ms = unwrap(parse_duration(o->timeout), "--timeout").count();
    req.touches = touches;
    req.review = o->review;
    Task t = unwrap(store.create_task(req, wall_ms()), "add");
    if (o->json_out) {
      std::cout << to_json(t).dump(2) << "\n";
    } else {
      std::cout << t.id << "\n";
    }
    if (t.parent) note_parent_blockers(store, t);
  });

  auto* epic = app.add_subcommand("epic", "Manage epics (groups of tasks)");
  epic->require_subcommand(1);
  auto* ea = epic->add_subcommand("add", "Add an epic; prints its id");
  auto* etitle = new std::string();
  auto* edesc = new std::string();
  ea->add_option("title", *etitle, "epic title")->required();
  ea->add_option("-d,--description", *edesc, "details");
  ea->callback([&g, etitle, edesc] {
    require_title(*etitle, "epic add", "Command-line options");
    auto project = open_project(g);
    Epic e = unwrap(open_store(*project).create_epic(*etitle, *edesc, wall_ms()));
    std::cout << e.id << "\n";
  });
  auto* el = epic->add_subcommand("list", "List epics with their progress");
  auto* ejson = new bool(false);
  el->add_flag("--json", *ejson, "JSON output");
  el->callback([&g, ejson] {
    auto project = open_project(g);
    std::vector<Epic> epics = unwrap(open_store(*project).list_epics());
    if (*ejson) {
      json out = json::array();
      for (const auto& e : epics) out.push_back(to_json(e));
      std::cout << out.dump(2) << "\n";
      return;
    }
    for (const auto& e : epics) {
      int total = 0, done = 0;
      for (const auto& [status, n] : e.counts) {
        total += n;
        if (status == "completed") done += n;
      }
      std::cout << e.id << "  " << escape_control_chars(e.title) << "  " << done << "/" << total << " completed\n";
    }
  });

  auto* reset = app.add_subcommand("reset", "Put tasks back to be run again (failed, blocked, cancelled or completed)");
  auto* rids = new std::vector<std::string>();
  auto* rfailed = new bool(false);
  auto* rall = new bool(false);
  auto* ryes = new bool(false);
  reset->add_option("ids", *rids, "task ids");
  reset->add_flag("--failed", *rfailed, "every failed task");
  reset->add_flag("--all", *rall, "every task that is not running, completed ones too (asks first; --yes to skip)");
  reset->add_flag("-y,--yes", *ryes, "do not ask before --all puts every task back");
  reset->callback([&g, rids, rfailed, rall, ryes] {
    std::vector<std::string> ids = *rids;
    if (*rfailed || *rall) {
      auto project = open_project(g);
      TaskFilter filter;
      if (*rfailed) filter.statuses = {TaskStatus::kFailed};
      for (const auto& t : unwrap(open_store(*project).list_tasks(filter)))
        if (t.status != TaskStatus::kRunning) ids.push_back(t.id);
    }
    if (ids.empty() && *rfailed && rids->empty()) {
      std::cout << "no failed tasks; nothing to reset\n";
      return;
    }
    if (ids.empty() && *rall && rids->empty()) {
      std::cout << "no tasks to reset (every task is running, or there are none)\n";
      return;
    }
    if (ids.empty()) fail(kExitUsage, "reset: name task ids, or --failed, or --all");
    if (*rall)
      confirm_or_fail("reset --all", "puts " + std::to_string(ids.size()) + " task" + (ids.size() == 1 ? "" : "s") +
                                         " back to run again, completed ones too", *ryes);
    reset_tasks(g, ids, ResetMode::kReset);
  });

  auto* retry = app.add_subcommand("retry", "Re-open a failed, blocked or cancelled task and the chain behind it");
  auto* retry_id = new std::string();
  retry->add_option("id", *retry_id, "task id")->required();
  retry->callback([&g, retry_id] { reset_tasks(g, {*retry_id}, ResetMode::kRetry); });

  auto* cancel = app.add_subcommand("cancel", "Cancel a task (a running agent is stopped); its dependents become blocked");
  auto* cancel_id = new std::string();
  cancel->add_option("id", *cancel_id, "task id")->required();
  cancel->callback([&g, cancel_id] { reset_tasks(g, {*cancel_id}, ResetMode::kCancel); });
}

}  // namespace drover::cli
