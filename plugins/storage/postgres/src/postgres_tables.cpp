#include "postgres_tables.h"

#include "drover/plugin/sdk.hpp"
#include "records.h"

namespace drover::postgres {

namespace {
// Advisory lock class of the graph lock; the second key is the schema's hash.
constexpr int kGraphLockClass = 0x44520002;

// A result row, for the record builders of records.h.
class RowView final : public st::RowCells {
 public:
  explicit RowView(const SqlRow& row) : row_(row) {}
  bool is_null(size_t column) const override { return row_.is_null(column); }
  std::string text(size_t column) const override { return row_.text(column); }
  int64_t integer(size_t column) const override { return row_.integer(column); }
  double real(size_t column) const override { return row_.real(column); }

 private:
  const SqlRow& row_;
};

std::string num(int64_t value) { return std::to_string(value); }
SqlParam ids_param(const std::vector<std::string>& ids) { return text_array_literal(ids); }

st::TaskState state_from(const SqlRow& r) {
  return st::TaskState{r.text(0), r.text(1), r.text(2), r.optional_text(3), r.optional_text(4)};
}

std::vector<std::string> first_column(const SqlRows& rows) {
  std::vector<std::string> out;
  for (const SqlRow& row : rows) out.push_back(row.text(0));
  return out;
}

template <class Make>
nlohmann::json records(const SqlRows& rows, Make make) {
  nlohmann::json out = nlohmann::json::array();
  for (const SqlRow& row : rows) out.push_back(make(RowView(row)));
  return out;
}

template <class Make>
std::optional<nlohmann::json> first_record(const SqlRows& rows, Make make) {
  if (rows.empty()) return std::nullopt;
  return make(RowView(rows[0]));
}

// A task record's select list: the shared columns, then blocked_by and blocks as
// arrays in numeric id order, so one statement reads whole records.
const std::string kTaskSelect = "SELECT " DROVER_STORAGE_TASK_COLUMNS
                                ", ARRAY(SELECT d.blocker FROM dependencies d JOIN tasks b ON b.id = d.blocker "
                                "WHERE d.task = t.id ORDER BY b.num, b.sequence), "
                                "ARRAY(SELECT d.task FROM dependencies d JOIN tasks x ON x.id = d.task "
                                "WHERE d.blocker = t.id ORDER BY x.num, x.sequence) FROM tasks t WHERE ";

const char* const kStateSelect = "SELECT id, status, status_reason, parent, lease_owner FROM tasks ";

// One statement: two index probes (the best expired lease, rare and few, and the
// best ready task ranked above it) and the update. SKIP LOCKED: concurrent
// claimers pass over each other's candidate rows instead of queueing on them,
// and PostgreSQL re-checks the status after locking, so two callers never get
// the same task.
const char* const kClaimSql = R"sql(
WITH expired AS MATERIALIZED (
  SELECT id, lease_owner, priority, created_ms, num, sequence FROM tasks
  WHERE status = 'running' AND lease_expires_ms < $1
    AND ($2::text IS NULL OR epic = $2) AND NOT (id = ANY($7::text[]))
    AND (COALESCE(agent, $3) IS NULL OR NOT (COALESCE(agent, $3) = ANY($4::text[])))
  ORDER BY priority DESC, created_ms, num, sequence LIMIT 1 FOR UPDATE SKIP LOCKED
), ready AS MATERIALIZED (
  SELECT r.id FROM tasks r
  WHERE r.status = 'ready' AND r.not_before_ms <= $1 AND r.paused = 0
    AND ($2::text IS NULL OR r.epic = $2) AND NOT (r.id = ANY($7::text[]))
    AND (COALESCE(r.agent, $3) IS NULL OR NOT (COALESCE(r.agent, $3) = ANY($4::text[])))
    AND NOT EXISTS (SELECT 1 FROM expired e WHERE e.priority > r.priority OR (e.priority = r.priority
                    AND (e.created_ms, e.num, e.sequence) < (r.created_ms, r.num, r.sequence)))
  ORDER BY r.priority DESC, r.created_ms, r.num, r.sequence LIMIT 1 FOR UPDATE SKIP LOCKED
), pick AS (
  SELECT id, FALSE AS reclaimed, NULL::text AS previous_owner FROM ready
  UNION ALL
  SELECT id, TRUE, lease_owner FROM expired WHERE NOT EXISTS (SELECT 1 FROM ready)
)
UPDATE tasks t SET status = 'running', status_reason = '', lease_owner = $5, lease_expires_ms = $6,
  started_ms = $1, updated_ms = $1, )sql" DROVER_STORAGE_CLEAR_WAIT R"sql(
FROM pick WHERE t.id = pick.id
RETURNING t.id, pick.reclaimed, pick.previous_owner
)sql";
}  // namespace

// A per-schema advisory lock: executors on other connections take turns.
void PostgresTables::lock_graph() {
  tx_.exec("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", {num(kGraphLockClass)});
}

int64_t PostgresTables::next_counter(const char* name) {
  SqlRows rows = tx_.exec("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value", {std::string(name)});
  if (rows.empty()) throw drover::sdk::Error(DROVER_ERROR, std::string("postgres store: counter '") + name + "' is missing");
  int64_t value = rows[0].integer(0);
  // A store filled quickly (an imported plan, a benchmark) would otherwise be
  // planned with empty-table statistics until autovacuum gets to it, and the
  // claim probe would sort every ready task instead of walking its index.
  if (std::string_view(name) == "task" && (value == 64 || value == 512 || value == 4096 || value == 32768)) {
    tx_.exec("ANALYZE tasks, dependencies");
  }
  return value;
}

std::optional<st::TaskState> PostgresTables::task_state(const std::string& id, bool for_update) {
  SqlRows rows = tx_.exec(std::string(kStateSelect) + "WHERE id = $1" + (for_update ? " FOR UPDATE" : ""), {id});
  if (rows.empty()) return std::nullopt;
  return state_from(rows[0]);
}

std::vector<st::TaskState> PostgresTables::task_states(const std::vector<std::string>& ids) {
  std::vector<st::TaskState> out;
  for (const SqlRow& row : tx_.exec(std::string(kStateSelect) + "WHERE id = ANY($1::text[])", {ids_param(ids)})) {
    out.push_back(state_from(row));
  }
  return out;
}

nlohmann::json PostgresTables::task_records(const std::string& where, const std::vector<SqlParam>& params) {
  SqlRows rows = tx_.exec(kTaskSelect + where + " ORDER BY " DROVER_STORAGE_TASK_ORDER, params);
  return records(rows, [](const RowView& row) {
    return st::task_record(row, parse_text_array(row.text(st::kTaskColumnCount)),
                           parse_text_array(row.text(st::kTaskColumnCount + 1)));
  });
}

std::optional<nlohmann::json> PostgresTables::task(const std::string& id) {
  nlohmann::json found = task_records("t.id = $1", {id});
  if (found.empty()) return std::nullopt;
  return found[0];
}

nlohmann::json PostgresTables::tasks(const st::TaskFilter& filter) {
  // Only the filters given become conditions, so each query can use its index.
  std::string where = "TRUE";
  std::vector<SqlParam> params;
  if (filter.epic) {
    params.push_back(*filter.epic);
    where += " AND t.epic = $" + num(params.size());
  }
  if (filter.statuses) {
    params.push_back(ids_param(*filter.statuses));
    where += " AND t.status = ANY($" + num(params.size()) + "::text[])";
  }
  if (filter.ids) {
    params.push_back(ids_param(*filter.ids));
    where += " AND t.id = ANY($" + num(params.size()) + "::text[])";
  }
  return task_records(where, params);
}

st::SubtaskSlot PostgresTables::take_subtask_slot(const std::string& parent) {
  SqlRows rows =
      tx_.exec("UPDATE tasks SET subtasks = subtasks + 1 WHERE id = $1 RETURNING subtasks, num, epic", {parent});
  return st::SubtaskSlot{rows.at(0).integer(0), rows.at(0).integer(1), rows.at(0).optional_text(2)};
}

void PostgresTables::insert_task(const st::NewTask& t) {
  tx_.exec(
      "INSERT INTO tasks (id, num, sequence, parent, epic, title, description, priority, status, agent, "
      "max_attempts, timeout_ms, created_ms, updated_ms, touches) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'waiting', $9, $10, $11, $12, $12, $13)",
      {t.id, num(t.num), num(t.sequence), t.parent, t.epic, t.title, t.description, num(t.priority), t.agent,
       num(t.max_attempts), num(t.timeout_ms), num(t.now_ms), t.touches});
}

bool PostgresTables::update_fields(const std::string& id, const std::vector<st::FieldValue>& fields, int64_t now_ms) {
  std::string assignments;
  std::vector<SqlParam> params{id, num(now_ms)};
  for (const auto& [column, value] : fields) {
    if (value.is_null()) {
      params.push_back(std::nullopt);
    } else {
      params.push_back(value.is_string() ? value.get<std::string>() : value.dump());
    }
    // column is one of update_task's or edit_task's fixed names (validated), never request text.
    assignments += ", " + column + " = $" + num(params.size());
  }
  return !tx_.exec("UPDATE tasks SET updated_ms = $2" + assignments + " WHERE id = $1 RETURNING id", params).empty();
}

void PostgresTables::insert_dependency(const std::string& task, const std::string& blocker) {
  tx_.exec("INSERT INTO dependencies (task, blocker) VALUES ($1, $2) ON CONFLICT DO NOTHING", {task, blocker});
}

bool PostgresTables::delete_dependency(const std::string& task, const std::string& blocker) {
  return !tx_.exec("DELETE FROM dependencies WHERE task = $1 AND blocker = $2 RETURNING task", {task, blocker}).empty();
}

void PostgresTables::delete_tasks(const std::vector<std::string>& ids) {
  tx_.exec("DELETE FROM dependencies WHERE task = ANY($1::text[]) OR blocker = ANY($1::text[])", {ids_param(ids)});
  tx_.exec("DELETE FROM events WHERE task_id = ANY($1::text[])", {ids_param(ids)});
  tx_.exec("DELETE FROM log_chunks WHERE task_id = ANY($1::text[])", {ids_param(ids)});
  tx_.exec("DELETE FROM task_logs WHERE task_id = ANY($1::text[])", {ids_param(ids)});
  tx_.exec("DELETE FROM tasks WHERE id = ANY($1::text[])", {ids_param(ids)});
}

std::vector<std::pair<std::string, std::string>> PostgresTables::blocked_by_edges(const std::vector<std::string>& tasks) {
  std::vector<std::pair<std::string, std::string>> edges;
  for (const SqlRow& row : tx_.exec("SELECT task, blocker FROM dependencies WHERE task = ANY($1::text[]) "
                                    "ORDER BY task, blocker",
                                    {ids_param(tasks)})) {
    edges.emplace_back(row.text(0), row.text(1));
  }
  return edges;
}

std::vector<std::string> PostgresTables::dependents(const std::vector<std::string>& tasks) {
  return first_column(tx_.exec("SELECT x.id FROM tasks x WHERE x.id IN (SELECT task FROM dependencies "
                               "WHERE blocker = ANY($1::text[])) ORDER BY x.num, x.sequence",
                               {ids_param(tasks)}));
}

std::vector<st::BlockerState> PostgresTables::blockers(const std::vector<std::string>& tasks) {
  std::vector<st::BlockerState> out;
  for (const SqlRow& row : tx_.exec("SELECT d.task, b.id, b.status, b.status_reason FROM dependencies d "
                                    "JOIN tasks b ON b.id = d.blocker WHERE d.task = ANY($1::text[]) "
                                    "ORDER BY d.task, b.num, b.sequence",
                                    {ids_param(tasks)})) {
    out.push_back(st::BlockerState{row.text(0), row.text(1), row.text(2), row.text(3)});
  }
  return out;
}

std::vector<std::string> PostgresTables::set_pending_statuses(const std::vector<st::StatusChange>& changes,
                                                              int64_t now_ms) {
  std::vector<std::string> ids, statuses, reasons;
  for (const st::StatusChange& c : changes) {
    ids.push_back(c.id);
    statuses.push_back(c.to.status);
    reasons.push_back(c.to.reason);
  }
  // One statement for a whole level. The status re-check skips a task that a
  // concurrent claim (which takes no graph lock) made running meanwhile.
  return first_column(tx_.exec(
      "UPDATE tasks t SET status = c.status, status_reason = c.reason, updated_ms = $4, "
      "wait_kind = CASE WHEN c.status = 'ready' THEN t.wait_kind ELSE '' END "
      "FROM unnest($1::text[], $2::text[], $3::text[]) AS c (id, status, reason) "
      "WHERE t.id = c.id AND t.status IN ('ready', 'waiting', 'blocked') RETURNING t.id",
      {ids_param(ids), ids_param(statuses), ids_param(reasons), num(now_ms)}));
}

void PostgresTables::set_status(const std::string& id, const std::string& status, const std::string& reason,
                                int64_t now_ms) {
  tx_.exec("UPDATE tasks SET status = $2, status_reason = $3, updated_ms = $4, "
           "wait_kind = CASE WHEN $2 = 'ready' THEN wait_kind ELSE '' END WHERE id = $1",
           {id, status, reason, num(now_ms)});
}

std::optional<st::Claimed> PostgresTables::claim(const st::ClaimQuery& q) {
  SqlRows rows = tx_.exec(kClaimSql, {num(q.now_ms), q.epic, q.default_agent, ids_param(q.exclude_agents), q.executor,
                                      num(q.now_ms + q.lease_ms), ids_param(q.exclude_ids)});
  if (rows.empty()) return std::nullopt;
  return st::Claimed{rows[0].text(0), rows[0].boolean(1), rows[0].text(2)};
}

int64_t PostgresTables::renew_leases(const std::string& executor, int64_t expires_ms, int64_t now_ms) {
  return static_cast<int64_t>(
      tx_.exec("UPDATE tasks SET lease_expires_ms = $2, updated_ms = $3 WHERE lease_owner = $1 RETURNING id",
               {executor, num(expires_ms), num(now_ms)})
          .size());
}

void PostgresTables::release(const st::Release& r) {
  tx_.exec(
      "UPDATE tasks SET lease_owner = NULL, lease_expires_ms = 0, not_before_ms = $2, "
      "last_error = COALESCE($3, last_error), attempts = attempts + $4, updated_ms = $5 WHERE id = $1",
      {r.id, num(r.not_before_ms), r.last_error, r.count_attempt ? "1" : "0", num(r.now_ms)});
}

void PostgresTables::set_wait(const std::string& id, const st::TaskWait& wait, const std::optional<std::string>& reason) {
  tx_.exec(
      "UPDATE tasks SET wait_kind = $2, wait_agent = $3, wait_detail = $4, wait_paths = $5, "
      "status_reason = CASE WHEN $6::text IS NOT NULL AND status IN ('ready', 'waiting') THEN $6 "
      "ELSE status_reason END WHERE id = $1",
      {id, wait.kind, wait.agent, wait.detail, wait.paths_text(), reason});
}

void PostgresTables::complete(const std::string& id, const std::optional<std::string>& summary,
                              const std::optional<std::string>& merge_commit, int64_t now_ms) {
  tx_.exec(
      "UPDATE tasks SET status = 'completed', status_reason = '', lease_owner = NULL, lease_expires_ms = 0, "
      DROVER_STORAGE_CLEAR_WAIT ", result_summary = COALESCE($2, result_summary), "
      "merge_commit = COALESCE($3, merge_commit), completed_ms = $4, updated_ms = $4 WHERE id = $1",
      {id, summary, merge_commit, num(now_ms)});
}

void PostgresTables::fail(const std::string& id, const std::string& error, int64_t now_ms) {
  tx_.exec(
      "UPDATE tasks SET status = 'failed', status_reason = $2, last_error = $2, lease_owner = NULL, "
      "lease_expires_ms = 0, completed_ms = $3, updated_ms = $3, " DROVER_STORAGE_CLEAR_WAIT " WHERE id = $1",
      {id, error, num(now_ms)});
}

void PostgresTables::restart(const std::string& id, int64_t now_ms) {
  tx_.exec(
      "UPDATE tasks SET status = 'waiting', status_reason = '', attempts = 0, generation = generation + 1, "
      "not_before_ms = 0, lease_owner = NULL, lease_expires_ms = 0, started_ms = 0, completed_ms = 0, "
      "updated_ms = $2, " DROVER_STORAGE_CLEAR_WAIT " WHERE id = $1",
      {id, num(now_ms)});
}

bool PostgresTables::epic_exists(const std::string& id) {
  return !tx_.exec("SELECT 1 FROM epics WHERE id = $1", {id}).empty();
}

void PostgresTables::insert_epic(const std::string& id, int64_t n, const std::string& title,
                                 const std::string& description, int64_t now_ms) {
  tx_.exec("INSERT INTO epics (num, id, title, description, created_ms) VALUES ($1, $2, $3, $4, $5)",
           {num(n), id, title, description, num(now_ms)});
}

nlohmann::json PostgresTables::epics() {
  return records(tx_.exec("SELECT " DROVER_STORAGE_EPIC_COLUMNS " FROM epics ORDER BY num"), st::epic_record);
}

std::vector<std::pair<std::string, st::StatusTotals>> PostgresTables::epic_status_counts() {
  std::vector<std::pair<std::string, st::StatusTotals>> out;
  for (const SqlRow& r :
       tx_.exec("SELECT epic, status, count(*) FROM tasks WHERE epic IS NOT NULL GROUP BY epic, status")) {
    out.push_back({r.text(0), st::StatusTotals{r.text(1), r.integer(2)}});
  }
  return out;
}

std::vector<st::StatusTotals> PostgresTables::status_totals(const std::optional<std::string>& epic) {
  std::vector<st::StatusTotals> out;
  for (const SqlRow& r : tx_.exec("SELECT status, count(*), COALESCE(sum(tokens_in), 0), COALESCE(sum(tokens_out), 0), "
                                  "COALESCE(sum(cost_usd), 0) FROM tasks WHERE ($1::text IS NULL OR epic = $1) "
                                  "GROUP BY status",
                                  {epic})) {
    out.push_back(st::StatusTotals{r.text(0), r.integer(1), r.integer(2), r.integer(3), r.real(4)});
  }
  return out;
}

bool PostgresTables::insert_workflow(const std::string& id, const std::string& name, const std::string& input,
                                     const std::string& executor, int64_t now_ms) {
  // ON CONFLICT DO NOTHING waits for a concurrent starter of the same id.
  return !tx_.exec(
              "INSERT INTO workflows (id, name, input, status, output, executor, created_ms, updated_ms) "
              "VALUES ($1, $2, $3, 'running', NULL, $4, $5, $5) ON CONFLICT (id) DO NOTHING RETURNING id",
              {id, name, input, executor, num(now_ms)})
              .empty();
}

void PostgresTables::set_workflow_executor(const std::string& id, const std::string& executor) {
  tx_.exec("UPDATE workflows SET executor = $2 WHERE id = $1", {id, executor});
}

std::optional<nlohmann::json> PostgresTables::workflow(const std::string& id) {
  return first_record(tx_.exec("SELECT " DROVER_STORAGE_WORKFLOW_COLUMNS " FROM workflows WHERE id = $1", {id}),
                      st::workflow_record);
}

std::optional<nlohmann::json> PostgresTables::finish_workflow(const std::string& id, const std::string& status,
                                                              const std::optional<std::string>& output,
                                                              int64_t now_ms) {
  return first_record(tx_.exec("UPDATE workflows SET status = $2, output = $3, updated_ms = $4 WHERE id = $1 "
                               "RETURNING " DROVER_STORAGE_WORKFLOW_COLUMNS,
                               {id, status, output, num(now_ms)}),
                      st::workflow_record);
}

nlohmann::json PostgresTables::steps(const std::string& workflow_id) {
  return records(tx_.exec("SELECT " DROVER_STORAGE_STEP_COLUMNS " FROM workflow_steps WHERE workflow_id = $1 "
                          "ORDER BY step",
                          {workflow_id}),
                 st::step_record);
}

bool PostgresTables::insert_step(const std::string& workflow_id, int64_t step, const std::string& name,
                                 const std::optional<std::string>& outcome, const std::optional<std::string>& error,
                                 int64_t now_ms) {
  return !tx_.exec(
              "INSERT INTO workflow_steps (workflow_id, step, name, outcome, error, created_ms) "
              "SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM workflows WHERE id = $1) "
              "ON CONFLICT (workflow_id, step) DO NOTHING RETURNING step",
              {workflow_id, num(step), name, outcome, error, num(now_ms)})
              .empty();
}

std::optional<nlohmann::json> PostgresTables::step(const std::string& workflow_id, int64_t step) {
  return first_record(tx_.exec("SELECT " DROVER_STORAGE_STEP_COLUMNS " FROM workflow_steps "
                               "WHERE workflow_id = $1 AND step = $2",
                               {workflow_id, num(step)}),
                      st::step_record);
}

nlohmann::json PostgresTables::insert_event(const std::optional<std::string>& task_id, const std::string& kind,
                                            const std::string& message, const std::optional<std::string>& data,
                                            int64_t now_ms) {
  // Counters are rows, not sequences, so event ids grow in commit order; the
  // counter and the insert are one statement (one round trip).
  std::optional<nlohmann::json> event = first_record(
      tx_.exec("WITH counter AS (UPDATE counters SET value = value + 1 WHERE name = 'event' RETURNING value) "
               "INSERT INTO events (id, task_id, kind, message, data, created_ms) "
               "SELECT value, $1, $2, $3, $4, $5 FROM counter RETURNING " DROVER_STORAGE_EVENT_COLUMNS,
               {task_id, kind, message, data, num(now_ms)}),
      st::event_record);
  if (!event) throw drover::sdk::Error(DROVER_ERROR, "postgres store: counter 'event' is missing");
  return *event;
}

nlohmann::json PostgresTables::events(const std::optional<std::string>& task_id, int64_t after_id,
                                      std::optional<int64_t> limit) {
  // LIMIT NULL is no limit.
  return records(tx_.exec("SELECT " DROVER_STORAGE_EVENT_COLUMNS " FROM events "
                          "WHERE ($1::text IS NULL OR task_id = $1) AND id > $2 ORDER BY id LIMIT $3",
                          {task_id, num(after_id), limit ? SqlParam(num(*limit)) : SqlParam()}),
                 st::event_record);
}

// ---- Executors and agent output (ABI 1.4).

namespace {
st::ExecutorRow executor_from(const SqlRow& r) {
  st::ExecutorRow e;
  e.id = r.text(0);
  e.host = r.text(1);
  e.pid = r.integer(2);
  e.started_ms = r.integer(3);
  e.version = r.text(4);
  e.workers = r.integer(5);
  e.lease_ms = r.integer(6);
  e.state = r.text(7);
  e.first_beat_ms = r.integer(8);
  e.last_beat_ms = r.integer(9);
  return e;
}

SqlParam optional_num(std::optional<int64_t> v) { return v ? SqlParam(num(*v)) : SqlParam(); }

#define DROVER_PG_EXECUTOR_COLUMNS \
  "id, host, pid, started_ms, version, workers, lease_ms, state, first_beat_ms, last_beat_ms"
#define DROVER_PG_LOG_KEY "task_id = $1 AND generation = $2 AND attempt = $3 AND round = $4"

std::vector<SqlParam> key_params(const st::LogKey& key) {
  return {key.task_id, num(key.generation), num(key.attempt), num(key.round)};
}
}  // namespace

// The database server's clock: executors on machines whose clocks drift are
// judged by one clock.
int64_t PostgresTables::clock_ms(int64_t /*fallback*/) {
  return tx_.exec("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint").at(0).integer(0);
}

std::optional<st::ExecutorRow> PostgresTables::executor(const std::string& id) {
  SqlRows rows = tx_.exec("SELECT " DROVER_PG_EXECUTOR_COLUMNS " FROM executors WHERE id = $1 FOR UPDATE", {id});
  if (rows.empty()) return std::nullopt;
  return executor_from(rows[0]);
}

void PostgresTables::put_executor(const st::ExecutorRow& e) {
  tx_.exec("INSERT INTO executors (" DROVER_PG_EXECUTOR_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
           "ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started_ms = excluded.started_ms, "
           "version = excluded.version, workers = excluded.workers, lease_ms = excluded.lease_ms, "
           "state = excluded.state, first_beat_ms = excluded.first_beat_ms, last_beat_ms = excluded.last_beat_ms",
           {e.id, e.host, num(e.pid), num(e.started_ms), e.version, num(e.workers), num(e.lease_ms), e.state,
            num(e.first_beat_ms), num(e.last_beat_ms)});
}

std::vector<st::ExecutorRow> PostgresTables::executors() {
  std::vector<st::ExecutorRow> out;
  for (const SqlRow& row : tx_.exec("SELECT " DROVER_PG_EXECUTOR_COLUMNS " FROM executors ORDER BY last_beat_ms DESC, id"))
    out.push_back(executor_from(row));
  return out;
}

std::vector<std::pair<std::string, std::string>> PostgresTables::running_leases() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const SqlRow& row : tx_.exec("SELECT lease_owner, id FROM tasks WHERE status = 'running' AND lease_owner IS NOT "
                                    "NULL ORDER BY num, sequence"))
    out.emplace_back(row.text(0), row.text(1));
  return out;
}

std::optional<st::LogHead> PostgresTables::log_head(const st::LogKey& key, bool for_update) {
  // A first append of a log has no row to lock yet: two of them for one log
  // would race on the primary key and one fail, but only the executor that
  // holds the task's lease appends to its log.
  SqlRows rows = tx_.exec(std::string("SELECT size, kept, finished FROM task_logs WHERE " DROVER_PG_LOG_KEY) +
                              (for_update ? " FOR UPDATE" : ""),
                          key_params(key));
  if (rows.empty()) return std::nullopt;
  return st::LogHead{rows[0].integer(0), rows[0].integer(1), rows[0].boolean(2)};
}

void PostgresTables::put_log_head(const st::LogKey& key, const st::LogHead& head, int64_t now_ms) {
  std::vector<SqlParam> params = key_params(key);
  params.insert(params.end(), {num(head.size), num(head.kept), head.finished ? "true" : "false", num(now_ms)});
  tx_.exec("INSERT INTO task_logs (task_id, generation, attempt, round, size, kept, finished, updated_ms) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (task_id, generation, attempt, round) DO UPDATE SET "
           "size = excluded.size, kept = excluded.kept, finished = excluded.finished, updated_ms = excluded.updated_ms",
           params);
}

void PostgresTables::insert_log_chunk(const st::LogKey& key, int64_t offset, const std::string& data) {
  std::vector<SqlParam> params = key_params(key);
  params.insert(params.end(), {num(offset), num(static_cast<int64_t>(data.size())), data});
  tx_.exec("INSERT INTO log_chunks (task_id, generation, attempt, round, pos, bytes, data) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7)",
           params);
}

int64_t PostgresTables::drop_log_chunks(const st::LogKey& key, int64_t from, int64_t to) {
  std::vector<SqlParam> params = key_params(key);
  params.insert(params.end(), {num(from), num(to)});
  SqlRows rows = tx_.exec("WITH gone AS (DELETE FROM log_chunks WHERE " DROVER_PG_LOG_KEY
                          " AND pos >= $5 AND pos + bytes <= $6 RETURNING bytes) SELECT COALESCE(sum(bytes), 0)::bigint "
                          "FROM gone",
                          params);
  return rows.at(0).integer(0);
}

std::vector<st::LogChunk> PostgresTables::log_chunks(const st::LogKey& key, int64_t from, int64_t max_bytes) {
  std::vector<SqlParam> params = key_params(key);
  params.insert(params.end(), {num(from), num(max_bytes)});
  std::vector<st::LogChunk> out;
  for (const SqlRow& row : tx_.exec(
           "WITH s AS (SELECT GREATEST($5::bigint, COALESCE((SELECT min(pos) FROM log_chunks WHERE " DROVER_PG_LOG_KEY
           " AND pos + bytes > $5), $5::bigint)) AS at) "
           "SELECT pos, data FROM log_chunks, s WHERE " DROVER_PG_LOG_KEY
           " AND pos + bytes > s.at AND pos < s.at + $6 ORDER BY pos",
           params))
    out.push_back(st::LogChunk{row.integer(0), row.text(1)});
  return out;
}

std::optional<st::LogKey> PostgresTables::latest_log(const std::string& task_id, std::optional<int64_t> generation,
                                                     std::optional<int64_t> attempt, std::optional<int64_t> round) {
  SqlRows rows = tx_.exec("SELECT generation, attempt, round FROM task_logs WHERE task_id = $1 "
                          "AND ($2::bigint IS NULL OR generation = $2) AND ($3::bigint IS NULL OR attempt = $3) "
                          "AND ($4::bigint IS NULL OR round = $4) ORDER BY generation DESC, attempt DESC, round DESC "
                          "LIMIT 1",
                          {task_id, optional_num(generation), optional_num(attempt), optional_num(round)});
  if (rows.empty()) return std::nullopt;
  return st::LogKey{task_id, rows[0].integer(0), rows[0].integer(1), rows[0].integer(2)};
}

}  // namespace drover::postgres
