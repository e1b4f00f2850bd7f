// Durable workflows and their step checkpoints, the event log, and summary().
#include "postgres_store.hpp"
#include "request.hpp"
#include "task_record.hpp"

namespace drover::postgres {

namespace {
using sdk::Error;

const char* const kWorkflowColumns = "id, name, input, status, output, executor, created_ms, updated_ms";
const char* const kStepColumns = "workflow_id, step, name, outcome, error, created_ms";

// JSON values are stored as their text; NULL is JSON null.
json parse_stored(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return json::parse(*text);
}

json workflow_from_row(const SqlRow& r) {
  return {{"id", r.text(0)},
          {"name", r.text(1)},
          {"input", parse_stored(r.optional_text(2))},
          {"status", r.text(3)},
          {"output", parse_stored(r.optional_text(4))},
          {"executor", r.text(5)},
          {"created_ms", r.integer(6)},
          {"updated_ms", r.integer(7)}};
}

json step_from_row(const SqlRow& r) {
  return {{"workflow_id", r.text(0)},
          {"step", r.integer(1)},
          {"name", r.text(2)},
          {"outcome", parse_stored(r.optional_text(3))},
          {"error", r.is_null(4) ? json(nullptr) : json(r.text(4))},
          {"created_ms", r.integer(5)}};
}

std::optional<json> load_workflow(SqlTransaction& tx, const std::string& id) {
  SqlRows rows = tx.exec(std::string("SELECT ") + kWorkflowColumns + " FROM workflows WHERE id = $1", {id});
  if (rows.empty()) return std::nullopt;
  return workflow_from_row(rows[0]);
}

json event_from_row(const SqlRow& r) {
  return {{"id", r.integer(0)},
          {"task_id", r.is_null(1) ? json() : json(r.text(1))},
          {"kind", r.text(2)},
          {"message", r.text(3)},
          {"data", parse_stored(r.optional_text(4))},
          {"created_ms", r.integer(5)}};
}

// A JSON value from the request as stored text; absent or null stays NULL.
SqlParam stored_json(const Request& req, const char* key) {
  const json* v = req.value(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  return v->dump();
}
}  // namespace

std::string PostgresStore::start_workflow(std::string_view request) {
  Request req("start_workflow", request);
  std::string id = req.string("id");
  std::string name = req.string("name");
  std::string executor = req.string("executor");
  check_text(req.operation(), "id", id, kMaxTitleBytes);
  check_text(req.operation(), "name", name, kMaxTitleBytes);
  check_text(req.operation(), "executor", executor, kMaxTitleBytes);
  const json* input_value = req.value("input");
  std::string input = input_value == nullptr ? std::string("null") : input_value->dump();
  int64_t now = req.now_ms();
  return in_transaction([&](SqlTransaction& tx) {
    // ON CONFLICT DO NOTHING waits for a concurrent starter of the same id, so
    // exactly one caller sees "created": true.
    SqlRows inserted = tx.exec(
        "INSERT INTO workflows (id, name, input, status, output, executor, created_ms, updated_ms) "
        "VALUES ($1, $2, $3, 'running', NULL, $4, $5, $5) ON CONFLICT (id) DO NOTHING RETURNING id",
        {id, name, input, executor, std::to_string(now)});
    bool created = !inserted.empty();
    if (!created) tx.exec("UPDATE workflows SET executor = $2 WHERE id = $1", {id, executor});
    json workflow = *load_workflow(tx, id);
    workflow["created"] = created;
    return workflow.dump();
  });
}

std::string PostgresStore::get_workflow(std::string_view request) {
  Request req("get_workflow", request);
  std::string id = req.string("id");
  return reading([&](SqlTransaction& tx) {
    std::optional<json> workflow = load_workflow(tx, id);
    if (!workflow) throw Error(DROVER_NOT_FOUND, "get_workflow: workflow '" + id + "' does not exist");
    json steps = json::array();
    for (const SqlRow& r :
         tx.exec(std::string("SELECT ") + kStepColumns + " FROM workflow_steps WHERE workflow_id = $1 ORDER BY step",
                 {id})) {
      steps.push_back(step_from_row(r));
    }
    (*workflow)["steps"] = std::move(steps);
    return workflow->dump();
  });
}

std::string PostgresStore::finish_workflow(std::string_view request) {
  Request req("finish_workflow", request);
  std::string id = req.string("id");
  std::string status = req.string("status");
  if (status != "running" && status != "succeeded" && status != "failed" && status != "cancelled") {
    req.fail("\"status\" is '" + status + "'; use succeeded, failed, cancelled or running");
  }
  SqlParam output = stored_json(req, "output");
  int64_t now = req.now_ms();
  return in_transaction([&](SqlTransaction& tx) {
    SqlRows rows = tx.exec("UPDATE workflows SET status = $2, output = $3, updated_ms = $4 WHERE id = $1 RETURNING " +
                               std::string(kWorkflowColumns),
                           {id, status, output, std::to_string(now)});
    if (rows.empty()) throw Error(DROVER_NOT_FOUND, "finish_workflow: workflow '" + id + "' does not exist");
    return workflow_from_row(rows[0]).dump();
  });
}

std::string PostgresStore::record_step(std::string_view request) {
  Request req("record_step", request);
  std::string workflow_id = req.string("workflow_id");
  int64_t step = req.integer("step");
  if (step < 0) req.fail("\"step\" must be 0 or more");
  std::string name = req.string("name");
  check_text(req.operation(), "name", name, kMaxTitleBytes);
  SqlParam outcome = stored_json(req, "outcome");
  std::optional<std::string> error = req.optional_string("error");
  if (error) check_text(req.operation(), "error", *error, kMaxDescriptionBytes);
  int64_t now = req.now_ms();
  return in_transaction([&](SqlTransaction& tx) {
    SqlRows inserted = tx.exec(
        "INSERT INTO workflow_steps (workflow_id, step, name, outcome, error, created_ms) "
        "SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM workflows WHERE id = $1) "
        "ON CONFLICT (workflow_id, step) DO NOTHING RETURNING " +
            std::string(kStepColumns),
        {workflow_id, std::to_string(step), name, outcome, error, std::to_string(now)});
    bool recorded = !inserted.empty();
    SqlRows rows = recorded ? inserted
                            : tx.exec(std::string("SELECT ") + kStepColumns +
                                          " FROM workflow_steps WHERE workflow_id = $1 AND step = $2",
                                      {workflow_id, std::to_string(step)});
    if (rows.empty()) {
      throw Error(DROVER_NOT_FOUND, "record_step: workflow '" + workflow_id + "' does not exist; start it first");
    }
    json out = step_from_row(rows[0]);
    out["recorded"] = recorded;
    return out.dump();
  });
}

std::string PostgresStore::append_event(std::string_view request) {
  Request req("append_event", request);
  std::optional<std::string> task_id = req.optional_string("task_id");
  std::string kind = req.string("kind");
  std::string message = req.string("message");
  check_text(req.operation(), "kind", kind, kMaxTitleBytes);
  check_text(req.operation(), "message", message, kMaxDescriptionBytes);
  const json* data_value = req.value("data");
  json data = data_value == nullptr ? json() : *data_value;
  int64_t now = req.now_ms();
  return in_transaction([&](SqlTransaction& tx) {
    if (task_id) require_state(tx, req, "task_id", *task_id);
    return add_event(tx, task_id, kind, message, data, now).dump();
  });
}

std::string PostgresStore::list_events(std::string_view request) {
  Request req("list_events", request);
  std::optional<std::string> task_id = req.optional_string("task_id");
  int64_t after_id = req.optional_integer("after_id").value_or(0);
  std::optional<int64_t> limit = req.optional_integer("limit");
  if (limit && *limit < 0) req.fail("\"limit\" must be 0 or more");
  return reading([&](SqlTransaction& tx) {
    SqlRows rows = tx.exec(
        "SELECT id, task_id, kind, message, data, created_ms FROM events "
        "WHERE ($1::text IS NULL OR task_id = $1) AND id > $2 ORDER BY id LIMIT $3",
        {task_id, std::to_string(after_id), limit ? SqlParam(std::to_string(*limit)) : SqlParam()});
    json events = json::array();
    for (const SqlRow& r : rows) events.push_back(event_from_row(r));
    return events.dump();
  });
}

std::string PostgresStore::summary(std::string_view request) {
  Request req("summary", request);
  std::optional<std::string> epic = req.optional_string("epic");
  return reading([&](SqlTransaction& tx) {
    // One statement, so the total always equals the sum of the counts.
    json counts = json::object();
    for (const char* status : kTaskStatuses) counts[status] = 0;
    int64_t total = 0, tokens_in = 0, tokens_out = 0;
    double cost = 0;
    for (const SqlRow& r : tx.exec("SELECT status, count(*), COALESCE(sum(cost_usd), 0), COALESCE(sum(tokens_in), 0), "
                                   "COALESCE(sum(tokens_out), 0) FROM tasks WHERE ($1::text IS NULL OR epic = $1) "
                                   "GROUP BY status",
                                   {epic})) {
      counts[r.text(0)] = r.integer(1);
      total += r.integer(1);
      cost += r.real(2);
      tokens_in += r.integer(3);
      tokens_out += r.integer(4);
    }
    return json{{"counts", counts}, {"total", total}, {"cost_usd", cost}, {"tokens_in", tokens_in},
                {"tokens_out", tokens_out}}
        .dump();
  });
}

}  // namespace drover::postgres
