#include "task_record.hpp"

#include <algorithm>

#include "drover/plugin/sdk.hpp"
#include "task_wait.h"

namespace drover::postgres {

const char* const kTaskStatuses[7] = {"ready", "waiting", "running", "completed", "failed", "blocked", "cancelled"};

bool is_task_status(const std::string& status) {
  return std::find(std::begin(kTaskStatuses), std::end(kTaskStatuses), status) != std::end(kTaskStatuses);
}

namespace {
json optional_text(const SqlRow& row, size_t column) {
  if (row.is_null(column)) return nullptr;
  return row.text(column);
}

}  // namespace

// Columns of kTaskSelect, in order; blocked_by and blocks are PostgreSQL arrays
// ordered by numeric id, so one statement reads a whole record.
const char* const kTaskSelect =
    "t.id, t.title, t.description, t.epic, t.parent, t.sequence, t.priority, t.status, t.status_reason, "
    "t.attempts, t.max_attempts, t.agent, t.timeout_ms, t.last_error, t.result_summary, t.session_id, "
    "t.tokens_in, t.tokens_out, t.cost_usd, t.merge_commit, t.generation, t.not_before_ms, t.lease_owner, "
    "t.lease_expires_ms, t.created_ms, t.updated_ms, t.started_ms, t.completed_ms, "
    "t.wait_kind, t.wait_agent, t.wait_detail, t.wait_paths, "
    "ARRAY(SELECT d.blocker FROM dependencies d JOIN tasks b ON b.id = d.blocker WHERE d.task = t.id "
    "ORDER BY b.num, b.sequence), "
    "ARRAY(SELECT d.task FROM dependencies d JOIN tasks x ON x.id = d.task WHERE d.blocker = t.id "
    "ORDER BY x.num, x.sequence)";

const char* const kClearWait = "wait_kind = '', wait_agent = '', wait_detail = '', wait_paths = '[]'";

json task_from_row(const SqlRow& row, size_t first) {
  auto at = [first](size_t column) { return first + column; };
  json t;
  t["id"] = row.text(at(0));
  t["title"] = row.text(at(1));
  t["description"] = row.text(at(2));
  t["epic"] = optional_text(row, at(3));
  t["parent"] = optional_text(row, at(4));
  t["sequence"] = row.integer(at(5));
  t["priority"] = row.integer(at(6));
  t["status"] = row.text(at(7));
  t["status_reason"] = row.text(at(8));
  t["attempts"] = row.integer(at(9));
  t["max_attempts"] = row.integer(at(10));
  t["agent"] = optional_text(row, at(11));
  t["timeout_ms"] = row.integer(at(12));
  t["last_error"] = row.text(at(13));
  t["result_summary"] = row.text(at(14));
  t["session_id"] = row.text(at(15));
  t["tokens_in"] = row.integer(at(16));
  t["tokens_out"] = row.integer(at(17));
  t["cost_usd"] = row.real(at(18));
  t["merge_commit"] = row.text(at(19));
  t["generation"] = row.integer(at(20));
  t["not_before_ms"] = row.integer(at(21));
  t["lease_owner"] = optional_text(row, at(22));
  t["lease_expires_ms"] = row.integer(at(23));
  t["created_ms"] = row.integer(at(24));
  t["updated_ms"] = row.integer(at(25));
  t["started_ms"] = row.integer(at(26));
  t["completed_ms"] = row.integer(at(27));
  t["wait"] = storage::wait_record(row.text(at(7)), row.text(at(28)), row.text(at(29)), row.text(at(30)),
                                   row.text(at(31)), row.integer(at(21)));
  t["blocked_by"] = parse_text_array(row.text(at(32)));
  t["blocks"] = parse_text_array(row.text(at(33)));
  return t;
}

namespace {
// (number, sub-task sequence) of "t12" / "t12.3"; ids that do not parse sort last.
std::pair<int64_t, int64_t> id_key(const std::string& id) {
  try {
    size_t dot = id.find('.');
    int64_t num = std::stoll(id.substr(1, dot == std::string::npos ? std::string::npos : dot - 1));
    int64_t seq = dot == std::string::npos ? 0 : std::stoll(id.substr(dot + 1));
    return {num, seq};
  } catch (const std::exception&) {
    return {INT64_MAX, INT64_MAX};
  }
}
}  // namespace

bool task_id_less(const std::string& a, const std::string& b) { return id_key(a) < id_key(b); }

std::optional<TaskState> load_state(SqlTransaction& tx, const std::string& id, bool for_update) {
  SqlRows rows = tx.exec(std::string("SELECT id, status, status_reason, parent, lease_owner FROM tasks WHERE id = $1") +
                             (for_update ? " FOR UPDATE" : ""),
                         {id});
  if (rows.empty()) return std::nullopt;
  const SqlRow& r = rows[0];
  return TaskState{r.text(0), r.text(1), r.text(2), r.optional_text(3), r.optional_text(4)};
}

TaskState require_state(SqlTransaction& tx, const Request& request, const char* key, const std::string& id,
                        bool for_update) {
  std::optional<TaskState> state = load_state(tx, id, for_update);
  if (!state) {
    throw sdk::Error(DROVER_NOT_FOUND, request.operation() + ": task " + id + " (field '" + key +
                                           "') does not exist; list_tasks shows the ids");
  }
  return *state;
}

void require_epic(SqlTransaction& tx, const Request& request, const std::string& id) {
  if (tx.exec("SELECT 1 FROM epics WHERE id = $1", {id}).empty()) {
    throw sdk::Error(DROVER_NOT_FOUND, request.operation() + ": epic " + id +
                                           " does not exist; create it first (list_epics shows the ids)");
  }
}

json load_tasks(SqlTransaction& tx, const std::string& where, const std::vector<SqlParam>& params) {
  json tasks = json::array();
  for (const SqlRow& row : tx.exec(std::string("SELECT ") + kTaskSelect + " FROM tasks t WHERE " + where +
                                       " ORDER BY t.priority DESC, t.created_ms, t.num, t.sequence",
                                   params)) {
    tasks.push_back(task_from_row(row));
  }
  return tasks;
}

std::optional<json> load_task(SqlTransaction& tx, const std::string& id) {
  json tasks = load_tasks(tx, "t.id = $1", {id});
  if (tasks.empty()) return std::nullopt;
  return tasks[0];
}

int64_t next_counter(SqlTransaction& tx, const char* name) {
  SqlRows rows = tx.exec("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value", {std::string(name)});
  if (rows.empty()) throw sdk::Error(DROVER_ERROR, std::string("postgres store: counter '") + name + "' is missing");
  return rows[0].integer(0);
}

json add_event(SqlTransaction& tx, const std::optional<std::string>& task_id, const std::string& kind,
               const std::string& message, const json& data, int64_t now_ms) {
  SqlParam data_text;
  if (!data.is_null()) data_text = data.dump();
  // The counter and the insert in one statement: one round trip.
  SqlRows rows = tx.exec(
      "WITH counter AS (UPDATE counters SET value = value + 1 WHERE name = 'event' RETURNING value) "
      "INSERT INTO events (id, task_id, kind, message, data, created_ms) "
      "SELECT value, $1, $2, $3, $4, $5 FROM counter RETURNING id",
      {task_id, kind, message, data_text, std::to_string(now_ms)});
  if (rows.empty()) throw sdk::Error(DROVER_ERROR, "postgres store: counter 'event' is missing");
  int64_t id = rows[0].integer(0);
  return json{{"id", id},           {"task_id", task_id ? json(*task_id) : json()},
              {"kind", kind},       {"message", message},
              {"data", data},       {"created_ms", now_ms}};
}

}  // namespace drover::postgres
