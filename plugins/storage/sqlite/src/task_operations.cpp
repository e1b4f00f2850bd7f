// Epics, creating and reading tasks, dependencies and plain field updates.
#include <algorithm>
#include <set>

#include "request.h"
#include "sqlite_store.h"
#include "task_record.h"

namespace drover::sqlite_storage {

namespace {
using drover::sdk::Error;

nlohmann::json status_counts() {
  nlohmann::json counts = nlohmann::json::object();
  for (const char* status : kTaskStatuses) counts[status] = 0;
  return counts;
}

bool is_task_status(const std::string& s) {
  for (const char* status : kTaskStatuses) {
    if (s == status) return true;
  }
  return false;
}

std::string cycle_message(const std::string& head, const std::vector<std::string>& path) {
  std::string text = "dependency cycle: " + head;
  for (const std::string& id : path) text += " -> " + id;
  return text;
}
}  // namespace

std::string SqliteStore::create_epic(std::string_view request) {
  Request req("create_epic", request);
  std::string title = req.string("title");
  check_length(req, "title", title, kMaxTitleBytes);
  std::string description = req.optional_string("description").value_or("");
  check_length(req, "description", description, kMaxDescriptionBytes);
  int64_t now = req.now_ms();
  std::lock_guard lock(mutex_);
  return db_.write([&] {
    int64_t num = next_counter("epic");
    std::string id = "e" + std::to_string(num);
    db_.query("INSERT INTO epics (id, num, title, description, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
              std::string_view(id), num, std::string_view(title), std::string_view(description), now)
        .run();
    nlohmann::json epic = {{"id", id}, {"title", title}, {"description", description}, {"created_ms", now}};
    return epic.dump();
  });
}

std::string SqliteStore::list_epics(std::string_view request) {
  Request req("list_epics", request);
  std::lock_guard lock(mutex_);
  return db_.read([&] {
    nlohmann::json epics = nlohmann::json::array();
    Query q = db_.query("SELECT id, title, description, created_ms FROM epics ORDER BY num");
    while (q.next()) {
      nlohmann::json epic = {
          {"id", q.text(0)}, {"title", q.text(1)}, {"description", q.text(2)}, {"created_ms", q.integer(3)}};
      nlohmann::json counts = status_counts();
      Query c = db_.query("SELECT status, COUNT(*) FROM tasks WHERE epic = ?1 GROUP BY status", q.text(0));
      while (c.next()) counts[c.text(0)] = c.integer(1);
      epic["counts"] = counts;
      epics.push_back(std::move(epic));
    }
    return epics.dump();
  });
}

std::string SqliteStore::create_task(std::string_view request) {
  Request req("create_task", request);
  std::string title = req.string("title");
  check_length(req, "title", title, kMaxTitleBytes);
  if (title.empty()) req.invalid("title", "must not be empty");
  std::string description = req.optional_string("description").value_or("");
  check_length(req, "description", description, kMaxDescriptionBytes);
  std::optional<std::string> epic = req.optional_string("epic");
  std::optional<std::string> parent = req.optional_string("parent");
  std::optional<std::string> agent = req.optional_string("agent");
  int64_t priority = req.integer_or("priority", 0);
  int64_t max_attempts = req.integer_or("max_attempts", 0);
  int64_t timeout_ms = req.integer_or("timeout_ms", 0);
  if (max_attempts < 0) req.invalid("max_attempts", "must be 0 (engine default) or more");
  if (timeout_ms < 0) req.invalid("timeout_ms", "must be 0 (engine default) or more");
  std::vector<std::string> blockers;
  for (std::string& id : req.strings("blocked_by")) {
    if (std::find(blockers.begin(), blockers.end(), id) == blockers.end()) blockers.push_back(std::move(id));
  }
  int64_t now = req.now_ms();

  std::lock_guard lock(mutex_);
  return db_.write([&] {
    if (epic) require_epic(req, *epic);
    for (const std::string& b : blockers) require_state(req, "blocked_by", b);

    std::string id;
    int64_t num = 0;
    int64_t sequence = 0;
    std::optional<std::string> previous_subtask;
    std::optional<std::string> task_epic = epic;
    if (parent) {
      TaskState p = require_state(req, "parent", *parent);
      if (p.parent) {
        req.invalid("parent", "names " + *parent + ", which is a sub-task of " + *p.parent +
                                  "; a sub-task cannot have sub-tasks (use " + *p.parent + " as the parent)");
      }
      if (p.status == "running" || p.status == "completed") {
        req.invalid("parent", "names " + *parent + ", which is " + p.status +
                                  "; sub-tasks can only be added to a task that has not started");
      }
      Query seq = db_.query("UPDATE tasks SET last_subtask = last_subtask + 1 WHERE id = ?1 "
                            "RETURNING last_subtask, num, epic",
                            std::string_view(*parent));
      seq.next();
      sequence = seq.integer(0);
      num = seq.integer(1);
      if (!task_epic) task_epic = seq.optional_text(2);
      seq.run();
      id = *parent + "." + std::to_string(sequence);
      if (sequence > 1) previous_subtask = *parent + "." + std::to_string(sequence - 1);
      // The new task will block its parent: a blocker that (transitively)
      // waits for the parent would close a cycle.
      for (const std::string& b : blockers) {
        std::vector<std::string> path = dependency_path(b, *parent);
        if (!path.empty()) throw Error(DROVER_CONFLICT, cycle_message(*parent + " -> " + id, path));
      }
    } else {
      num = next_counter("task");
      id = "t" + std::to_string(num);
    }

    Query insert = db_.query(
        "INSERT INTO tasks (id, num, sequence, parent, epic, title, description, priority, status, agent, "
        "max_attempts, timeout_ms, created_ms, updated_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'waiting', ?9, ?10, ?11, ?12, ?12)");
    insert.bind(1, std::string_view(id)).bind(2, num).bind(3, sequence).bind_optional(4, parent);
    insert.bind_optional(5, task_epic).bind(6, std::string_view(title)).bind(7, std::string_view(description));
    insert.bind(8, priority).bind_optional(9, agent).bind(10, max_attempts).bind(11, timeout_ms).bind(12, now);
    insert.run();

    for (const std::string& b : blockers) insert_dependency(id, b, false);
    if (previous_subtask) insert_dependency(id, *previous_subtask, true);
    auto [status, reason] = derive_pending_status(id);
    set_status(id, status, reason, now);
    if (parent) {
      insert_dependency(*parent, id, true);
      std::vector<std::string> changed;
      propagate(*parent, true, now, changed);
    }
    add_event(id, "created", "task " + id + " created", nullptr, now);
    return load_task(id)->dump();
  });
}

std::string SqliteStore::get_task(std::string_view request) {
  Request req("get_task", request);
  std::string id = req.string("id");
  std::lock_guard lock(mutex_);
  return db_.read([&] { return require_task_json(req, id).dump(); });
}

std::string SqliteStore::list_tasks(std::string_view request) {
  Request req("list_tasks", request);
  std::optional<std::string> epic = req.optional_string("epic");
  std::optional<std::string> statuses;
  if (req.has("status")) {
    std::vector<std::string> list = req.strings("status");
    for (const std::string& s : list) {
      if (!is_task_status(s)) {
        req.invalid("status", "contains '" + s + "'; statuses are ready, waiting, running, completed, failed, "
                              "blocked, cancelled");
      }
    }
    statuses = nlohmann::json(list).dump();
  }
  std::optional<std::string> ids;
  if (req.has("ids")) ids = nlohmann::json(req.strings("ids")).dump();

  std::lock_guard lock(mutex_);
  return db_.read([&] {
    Query q = db_.query("SELECT " DROVER_TASK_COLUMNS " FROM tasks t "
                        "WHERE (?1 IS NULL OR t.epic = ?1) "
                        "AND (?2 IS NULL OR t.status IN (SELECT value FROM json_each(?2))) "
                        "AND (?3 IS NULL OR t.id IN (SELECT value FROM json_each(?3))) "
                        "ORDER BY t.priority DESC, t.created_ms, t.num, t.sequence");
    q.bind_optional(1, epic).bind_optional(2, statuses).bind_optional(3, ids);
    nlohmann::json tasks = nlohmann::json::array();
    while (q.next()) tasks.push_back(task_from_row(db_, q));
    return tasks.dump();
  });
}

std::string SqliteStore::add_dependency(std::string_view request) {
  Request req("add_dependency", request);
  std::string task = req.string("task");
  std::string blocker = req.string("blocker");
  int64_t now = req.now_ms();
  std::lock_guard lock(mutex_);
  return db_.write([&] {
    require_state(req, "task", task);
    require_state(req, "blocker", blocker);
    std::vector<std::string> path = dependency_path(blocker, task);
    if (!path.empty()) throw Error(DROVER_CONFLICT, cycle_message(task, path));
    insert_dependency(task, blocker, false);
    std::vector<std::string> changed;
    propagate(task, true, now, changed);
    return load_task(task)->dump();
  });
}

std::string SqliteStore::update_task(std::string_view request) {
  Request req("update_task", request);
  std::string id = req.string("id");
  int64_t now = req.now_ms();
  auto fields_it = req.json().find("fields");
  if (fields_it == req.json().end() || !fields_it->is_object()) req.invalid("fields", "must be an object");
  const nlohmann::json& fields = *fields_it;

  static const std::set<std::string> integer_fields = {"attempts", "tokens_in", "tokens_out"};
  static const std::set<std::string> text_fields = {"last_error", "result_summary", "session_id", "merge_commit",
                                                    "status_reason"};
  for (const auto& [key, value] : fields.items()) {
    if (integer_fields.count(key)) {
      if (!value.is_number_integer()) req.invalid("fields", "." + key + " must be an integer");
    } else if (text_fields.count(key)) {
      if (!value.is_string()) req.invalid("fields", "." + key + " must be a string");
      check_length(req, "fields", value.get<std::string>(), kMaxDescriptionBytes);
    } else if (key == "cost_usd") {
      if (!value.is_number()) req.invalid("fields", ".cost_usd must be a number");
    } else {
      req.invalid("fields", "contains '" + key + "', which update_task cannot set; settable: attempts, last_error, "
                            "result_summary, session_id, tokens_in, tokens_out, cost_usd, merge_commit, "
                            "status_reason (lifecycle changes use claim/release/complete/fail/reset)");
    }
  }
  auto text = [&](const char* key) -> std::optional<std::string> {
    if (!fields.contains(key)) return std::nullopt;
    return fields[key].get<std::string>();
  };
  auto integer = [&](const char* key) -> SqlValue {
    if (!fields.contains(key)) return nullptr;
    return fields[key].get<int64_t>();
  };

  std::lock_guard lock(mutex_);
  return db_.write([&] {
    require_state(req, "id", id);
    Query q = db_.query(
        "UPDATE tasks SET attempts = COALESCE(?2, attempts), last_error = COALESCE(?3, last_error), "
        "result_summary = COALESCE(?4, result_summary), session_id = COALESCE(?5, session_id), "
        "tokens_in = COALESCE(?6, tokens_in), tokens_out = COALESCE(?7, tokens_out), "
        "cost_usd = COALESCE(?8, cost_usd), merge_commit = COALESCE(?9, merge_commit), "
        "status_reason = COALESCE(?10, status_reason), updated_ms = ?11 WHERE id = ?1");
    q.bind(1, std::string_view(id)).bind(2, integer("attempts")).bind_optional(3, text("last_error"));
    q.bind_optional(4, text("result_summary")).bind_optional(5, text("session_id"));
    q.bind(6, integer("tokens_in")).bind(7, integer("tokens_out"));
    if (fields.contains("cost_usd")) {
      q.bind(8, fields["cost_usd"].get<double>());
    } else {
      q.bind(8, nullptr);
    }
    q.bind_optional(9, text("merge_commit")).bind_optional(10, text("status_reason")).bind(11, now);
    q.run();
    return load_task(id)->dump();
  });
}

}  // namespace drover::sqlite_storage
