// Epics, creating and reading tasks, dependencies and plain field updates.
#include <algorithm>
#include <map>
#include <set>

#include "postgres_store.hpp"
#include "request.hpp"
#include "task_graph.hpp"
#include "task_record.hpp"

namespace drover::postgres {

namespace {
using sdk::Error;

json zero_counts() {
  json counts = json::object();
  for (const char* status : kTaskStatuses) counts[status] = 0;
  return counts;
}

std::string cycle_message(const std::string& head, const std::vector<std::string>& path) {
  std::string text = "dependency cycle: " + head;
  for (const std::string& id : path) text += " -> " + id;
  return text;
}
}  // namespace

std::string PostgresStore::create_epic(std::string_view request) {
  Request req("create_epic", request);
  std::string title = req.string("title");
  check_text(req.operation(), "title", title, kMaxTitleBytes);
  std::string description = req.optional_string("description").value_or("");
  check_text(req.operation(), "description", description, kMaxDescriptionBytes);
  int64_t now = req.now_ms();
  return in_transaction([&](SqlTransaction& tx) {
    int64_t num = next_counter(tx, "epic");
    std::string id = "e" + std::to_string(num);
    tx.exec("INSERT INTO epics (num, id, title, description, created_ms) VALUES ($1, $2, $3, $4, $5)",
            {std::to_string(num), id, title, description, std::to_string(now)});
    return json{{"id", id}, {"title", title}, {"description", description}, {"created_ms", now}}.dump();
  });
}

std::string PostgresStore::list_epics(std::string_view request) {
  Request req("list_epics", request);
  return reading([&](SqlTransaction& tx) {
    json epics = json::array();
    std::map<std::string, size_t> position;
    for (const SqlRow& e : tx.exec("SELECT id, title, description, created_ms FROM epics ORDER BY num")) {
      position[e.text(0)] = epics.size();
      epics.push_back({{"id", e.text(0)},
                       {"title", e.text(1)},
                       {"description", e.text(2)},
                       {"created_ms", e.integer(3)},
                       {"counts", zero_counts()}});
    }
    for (const SqlRow& c :
         tx.exec("SELECT epic, status, count(*) FROM tasks WHERE epic IS NOT NULL GROUP BY epic, status")) {
      auto it = position.find(c.text(0));
      if (it != position.end()) epics[it->second]["counts"][c.text(1)] = c.integer(2);
    }
    return epics.dump();
  });
}

std::string PostgresStore::create_task(std::string_view request) {
  Request req("create_task", request);
  const std::string& op = req.operation();
  std::string title = req.string("title");
  check_text(op, "title", title, kMaxTitleBytes);
  if (title.empty()) req.fail("\"title\" must not be empty");
  std::string description = req.optional_string("description").value_or("");
  check_text(op, "description", description, kMaxDescriptionBytes);
  std::optional<std::string> epic = req.optional_string("epic");
  std::optional<std::string> parent = req.optional_string("parent");
  std::optional<std::string> agent = req.optional_string("agent");
  if (agent) check_text(op, "agent", *agent, kMaxTitleBytes);
  int64_t priority = req.optional_integer("priority").value_or(0);
  int64_t max_attempts = req.optional_integer("max_attempts").value_or(0);
  int64_t timeout_ms = req.optional_integer("timeout_ms").value_or(0);
  if (max_attempts < 0) req.fail("\"max_attempts\" must be 0 (engine default) or more");
  if (timeout_ms < 0) req.fail("\"timeout_ms\" must be 0 (engine default) or more");
  std::vector<std::string> blockers;
  for (std::string& id : req.string_list("blocked_by")) {
    if (std::find(blockers.begin(), blockers.end(), id) == blockers.end()) blockers.push_back(std::move(id));
  }
  int64_t now = req.now_ms();

  return in_transaction([&](SqlTransaction& tx) {
    lock_graph(tx);
    if (epic) require_epic(tx, req, *epic);
    if (!blockers.empty()) {
      std::set<std::string> found;
      for (const SqlRow& row : tx.exec("SELECT id FROM tasks WHERE id = ANY($1::text[])", {text_array_literal(blockers)})) {
        found.insert(row.text(0));
      }
      for (const std::string& b : blockers) {
        if (!found.count(b)) require_state(tx, req, "blocked_by", b);  // throws DROVER_NOT_FOUND naming it
      }
    }

    std::string id;
    int64_t num = 0;
    int64_t sequence = 0;
    std::optional<std::string> previous_subtask;
    std::optional<std::string> task_epic = epic;
    if (parent) {
      TaskState p = require_state(tx, req, "parent", *parent, true);
      if (p.parent) {
        req.fail("\"parent\" names " + *parent + ", which is a sub-task of " + *p.parent +
                 "; a sub-task cannot have sub-tasks (use " + *p.parent + " as the parent)");
      }
      if (p.status == "running" || p.status == "completed") {
        req.fail("\"parent\" names " + *parent + ", which is " + p.status +
                 "; sub-tasks can only be added to a task that has not started");
      }
      SqlRows seq = tx.exec("UPDATE tasks SET subtasks = subtasks + 1 WHERE id = $1 RETURNING subtasks, num, epic",
                            {*parent});
      sequence = seq.at(0).integer(0);
      num = seq.at(0).integer(1);
      if (!task_epic) task_epic = seq.at(0).optional_text(2);
      id = *parent + "." + std::to_string(sequence);
      if (sequence > 1) previous_subtask = *parent + "." + std::to_string(sequence - 1);
      // The new task will block its parent, so a blocker that (transitively)
      // waits for the parent would close a cycle.
      for (const std::string& b : blockers) {
        std::vector<std::string> path = dependency_path(tx, b, *parent);
        if (!path.empty()) throw Error(DROVER_CONFLICT, op + ": " + cycle_message(*parent + " -> " + id, path));
      }
    } else {
      num = next_counter(tx, "task");
      id = "t" + std::to_string(num);
      // A store filled quickly (an imported plan, a benchmark) would otherwise be
      // planned with empty-table statistics until autovacuum gets to it, and the
      // claim probe would sort every ready task instead of walking its index.
      if (num == 64 || num == 512 || num == 4096 || num == 32768) tx.exec("ANALYZE tasks, dependencies");
    }

    tx.exec(
        "INSERT INTO tasks (id, num, sequence, parent, epic, title, description, priority, status, agent, "
        "max_attempts, timeout_ms, created_ms, updated_ms) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'waiting', $9, $10, $11, $12, $12)",
        {id, std::to_string(num), std::to_string(sequence), parent, task_epic, title, description,
         std::to_string(priority), agent, std::to_string(max_attempts), std::to_string(timeout_ms),
         std::to_string(now)});
    for (const std::string& b : blockers) insert_dependency(tx, id, b);
    if (previous_subtask) insert_dependency(tx, id, *previous_subtask);
    settle_status(tx, {id}, now);
    if (parent) {
      insert_dependency(tx, *parent, id);
      std::vector<std::string> changed;
      propagate(tx, *parent, true, now, changed);
    }
    add_event(tx, id, "created", "task " + id + " created", nullptr, now);
    return load_task(tx, id)->dump();
  });
}

std::string PostgresStore::get_task(std::string_view request) {
  Request req("get_task", request);
  std::string id = req.string("id");
  return reading([&](SqlTransaction& tx) {
    std::optional<json> task = load_task(tx, id);
    if (!task) throw Error(DROVER_NOT_FOUND, "get_task: task " + id + " does not exist; list_tasks shows the ids");
    return task->dump();
  });
}

std::string PostgresStore::list_tasks(std::string_view request) {
  Request req("list_tasks", request);
  std::string where = "TRUE";
  std::vector<SqlParam> params;
  if (auto epic = req.optional_string("epic")) {
    params.push_back(*epic);
    where += " AND t.epic = $" + std::to_string(params.size());
  }
  if (req.has("status")) {
    std::vector<std::string> statuses = req.string_list("status");
    for (const std::string& s : statuses) {
      if (!is_task_status(s)) {
        req.fail("\"status\" contains '" + s +
                 "'; statuses are ready, waiting, running, completed, failed, blocked, cancelled");
      }
    }
    params.push_back(text_array_literal(statuses));
    where += " AND t.status = ANY($" + std::to_string(params.size()) + "::text[])";
  }
  if (req.has("ids")) {
    params.push_back(text_array_literal(req.string_list("ids")));
    where += " AND t.id = ANY($" + std::to_string(params.size()) + "::text[])";
  }
  return reading([&](SqlTransaction& tx) { return load_tasks(tx, where, params).dump(); });
}

std::string PostgresStore::add_dependency(std::string_view request) {
  Request req("add_dependency", request);
  std::string task = req.string("task");
  std::string blocker = req.string("blocker");
  int64_t now = req.now_ms();
  return in_transaction([&](SqlTransaction& tx) {
    lock_graph(tx);
    require_state(tx, req, "task", task);
    require_state(tx, req, "blocker", blocker);
    std::vector<std::string> path = dependency_path(tx, blocker, task);
    if (!path.empty()) throw Error(DROVER_CONFLICT, "add_dependency: " + cycle_message(task, path));
    insert_dependency(tx, task, blocker);
    std::vector<std::string> changed;
    propagate(tx, task, true, now, changed);
    return load_task(tx, task)->dump();
  });
}

std::string PostgresStore::update_task(std::string_view request) {
  Request req("update_task", request);
  std::string id = req.string("id");
  int64_t now = req.now_ms();
  const json* fields = req.value("fields");
  if (fields == nullptr || !fields->is_object()) req.fail("\"fields\" must be an object");

  static const std::set<std::string> integer_fields = {"attempts", "tokens_in", "tokens_out"};
  static const std::set<std::string> text_fields = {"last_error", "result_summary", "session_id", "merge_commit",
                                                    "status_reason"};
  std::string assignments;
  std::vector<SqlParam> params{id, std::to_string(now)};
  for (const auto& [key, value] : fields->items()) {
    std::string text;
    if (integer_fields.count(key)) {
      if (!value.is_number_integer()) req.fail("\"fields\"." + key + " must be an integer");
      text = std::to_string(value.get<int64_t>());
    } else if (text_fields.count(key)) {
      if (!value.is_string()) req.fail("\"fields\"." + key + " must be a string");
      text = value.get<std::string>();
      check_text(req.operation(), "fields." + key, text, kMaxDescriptionBytes);
    } else if (key == "cost_usd") {
      if (!value.is_number()) req.fail("\"fields\".cost_usd must be a number");
      text = json(value.get<double>()).dump();
    } else {
      req.fail("\"fields\" contains '" + key +
               "', which update_task cannot set; settable: attempts, last_error, result_summary, session_id, "
               "tokens_in, tokens_out, cost_usd, merge_commit, status_reason (lifecycle changes use "
               "claim/release/complete/fail/reset)");
    }
    params.push_back(text);
    // key is one of the fixed names above, never request text.
    assignments += ", " + key + " = $" + std::to_string(params.size());
  }
  return in_transaction([&](SqlTransaction& tx) {
    SqlRows rows = tx.exec("UPDATE tasks SET updated_ms = $2" + assignments + " WHERE id = $1 RETURNING id", params);
    if (rows.empty()) {
      throw Error(DROVER_NOT_FOUND, "update_task: task " + id + " (field 'id') does not exist; list_tasks shows the ids");
    }
    return load_task(tx, id)->dump();
  });
}

}  // namespace drover::postgres
