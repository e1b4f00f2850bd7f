// Epics, creating and reading tasks, dependencies and plain field updates.
#include <algorithm>
#include <map>
#include <set>

#include "records.h"
#include "request.h"
#include "state_store.h"
#include "task_graph.h"
#include "text_rules.h"

namespace drover::storage {

namespace {
using drover::sdk::Error;

TaskState require_task(StoreTables& tables, const Request& req, const char* key, const std::string& id,
                       bool for_update = false) {
  std::optional<TaskState> state = tables.task_state(id, for_update);
  if (!state) {
    throw Error(DROVER_NOT_FOUND, req.operation() + ": task " + id + " (field '" + key +
                                      "') does not exist; list_tasks shows the ids");
  }
  return *state;
}

void require_epic(StoreTables& tables, const Request& req, const std::string& id) {
  if (!tables.epic_exists(id)) {
    throw Error(DROVER_NOT_FOUND,
                req.operation() + ": epic " + id + " does not exist; create it first (list_epics shows the ids)");
  }
}

// update_task's settable fields and their JSON types.
const std::map<std::string, const char*>& settable_fields() {
  static const std::map<std::string, const char*> fields = {
      {"attempts", "an integer"},     {"tokens_in", "an integer"},  {"tokens_out", "an integer"},
      {"cost_usd", "a number"},       {"last_error", "a string"},   {"result_summary", "a string"},
      {"session_id", "a string"},     {"merge_commit", "a string"}, {"status_reason", "a string"},
      {"learned_touches", "a list of paths"}};
  return fields;
}

std::vector<FieldValue> read_fields(const Request& req) {
  const nlohmann::json* fields = req.value("fields");
  if (fields == nullptr || !fields->is_object()) req.invalid("fields", "must be an object");
  std::vector<FieldValue> out;
  for (const auto& [key, value] : fields->items()) {
    auto it = settable_fields().find(key);
    if (it == settable_fields().end()) {
      req.invalid("fields", "contains '" + key +
                                "', which update_task cannot set; settable: attempts, last_error, result_summary, "
                                "session_id, tokens_in, tokens_out, cost_usd, merge_commit, status_reason, "
                                "learned_touches (lifecycle changes use claim/release/complete/fail/reset)");
    }
    std::string type = it->second;
    if (type == "a list of paths") {
      out.emplace_back(key, path_list_text(req, "fields." + key, value));
      continue;
    }
    bool fits = type == "an integer" ? value.is_number_integer()
                : type == "a number" ? value.is_number()
                                     : value.is_string();
    if (!fits) req.invalid("fields", "." + key + " must be " + type);
    if (value.is_string()) check_text(req.operation(), "fields." + key, value.get_ref<const std::string&>(), kMaxTextBytes);
    out.emplace_back(key, value);
  }
  return out;
}
}  // namespace

void StateStore::add_event(StoreTables& tables, const std::optional<std::string>& task_id, const TaskEvent& event,
                           int64_t now_ms) {
  std::optional<std::string> data;
  if (!event.data.is_null()) data = event.data.dump();
  tables.insert_event(task_id, event.kind, event.message, data, now_ms);
}

std::string StateStore::create_epic(std::string_view request) {
  Request req("create_epic", request);
  std::string title = req.text("title", kMaxNameBytes);
  std::string description = req.optional_text("description", kMaxTextBytes).value_or("");
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    int64_t num = tables.next_counter("epic");
    std::string id = "e" + std::to_string(num);
    tables.insert_epic(id, num, title, description, now);
    return nlohmann::json{{"id", id}, {"title", title}, {"description", description}, {"created_ms", now}}.dump();
  });
}

std::string StateStore::list_epics(std::string_view request) {
  Request req("list_epics", request);
  return read([&](StoreTables& tables) {
    nlohmann::json epics = tables.epics();
    std::map<std::string, nlohmann::json*> by_id;
    for (nlohmann::json& epic : epics) {
      epic["counts"] = zero_status_counts();
      by_id[epic["id"].get<std::string>()] = &epic;
    }
    for (const auto& [epic, totals] : tables.epic_status_counts()) {
      auto it = by_id.find(epic);
      if (it != by_id.end()) (*it->second)["counts"][totals.status] = totals.tasks;
    }
    return epics.dump();
  });
}

std::string StateStore::create_task(std::string_view request) {
  Request req("create_task", request);
  NewTask task;
  task.title = req.text("title", kMaxNameBytes);
  if (task.title.empty()) req.invalid("title", "must not be empty");
  task.description = req.optional_text("description", kMaxTextBytes).value_or("");
  task.epic = req.optional_text("epic", kMaxNameBytes);
  task.parent = req.optional_text("parent", kMaxNameBytes);
  task.agent = req.optional_text("agent", kMaxNameBytes);
  task.priority = req.optional_integer("priority").value_or(0);
  task.max_attempts = req.optional_integer("max_attempts").value_or(0);
  task.timeout_ms = req.optional_integer("timeout_ms").value_or(0);
  if (task.max_attempts < 0) req.invalid("max_attempts", "must be 0 (engine default) or more");
  if (task.timeout_ms < 0) req.invalid("timeout_ms", "must be 0 (engine default) or more");
  if (req.has("touches")) task.touches = path_list_text(req, "touches", *req.value("touches"));
  const bool review = req.boolean_or("review", false);
  std::vector<std::string> blockers;
  for (std::string& id : req.names("blocked_by")) {
    if (std::find(blockers.begin(), blockers.end(), id) == blockers.end()) blockers.push_back(std::move(id));
  }
  task.now_ms = req.now_ms();

  return write([&](StoreTables& tables) {
    NewTask t = task;  // the body may run again
    tables.lock_graph();
    if (t.epic) require_epic(tables, req, *t.epic);
    if (!blockers.empty()) {
      std::set<std::string> found;
      for (const TaskState& s : tables.task_states(blockers)) found.insert(s.id);
      for (const std::string& b : blockers) {
        if (!found.count(b)) require_task(tables, req, "blocked_by", b);
      }
    }
    std::optional<std::string> previous_subtask;
    if (t.parent) {
      check_parent(req.operation(), require_task(tables, req, "parent", *t.parent, true));
      SubtaskSlot slot = tables.take_subtask_slot(*t.parent);
      t.sequence = slot.sequence;
      t.num = slot.num;
      if (!t.epic) t.epic = slot.epic;
      t.id = *t.parent + "." + std::to_string(t.sequence);
      if (t.sequence > 1) previous_subtask = *t.parent + "." + std::to_string(t.sequence - 1);
      // The new task will block its parent: a blocker that (transitively)
      // waits for the parent would close a cycle.
      for (const std::string& b : blockers) {
        std::vector<std::string> path = dependency_path(tables, b, *t.parent);
        if (!path.empty()) throw Error(DROVER_CONFLICT, cycle_message(req.operation(), *t.parent + " -> " + t.id, path));
      }
    } else {
      t.num = tables.next_counter("task");
      t.id = "t" + std::to_string(t.num);
    }
    tables.insert_task(t);
    if (review) tables.update_fields(t.id, {FieldValue("review", int64_t{1})}, t.now_ms);
    for (const std::string& b : blockers) tables.insert_dependency(t.id, b);
    if (previous_subtask) tables.insert_dependency(t.id, *previous_subtask);
    std::vector<std::string> changed;
    propagate(tables, t.id, true, t.now_ms, changed);
    if (t.parent) {
      tables.insert_dependency(*t.parent, t.id);
      propagate(tables, *t.parent, true, t.now_ms, changed);
    }
    add_event(tables, t.id, created_event(t.id), t.now_ms);
    return tables.task(t.id)->dump();
  });
}

std::string StateStore::get_task(std::string_view request) {
  Request req("get_task", request);
  std::string id = req.text("id", kMaxNameBytes);
  return read([&](StoreTables& tables) {
    std::optional<nlohmann::json> task = tables.task(id);
    if (!task) throw Error(DROVER_NOT_FOUND, "get_task: task " + id + " does not exist; list_tasks shows the ids");
    return task->dump();
  });
}

std::string StateStore::list_tasks(std::string_view request) {
  Request req("list_tasks", request);
  TaskFilter filter;
  filter.epic = req.optional_text("epic", kMaxNameBytes);
  if (req.has("status")) {
    filter.statuses = req.names("status");
    for (const std::string& s : *filter.statuses) {
      if (!is_task_status(s)) {
        req.invalid("status", "contains '" + s +
                                  "'; statuses are ready, waiting, running, completed, failed, blocked, cancelled");
      }
    }
  }
  if (req.has("ids")) filter.ids = req.names("ids");
  return read([&](StoreTables& tables) { return tables.tasks(filter).dump(); });
}

std::string StateStore::add_dependency(std::string_view request) {
  Request req("add_dependency", request);
  std::string task = req.text("task", kMaxNameBytes);
  std::string blocker = req.text("blocker", kMaxNameBytes);
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    tables.lock_graph();
    require_task(tables, req, "task", task);
    require_task(tables, req, "blocker", blocker);
    std::vector<std::string> path = dependency_path(tables, blocker, task);
    if (!path.empty()) throw Error(DROVER_CONFLICT, cycle_message(req.operation(), task, path));
    tables.insert_dependency(task, blocker);
    std::vector<std::string> changed;
    propagate(tables, task, true, now, changed);
    return tables.task(task)->dump();
  });
}

std::string StateStore::update_task(std::string_view request) {
  return update_task_from(Request("update_task", request));
}

std::string StateStore::update_task_from(const Request& req) {
  std::string id = req.text("id", kMaxNameBytes);
  int64_t now = req.now_ms();
  std::vector<FieldValue> fields = read_fields(req);
  const bool quiet = req.boolean_or("quiet", false);  // ABI 1.6: the caller knows the fields it set
  return write([&](StoreTables& tables) {
    if (!tables.update_fields(id, fields, now)) require_task(tables, req, "id", id);
    return quiet ? nlohmann::json{{"id", id}}.dump() : tables.task(id)->dump();
  });
}

}  // namespace drover::storage
