// Durable workflows and their step checkpoints, the event log, and summary().
#include "request.h"
#include "sqlite_store.h"
#include "task_record.h"

namespace drover::sqlite_storage {

namespace {
using drover::sdk::Error;

nlohmann::json parse_stored(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return nlohmann::json::parse(*text);
}

nlohmann::json workflow_from_row(const Query& q) {
  return {{"id", q.text(0)},           {"name", q.text(1)},     {"input", parse_stored(q.text(2))},
          {"status", q.text(3)},       {"output", parse_stored(q.optional_text(4))},
          {"executor", q.text(5)},     {"created_ms", q.integer(6)}, {"updated_ms", q.integer(7)}};
}

nlohmann::json step_from_row(const Query& q) {
  return {{"workflow_id", q.text(0)},
          {"step", q.integer(1)},
          {"name", q.text(2)},
          {"outcome", parse_stored(q.optional_text(3))},
          {"error", q.is_null(4) ? nlohmann::json(nullptr) : nlohmann::json(q.text(4))},
          {"created_ms", q.integer(5)}};
}

#define DROVER_WORKFLOW_COLUMNS "id, name, input, status, output, executor, created_ms, updated_ms"
#define DROVER_STEP_COLUMNS "workflow_id, step, name, outcome, error, created_ms"

std::optional<nlohmann::json> load_workflow(Database& db, const std::string& id) {
  Query q = db.query("SELECT " DROVER_WORKFLOW_COLUMNS " FROM workflows WHERE id = ?1", std::string_view(id));
  if (!q.next()) return std::nullopt;
  return workflow_from_row(q);
}
}  // namespace

std::string SqliteStore::start_workflow(std::string_view request) {
  Request req("start_workflow", request);
  std::string id = req.string("id");
  std::string name = req.string("name");
  std::string executor = req.string("executor");
  std::string input = req.value("input").value_or(nullptr).dump();
  int64_t now = req.now_ms();
  std::lock_guard lock(mutex_);
  return db_.write([&] {
    Query insert = db_.query(
        "INSERT INTO workflows (id, name, input, status, output, executor, created_ms, updated_ms) "
        "VALUES (?1, ?2, ?3, 'running', NULL, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING RETURNING id",
        std::string_view(id), std::string_view(name), std::string_view(input), std::string_view(executor), now);
    bool created = insert.next();
    insert.run();
    if (!created) {
      db_.query("UPDATE workflows SET executor = ?2 WHERE id = ?1", std::string_view(id), std::string_view(executor))
          .run();
    }
    nlohmann::json workflow = *load_workflow(db_, id);
    workflow["created"] = created;
    return workflow.dump();
  });
}

std::string SqliteStore::get_workflow(std::string_view request) {
  Request req("get_workflow", request);
  std::string id = req.string("id");
  std::lock_guard lock(mutex_);
  return db_.read([&] {
    std::optional<nlohmann::json> workflow = load_workflow(db_, id);
    if (!workflow) throw Error(DROVER_NOT_FOUND, "get_workflow: workflow '" + id + "' does not exist");
    nlohmann::json steps = nlohmann::json::array();
    Query q = db_.query("SELECT " DROVER_STEP_COLUMNS " FROM steps WHERE workflow_id = ?1 ORDER BY step",
                        std::string_view(id));
    while (q.next()) steps.push_back(step_from_row(q));
    (*workflow)["steps"] = std::move(steps);
    return workflow->dump();
  });
}

std::string SqliteStore::finish_workflow(std::string_view request) {
  Request req("finish_workflow", request);
  std::string id = req.string("id");
  std::string status = req.string("status");
  if (status != "running" && status != "succeeded" && status != "failed" && status != "cancelled") {
    req.invalid("status", "is '" + status + "'; use succeeded, failed, cancelled or running");
  }
  std::optional<nlohmann::json> output = req.value("output");
  std::optional<std::string> output_text;
  if (output && !output->is_null()) output_text = output->dump();
  int64_t now = req.now_ms();
  std::lock_guard lock(mutex_);
  return db_.write([&] {
    Query q = db_.query("UPDATE workflows SET status = ?2, output = ?3, updated_ms = ?4 WHERE id = ?1 RETURNING id");
    q.bind(1, std::string_view(id)).bind(2, std::string_view(status)).bind_optional(3, output_text).bind(4, now);
    bool found = q.next();
    q.run();
    if (!found) throw Error(DROVER_NOT_FOUND, "finish_workflow: workflow '" + id + "' does not exist");
    return load_workflow(db_, id)->dump();
  });
}

std::string SqliteStore::record_step(std::string_view request) {
  Request req("record_step", request);
  std::string workflow_id = req.string("workflow_id");
  int64_t step = req.integer("step");
  if (step < 0) req.invalid("step", "must be 0 or more");
  std::string name = req.string("name");
  std::optional<std::string> outcome;
  if (auto v = req.value("outcome"); v && !v->is_null()) outcome = v->dump();
  std::optional<std::string> error = req.optional_string("error");
  int64_t now = req.now_ms();
  std::lock_guard lock(mutex_);
  return db_.write([&] {
    Query insert = db_.query(
        "INSERT INTO steps (workflow_id, step, name, outcome, error, created_ms) "
        "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM workflows WHERE id = ?1) "
        "ON CONFLICT (workflow_id, step) DO NOTHING RETURNING step");
    insert.bind(1, std::string_view(workflow_id)).bind(2, step).bind(3, std::string_view(name));
    insert.bind_optional(4, outcome).bind_optional(5, error).bind(6, now);
    bool recorded = insert.next();
    insert.run();
    Query q = db_.query("SELECT " DROVER_STEP_COLUMNS " FROM steps WHERE workflow_id = ?1 AND step = ?2",
                        std::string_view(workflow_id), step);
    if (!q.next()) {
      throw Error(DROVER_NOT_FOUND, "record_step: workflow '" + workflow_id + "' does not exist; start it first");
    }
    nlohmann::json out = step_from_row(q);
    out["recorded"] = recorded;
    return out.dump();
  });
}

std::string SqliteStore::append_event(std::string_view request) {
  Request req("append_event", request);
  std::optional<std::string> task_id = req.optional_string("task_id");
  std::string kind = req.string("kind");
  std::string message = req.string("message");
  check_length(req, "message", message, kMaxDescriptionBytes);
  nlohmann::json data = req.value("data").value_or(nullptr);
  int64_t now = req.now_ms();
  std::lock_guard lock(mutex_);
  return db_.write([&] {
    if (task_id) require_state(req, "task_id", *task_id);
    add_event(task_id, kind, message, data, now);
    Query q = db_.query("SELECT last_insert_rowid()");
    q.next();
    nlohmann::json event = {{"id", q.integer(0)}, {"task_id", task_id ? nlohmann::json(*task_id) : nlohmann::json()},
                            {"kind", kind},       {"message", message},
                            {"data", data},       {"created_ms", now}};
    return event.dump();
  });
}

std::string SqliteStore::list_events(std::string_view request) {
  Request req("list_events", request);
  std::optional<std::string> task_id = req.optional_string("task_id");
  int64_t after_id = req.integer_or("after_id", 0);
  int64_t limit = req.integer_or("limit", -1);  // SQLite: a negative LIMIT means none
  std::lock_guard lock(mutex_);
  return db_.read([&] {
    Query q = db_.query("SELECT id, task_id, kind, message, data, created_ms FROM events "
                        "WHERE (?1 IS NULL OR task_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
    q.bind_optional(1, task_id).bind(2, after_id).bind(3, limit);
    nlohmann::json events = nlohmann::json::array();
    while (q.next()) {
      events.push_back({{"id", q.integer(0)},
                        {"task_id", q.is_null(1) ? nlohmann::json() : nlohmann::json(q.text(1))},
                        {"kind", q.text(2)},
                        {"message", q.text(3)},
                        {"data", parse_stored(q.optional_text(4))},
                        {"created_ms", q.integer(5)}});
    }
    return events.dump();
  });
}

std::string SqliteStore::summary(std::string_view request) {
  Request req("summary", request);
  std::optional<std::string> epic = req.optional_string("epic");
  std::lock_guard lock(mutex_);
  return db_.read([&] {
    nlohmann::json counts = nlohmann::json::object();
    for (const char* status : kTaskStatuses) counts[status] = 0;
    Query c = db_.query("SELECT status, COUNT(*) FROM tasks WHERE (?1 IS NULL OR epic = ?1) GROUP BY status");
    c.bind_optional(1, epic);
    while (c.next()) counts[c.text(0)] = c.integer(1);
    Query t = db_.query("SELECT COUNT(*), COALESCE(SUM(cost_usd), 0), COALESCE(SUM(tokens_in), 0), "
                        "COALESCE(SUM(tokens_out), 0) FROM tasks WHERE (?1 IS NULL OR epic = ?1)");
    t.bind_optional(1, epic);
    t.next();
    return nlohmann::json{{"counts", counts},
                          {"total", t.integer(0)},
                          {"cost_usd", t.real(1)},
                          {"tokens_in", t.integer(2)},
                          {"tokens_out", t.integer(3)}}
        .dump();
  });
}

}  // namespace drover::sqlite_storage
