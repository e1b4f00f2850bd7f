#include "sqlite_tables.h"

#include <iterator>

#include "drover/plugin/sdk.hpp"
#include "records.h"

namespace drover::sqlite_storage {

// The primitives speak in the shared rule types (store_tables.h).
using namespace drover::storage;  // NOLINT(google-build-using-namespace)

namespace {
// A row of a stepped Query, for the record builders of records.h.
class QueryCells final : public drover::storage::RowCells {
 public:
  explicit QueryCells(const Query& q) : q_(q) {}
  bool is_null(size_t column) const override { return q_.is_null(static_cast<int>(column)); }
  std::string text(size_t column) const override { return q_.text(static_cast<int>(column)); }
  int64_t integer(size_t column) const override { return q_.integer(static_cast<int>(column)); }
  double real(size_t column) const override { return q_.real(static_cast<int>(column)); }

 private:
  const Query& q_;
};

std::string json_list(const std::vector<std::string>& ids) { return nlohmann::json(ids).dump(); }

std::optional<std::string> json_list(const std::optional<std::vector<std::string>>& ids) {
  if (!ids) return std::nullopt;
  return json_list(*ids);
}

TaskState state_from(const Query& q) {
  return TaskState{q.text(0), q.text(1), q.text(2), q.optional_text(3), q.optional_text(4)};
}

// Every row of q as a record built by make.
template <class Make>
nlohmann::json records(Query q, Make make) {
  nlohmann::json out = nlohmann::json::array();
  while (q.next()) out.push_back(make(QueryCells(q)));
  return out;
}

template <class Make>
std::optional<nlohmann::json> first_record(Query q, Make make) {
  if (!q.next()) return std::nullopt;
  return make(QueryCells(q));
}

#define DROVER_SQLITE_CLAIM_FILTER                                      \
  "AND (?2 IS NULL OR epic = ?2) AND (COALESCE(agent, ?3) IS NULL OR " \
  "COALESCE(agent, ?3) NOT IN (SELECT value FROM json_each(?4))) "      \
  "ORDER BY priority DESC, created_ms, num, sequence LIMIT 1"
}  // namespace

std::vector<std::string> SqliteTables::texts(Query q) {
  std::vector<std::string> out;
  while (q.next()) out.push_back(q.text(0));
  return out;
}

// BEGIN IMMEDIATE already serializes every writer of the file.
void SqliteTables::lock_graph() {}

int64_t SqliteTables::next_counter(const char* name) {
  Query q = db_.query("UPDATE counters SET value = value + 1 WHERE name = ?1 RETURNING value", std::string_view(name));
  if (!q.next()) throw drover::sdk::Error(DROVER_ERROR, std::string("sqlite store: counter '") + name + "' is missing");
  int64_t value = q.integer(0);
  q.run();
  return value;
}

std::optional<TaskState> SqliteTables::task_state(const std::string& id, bool /*for_update*/) {
  Query q = db_.query("SELECT id, status, status_reason, parent, lease_owner FROM tasks WHERE id = ?1",
                      std::string_view(id));
  if (!q.next()) return std::nullopt;
  return state_from(q);
}

std::vector<TaskState> SqliteTables::task_states(const std::vector<std::string>& ids) {
  std::string list = json_list(ids);
  Query q = db_.query("SELECT id, status, status_reason, parent, lease_owner FROM tasks "
                      "WHERE id IN (SELECT value FROM json_each(?1))",
                      std::string_view(list));
  std::vector<TaskState> out;
  while (q.next()) out.push_back(state_from(q));
  return out;
}

std::optional<nlohmann::json> SqliteTables::task(const std::string& id) {
  nlohmann::json found =
      task_records(db_.query("SELECT " DROVER_STORAGE_TASK_COLUMNS " FROM tasks t WHERE t.id = ?1", std::string_view(id)));
  if (found.empty()) return std::nullopt;
  return found[0];
}

nlohmann::json SqliteTables::tasks(const TaskFilter& filter) {
  // One statement per filter shape: behind "?3 IS NULL OR ..." SQLite can use
  // no index and scans every task, which made each list of the running tasks
  // (one per claim) or of a task's blockers cost as much as the whole store.
  const std::optional<std::string> statuses = json_list(filter.statuses), ids = json_list(filter.ids);
  const char* sql =
      ids ? "SELECT " DROVER_STORAGE_TASK_COLUMNS " FROM tasks t "
            "WHERE t.id IN (SELECT value FROM json_each(?3)) AND (?1 IS NULL OR t.epic = ?1) "
            "AND (?2 IS NULL OR t.status IN (SELECT value FROM json_each(?2))) "
            "ORDER BY " DROVER_STORAGE_TASK_ORDER
      : statuses ? "SELECT " DROVER_STORAGE_TASK_COLUMNS " FROM tasks t "
                   "WHERE t.status IN (SELECT value FROM json_each(?2)) AND (?1 IS NULL OR t.epic = ?1) "
                   "AND ?3 IS NULL ORDER BY " DROVER_STORAGE_TASK_ORDER
                 : "SELECT " DROVER_STORAGE_TASK_COLUMNS " FROM tasks t "
                   "WHERE (?1 IS NULL OR t.epic = ?1) AND ?2 IS NULL AND ?3 IS NULL "
                   "ORDER BY " DROVER_STORAGE_TASK_ORDER;
  Query q = db_.query(sql);
  q.bind_optional(1, filter.epic).bind_optional(2, statuses).bind_optional(3, ids);
  return task_records(std::move(q));
}

nlohmann::json SqliteTables::task_records(Query q) {
  return records(std::move(q), [&](const QueryCells& row) {
    std::string id = row.text(0);
    std::vector<std::string> blocked_by = texts(db_.query(
        "SELECT b.id FROM dependencies d JOIN tasks b ON b.id = d.blocker_id WHERE d.task_id = ?1 "
        "ORDER BY b.num, b.sequence",
        std::string_view(id)));
    std::vector<std::string> blocks = texts(db_.query(
        "SELECT x.id FROM dependencies d JOIN tasks x ON x.id = d.task_id WHERE d.blocker_id = ?1 "
        "ORDER BY x.num, x.sequence",
        std::string_view(id)));
    return drover::storage::task_record(row, std::move(blocked_by), std::move(blocks));
  });
}

SubtaskSlot SqliteTables::take_subtask_slot(const std::string& parent) {
  Query q = db_.query("UPDATE tasks SET last_subtask = last_subtask + 1 WHERE id = ?1 RETURNING last_subtask, num, epic",
                      std::string_view(parent));
  q.next();
  SubtaskSlot slot{q.integer(0), q.integer(1), q.optional_text(2)};
  q.run();
  return slot;
}

void SqliteTables::insert_task(const NewTask& t) {
  Query q = db_.query(
      "INSERT INTO tasks (id, num, sequence, parent, epic, title, description, priority, status, agent, "
      "max_attempts, timeout_ms, created_ms, updated_ms, touches) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'waiting', ?9, ?10, ?11, ?12, ?12, ?13)");
  q.bind(1, std::string_view(t.id)).bind(2, t.num).bind(3, t.sequence).bind_optional(4, t.parent);
  q.bind_optional(5, t.epic).bind(6, std::string_view(t.title)).bind(7, std::string_view(t.description));
  q.bind(8, t.priority).bind_optional(9, t.agent).bind(10, t.max_attempts).bind(11, t.timeout_ms).bind(12, t.now_ms);
  q.bind(13, std::string_view(t.touches));
  q.run();
}

// The columns update_task and edit_task may set (their validated names).
const char* const kSettableColumns[] = {"attempts",   "last_error",   "result_summary", "session_id",      "tokens_in",
                                        "tokens_out", "cost_usd",     "merge_commit",   "status_reason",   "learned_touches",
                                        "title",      "description",  "priority",       "agent",           "max_attempts",
                                        "touches",    "paused",       "review",         "not_before_ms"};

bool SqliteTables::update_fields(const std::string& id, const std::vector<FieldValue>& fields, int64_t now_ms) {
  // One statement for every field, prepared once (the statement cache is keyed
  // by the text's address): each column has a flag parameter saying whether
  // to set it, and its value, which may be NULL (agent).
  static const std::string sql = [] {
    std::string text = "UPDATE tasks SET updated_ms = ?2";
    int index = 3;
    for (const char* column : kSettableColumns) {
      text += std::string(", ") + column + " = CASE WHEN ?" + std::to_string(index) + " THEN ?" +
              std::to_string(index + 1) + " ELSE " + column + " END";
      index += 2;
    }
    return text + " WHERE id = ?1 RETURNING id";
  }();
  Query q = db_.query(sql.c_str());
  q.bind(1, std::string_view(id)).bind(2, now_ms);
  const int count = static_cast<int>(std::size(kSettableColumns));
  for (int i = 0; i < count; ++i) q.bind(3 + 2 * i, int64_t{0}).bind(4 + 2 * i, nullptr);
  for (const auto& [key, value] : fields) {
    int i = 0;
    while (i < count && key != kSettableColumns[i]) ++i;
    if (i == count) throw drover::sdk::Error(DROVER_ERROR, "sqlite store: column '" + key + "' cannot be set");
    q.bind(3 + 2 * i, int64_t{1});
    if (value.is_null()) {
      q.bind(4 + 2 * i, nullptr);
    } else if (value.is_string()) {
      q.bind(4 + 2 * i, std::string_view(value.get_ref<const std::string&>()));
    } else if (value.is_number_integer()) {
      q.bind(4 + 2 * i, value.get<int64_t>());
    } else {
      q.bind(4 + 2 * i, value.get<double>());
    }
  }
  bool found = q.next();
  q.run();
  return found;
}

void SqliteTables::insert_dependency(const std::string& task, const std::string& blocker) {
  db_.query("INSERT INTO dependencies (task_id, blocker_id) VALUES (?1, ?2) ON CONFLICT (task_id, blocker_id) DO NOTHING",
            std::string_view(task), std::string_view(blocker))
      .run();
}

bool SqliteTables::delete_dependency(const std::string& task, const std::string& blocker) {
  Query q = db_.query("DELETE FROM dependencies WHERE task_id = ?1 AND blocker_id = ?2 RETURNING task_id",
                      std::string_view(task), std::string_view(blocker));
  bool found = q.next();
  q.run();
  return found;
}

void SqliteTables::delete_tasks(const std::vector<std::string>& ids) {
  std::string list = json_list(ids);
  db_.query("DELETE FROM dependencies WHERE task_id IN (SELECT value FROM json_each(?1)) "
            "OR blocker_id IN (SELECT value FROM json_each(?1))",
            std::string_view(list))
      .run();
  db_.query("DELETE FROM events WHERE task_id IN (SELECT value FROM json_each(?1))", std::string_view(list)).run();
  db_.query("DELETE FROM log_chunks WHERE task_id IN (SELECT value FROM json_each(?1))", std::string_view(list)).run();
  db_.query("DELETE FROM task_logs WHERE task_id IN (SELECT value FROM json_each(?1))", std::string_view(list)).run();
  db_.query("DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(?1))", std::string_view(list)).run();
}

std::vector<std::pair<std::string, std::string>> SqliteTables::blocked_by_edges(const std::vector<std::string>& tasks) {
  std::string list = json_list(tasks);
  Query q = db_.query("SELECT task_id, blocker_id FROM dependencies WHERE task_id IN (SELECT value FROM json_each(?1)) "
                      "ORDER BY task_id, blocker_id",
                      std::string_view(list));
  std::vector<std::pair<std::string, std::string>> edges;
  while (q.next()) edges.emplace_back(q.text(0), q.text(1));
  return edges;
}

std::vector<std::string> SqliteTables::dependents(const std::vector<std::string>& tasks) {
  std::string list = json_list(tasks);
  return texts(db_.query("SELECT x.id FROM tasks x WHERE x.id IN (SELECT d.task_id FROM dependencies d "
                         "WHERE d.blocker_id IN (SELECT value FROM json_each(?1))) ORDER BY x.num, x.sequence",
                         std::string_view(list)));
}

std::vector<BlockerState> SqliteTables::blockers(const std::vector<std::string>& tasks) {
  std::string list = json_list(tasks);
  Query q = db_.query("SELECT d.task_id, b.id, b.status, b.status_reason FROM dependencies d "
                      "JOIN tasks b ON b.id = d.blocker_id WHERE d.task_id IN (SELECT value FROM json_each(?1)) "
                      "ORDER BY d.task_id, b.num, b.sequence",
                      std::string_view(list));
  std::vector<BlockerState> out;
  while (q.next()) out.push_back(BlockerState{q.text(0), q.text(1), q.text(2), q.text(3)});
  return out;
}

std::vector<std::string> SqliteTables::set_pending_statuses(const std::vector<StatusChange>& changes, int64_t now_ms) {
  // BEGIN IMMEDIATE: no other connection claimed one of these tasks since the
  // caller read them, so every change applies (and no status re-check, which
  // would cost a statement journal per row, is needed).
  std::vector<std::string> changed;
  for (const StatusChange& c : changes) {
    set_status(c.id, c.to.status, c.to.reason, now_ms);
    changed.push_back(c.id);
  }
  return changed;
}

void SqliteTables::set_status(const std::string& id, const std::string& status, const std::string& reason,
                              int64_t now_ms) {
  db_.query("UPDATE tasks SET status = ?2, status_reason = ?3, updated_ms = ?4, "
            "wait_kind = CASE WHEN ?2 = 'ready' THEN wait_kind ELSE '' END WHERE id = ?1",
            std::string_view(id), std::string_view(status), std::string_view(reason), now_ms)
      .run();
}

std::optional<Claimed> SqliteTables::claim(const ClaimQuery& query) {
  // Two index-ordered probes (ready, and running with an expired lease), each
  // stopping at its first match, instead of one OR that scans and sorts.
  struct Candidate {
    std::string id, owner;
    int64_t priority, created_ms, num, sequence;
    bool better_than(const Candidate& o) const {
      if (priority != o.priority) return priority > o.priority;
      if (created_ms != o.created_ms) return created_ms < o.created_ms;
      if (num != o.num) return num < o.num;
      return sequence < o.sequence;
    }
  };
  std::string excluded = json_list(query.exclude_agents);
  std::string excluded_ids = json_list(query.exclude_ids);
  auto probe = [&](Query q) -> std::optional<Candidate> {
    q.bind(1, query.now_ms).bind_optional(2, query.epic).bind_optional(3, query.default_agent);
    q.bind(4, std::string_view(excluded)).bind(5, std::string_view(excluded_ids));
    if (!q.next()) return std::nullopt;
    return Candidate{q.text(0), q.text(1), q.integer(2), q.integer(3), q.integer(4), q.integer(5)};
  };
  std::optional<Candidate> ready =
      probe(db_.query("SELECT id, '', priority, created_ms, num, sequence FROM tasks "
                      "WHERE status = 'ready' AND not_before_ms <= ?1 AND paused = 0 "
                      "AND id NOT IN (SELECT value FROM json_each(?5)) " DROVER_SQLITE_CLAIM_FILTER));
  std::optional<Candidate> expired =
      probe(db_.query("SELECT id, COALESCE(lease_owner, ''), priority, created_ms, num, sequence FROM tasks "
                      "WHERE status = 'running' AND lease_expires_ms < ?1 "
                      "AND id NOT IN (SELECT value FROM json_each(?5)) " DROVER_SQLITE_CLAIM_FILTER));
  if (!ready && !expired) return std::nullopt;
  bool reclaimed = expired && (!ready || expired->better_than(*ready));
  const Candidate& pick = reclaimed ? *expired : *ready;
  db_.query("UPDATE tasks SET status = 'running', status_reason = '', lease_owner = ?2, lease_expires_ms = ?3, "
            "started_ms = ?4, updated_ms = ?4, " DROVER_STORAGE_CLEAR_WAIT " WHERE id = ?1",
            std::string_view(pick.id), std::string_view(query.executor), query.now_ms + query.lease_ms, query.now_ms)
      .run();
  return Claimed{pick.id, reclaimed, pick.owner};
}

int64_t SqliteTables::renew_leases(const std::string& executor, int64_t expires_ms, int64_t now_ms) {
  return static_cast<int64_t>(
      texts(db_.query("UPDATE tasks SET lease_expires_ms = ?2, updated_ms = ?3 WHERE lease_owner = ?1 RETURNING id",
                      std::string_view(executor), expires_ms, now_ms))
          .size());
}

void SqliteTables::release(const Release& r) {
  db_.query("UPDATE tasks SET lease_owner = NULL, lease_expires_ms = 0, not_before_ms = ?2, "
            "last_error = COALESCE(?3, last_error), attempts = attempts + ?4, updated_ms = ?5 WHERE id = ?1")
      .bind(1, std::string_view(r.id))
      .bind(2, r.not_before_ms)
      .bind_optional(3, r.last_error)
      .bind(4, int64_t{r.count_attempt ? 1 : 0})
      .bind(5, r.now_ms)
      .run();
}

void SqliteTables::set_wait(const std::string& id, const TaskWait& wait, const std::optional<std::string>& reason) {
  std::string paths = wait.paths_text();
  Query q = db_.query(
      "UPDATE tasks SET wait_kind = ?2, wait_agent = ?3, wait_detail = ?4, wait_paths = ?5, "
      "status_reason = CASE WHEN ?6 IS NOT NULL AND status IN ('ready', 'waiting') THEN ?6 ELSE status_reason END "
      "WHERE id = ?1");
  q.bind(1, std::string_view(id)).bind(2, std::string_view(wait.kind)).bind(3, std::string_view(wait.agent));
  q.bind(4, std::string_view(wait.detail)).bind(5, std::string_view(paths)).bind_optional(6, reason);
  q.run();
}

void SqliteTables::complete(const std::string& id, const std::optional<std::string>& summary,
                            const std::optional<std::string>& merge_commit, int64_t now_ms) {
  db_.query("UPDATE tasks SET status = 'completed', status_reason = '', lease_owner = NULL, lease_expires_ms = 0, "
            DROVER_STORAGE_CLEAR_WAIT ", result_summary = COALESCE(?2, result_summary), "
            "merge_commit = COALESCE(?3, merge_commit), completed_ms = ?4, updated_ms = ?4 WHERE id = ?1")
      .bind(1, std::string_view(id))
      .bind_optional(2, summary)
      .bind_optional(3, merge_commit)
      .bind(4, now_ms)
      .run();
}

void SqliteTables::fail(const std::string& id, const std::string& error, int64_t now_ms) {
  db_.query("UPDATE tasks SET status = 'failed', status_reason = ?2, last_error = ?2, lease_owner = NULL, "
            "lease_expires_ms = 0, completed_ms = ?3, updated_ms = ?3, " DROVER_STORAGE_CLEAR_WAIT " WHERE id = ?1",
            std::string_view(id), std::string_view(error), now_ms)
      .run();
}

void SqliteTables::restart(const std::string& id, int64_t now_ms) {
  db_.query("UPDATE tasks SET status = 'waiting', status_reason = '', attempts = 0, generation = generation + 1, "
            "not_before_ms = 0, lease_owner = NULL, lease_expires_ms = 0, started_ms = 0, completed_ms = 0, "
            "updated_ms = ?2, " DROVER_STORAGE_CLEAR_WAIT " WHERE id = ?1",
            std::string_view(id), now_ms)
      .run();
}

bool SqliteTables::epic_exists(const std::string& id) {
  return db_.query("SELECT 1 FROM epics WHERE id = ?1", std::string_view(id)).next();
}

void SqliteTables::insert_epic(const std::string& id, int64_t num, const std::string& title,
                               const std::string& description, int64_t now_ms) {
  db_.query("INSERT INTO epics (id, num, title, description, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            std::string_view(id), num, std::string_view(title), std::string_view(description), now_ms)
      .run();
}

nlohmann::json SqliteTables::epics() {
  return records(db_.query("SELECT " DROVER_STORAGE_EPIC_COLUMNS " FROM epics ORDER BY num"),
                 drover::storage::epic_record);
}

std::vector<std::pair<std::string, StatusTotals>> SqliteTables::epic_status_counts() {
  Query q = db_.query("SELECT epic, status, COUNT(*) FROM tasks WHERE epic IS NOT NULL GROUP BY epic, status");
  std::vector<std::pair<std::string, StatusTotals>> out;
  while (q.next()) out.push_back({q.text(0), StatusTotals{q.text(1), q.integer(2)}});
  return out;
}

std::vector<StatusTotals> SqliteTables::status_totals(const std::optional<std::string>& epic) {
  Query q = db_.query("SELECT status, COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), "
                      "COALESCE(SUM(cost_usd), 0) FROM tasks WHERE (?1 IS NULL OR epic = ?1) GROUP BY status");
  q.bind_optional(1, epic);
  std::vector<StatusTotals> out;
  while (q.next()) out.push_back(StatusTotals{q.text(0), q.integer(1), q.integer(2), q.integer(3), q.real(4)});
  return out;
}

bool SqliteTables::insert_workflow(const std::string& id, const std::string& name, const std::string& input,
                                   const std::string& executor, int64_t now_ms) {
  Query q = db_.query(
      "INSERT INTO workflows (id, name, input, status, output, executor, created_ms, updated_ms) "
      "VALUES (?1, ?2, ?3, 'running', NULL, ?4, ?5, ?5) ON CONFLICT (id) DO NOTHING RETURNING id",
      std::string_view(id), std::string_view(name), std::string_view(input), std::string_view(executor), now_ms);
  bool created = q.next();
  q.run();
  return created;
}

void SqliteTables::set_workflow_executor(const std::string& id, const std::string& executor) {
  db_.query("UPDATE workflows SET executor = ?2 WHERE id = ?1", std::string_view(id), std::string_view(executor)).run();
}

std::optional<nlohmann::json> SqliteTables::workflow(const std::string& id) {
  return first_record(db_.query("SELECT " DROVER_STORAGE_WORKFLOW_COLUMNS " FROM workflows WHERE id = ?1",
                                std::string_view(id)),
                      drover::storage::workflow_record);
}

std::optional<nlohmann::json> SqliteTables::finish_workflow(const std::string& id, const std::string& status,
                                                            const std::optional<std::string>& output, int64_t now_ms) {
  Query q = db_.query("UPDATE workflows SET status = ?2, output = ?3, updated_ms = ?4 WHERE id = ?1 RETURNING id");
  q.bind(1, std::string_view(id)).bind(2, std::string_view(status)).bind_optional(3, output).bind(4, now_ms);
  bool found = q.next();
  q.run();
  if (!found) return std::nullopt;
  return workflow(id);
}

nlohmann::json SqliteTables::steps(const std::string& workflow_id) {
  return records(db_.query("SELECT " DROVER_STORAGE_STEP_COLUMNS " FROM steps WHERE workflow_id = ?1 ORDER BY step",
                           std::string_view(workflow_id)),
                 drover::storage::step_record);
}

bool SqliteTables::insert_step(const std::string& workflow_id, int64_t step, const std::string& name,
                               const std::optional<std::string>& outcome, const std::optional<std::string>& error,
                               int64_t now_ms) {
  Query q = db_.query(
      "INSERT INTO steps (workflow_id, step, name, outcome, error, created_ms) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM workflows WHERE id = ?1) "
      "ON CONFLICT (workflow_id, step) DO NOTHING RETURNING step");
  q.bind(1, std::string_view(workflow_id)).bind(2, step).bind(3, std::string_view(name));
  q.bind_optional(4, outcome).bind_optional(5, error).bind(6, now_ms);
  bool recorded = q.next();
  q.run();
  return recorded;
}

std::optional<nlohmann::json> SqliteTables::step(const std::string& workflow_id, int64_t step) {
  return first_record(db_.query("SELECT " DROVER_STORAGE_STEP_COLUMNS " FROM steps WHERE workflow_id = ?1 AND step = ?2",
                                std::string_view(workflow_id), step),
                      drover::storage::step_record);
}

nlohmann::json SqliteTables::insert_event(const std::optional<std::string>& task_id, const std::string& kind,
                                          const std::string& message, const std::optional<std::string>& data,
                                          int64_t now_ms) {
  Query q = db_.query("INSERT INTO events (task_id, kind, message, data, created_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
                      "RETURNING " DROVER_STORAGE_EVENT_COLUMNS);
  q.bind_optional(1, task_id).bind(2, std::string_view(kind)).bind(3, std::string_view(message));
  q.bind_optional(4, data).bind(5, now_ms);
  q.next();
  nlohmann::json event = drover::storage::event_record(QueryCells(q));
  q.run();
  return event;
}

nlohmann::json SqliteTables::events(const std::optional<std::string>& task_id, int64_t after_id,
                                    std::optional<int64_t> limit) {
  Query q = db_.query("SELECT " DROVER_STORAGE_EVENT_COLUMNS " FROM events "
                      "WHERE (?1 IS NULL OR task_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3");
  // SQLite: a negative LIMIT means none.
  q.bind_optional(1, task_id).bind(2, after_id).bind(3, limit.value_or(-1));
  return records(std::move(q), drover::storage::event_record);
}

// ---- Executors and agent output (ABI 1.4).

namespace {
SqlValue nullable(std::optional<int64_t> v) { return v ? SqlValue(*v) : SqlValue(nullptr); }

ExecutorRow executor_from(const Query& q) {
  ExecutorRow e;
  e.id = q.text(0);
  e.host = q.text(1);
  e.pid = q.integer(2);
  e.started_ms = q.integer(3);
  e.version = q.text(4);
  e.workers = q.integer(5);
  e.lease_ms = q.integer(6);
  e.state = q.text(7);
  e.first_beat_ms = q.integer(8);
  e.last_beat_ms = q.integer(9);
  return e;
}

#define DROVER_SQLITE_EXECUTOR_COLUMNS \
  "id, host, pid, started_ms, version, workers, lease_ms, state, first_beat_ms, last_beat_ms"
#define DROVER_SQLITE_LOG_KEY "task_id = ?1 AND generation = ?2 AND attempt = ?3 AND round = ?4"
}  // namespace

// SQLite has no clock of its own: every writer is on this machine.
int64_t SqliteTables::clock_ms(int64_t fallback) { return fallback; }

std::optional<ExecutorRow> SqliteTables::executor(const std::string& id) {
  Query q = db_.query("SELECT " DROVER_SQLITE_EXECUTOR_COLUMNS " FROM executors WHERE id = ?1", std::string_view(id));
  if (!q.next()) return std::nullopt;
  return executor_from(q);
}

void SqliteTables::put_executor(const ExecutorRow& e) {
  Query q = db_.query("INSERT OR REPLACE INTO executors (" DROVER_SQLITE_EXECUTOR_COLUMNS
                      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  q.bind(1, std::string_view(e.id)).bind(2, std::string_view(e.host)).bind(3, e.pid).bind(4, e.started_ms);
  q.bind(5, std::string_view(e.version)).bind(6, e.workers).bind(7, e.lease_ms).bind(8, std::string_view(e.state));
  q.bind(9, e.first_beat_ms).bind(10, e.last_beat_ms);
  q.run();
}

std::vector<ExecutorRow> SqliteTables::executors() {
  Query q = db_.query("SELECT " DROVER_SQLITE_EXECUTOR_COLUMNS " FROM executors ORDER BY last_beat_ms DESC, id");
  std::vector<ExecutorRow> out;
  while (q.next()) out.push_back(executor_from(q));
  return out;
}

std::vector<std::pair<std::string, std::string>> SqliteTables::running_leases() {
  Query q = db_.query("SELECT lease_owner, id FROM tasks WHERE status = 'running' AND lease_owner IS NOT NULL "
                      "ORDER BY num, sequence");
  std::vector<std::pair<std::string, std::string>> out;
  while (q.next()) out.emplace_back(q.text(0), q.text(1));
  return out;
}

// BEGIN IMMEDIATE holds the file's write lock already.
std::optional<LogHead> SqliteTables::log_head(const LogKey& key, bool /*for_update*/) {
  Query q = db_.query("SELECT size, kept, finished FROM task_logs WHERE " DROVER_SQLITE_LOG_KEY,
                      std::string_view(key.task_id), key.generation, key.attempt, key.round);
  if (!q.next()) return std::nullopt;
  return LogHead{q.integer(0), q.integer(1), q.integer(2) != 0};
}

void SqliteTables::put_log_head(const LogKey& key, const LogHead& head, int64_t now_ms) {
  db_.query("INSERT INTO task_logs (task_id, generation, attempt, round, size, kept, finished, updated_ms) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (task_id, generation, attempt, round) DO UPDATE SET "
            "size = excluded.size, kept = excluded.kept, finished = excluded.finished, updated_ms = excluded.updated_ms",
            std::string_view(key.task_id), key.generation, key.attempt, key.round, head.size, head.kept,
            int64_t{head.finished ? 1 : 0}, now_ms)
      .run();
}

void SqliteTables::insert_log_chunk(const LogKey& key, int64_t offset, const std::string& data) {
  db_.query("INSERT INTO log_chunks (task_id, generation, attempt, round, pos, bytes, data) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            std::string_view(key.task_id), key.generation, key.attempt, key.round, offset,
            static_cast<int64_t>(data.size()), std::string_view(data))
      .run();
}

int64_t SqliteTables::drop_log_chunks(const LogKey& key, int64_t from, int64_t to) {
  Query q = db_.query("DELETE FROM log_chunks WHERE " DROVER_SQLITE_LOG_KEY " AND pos >= ?5 AND pos + bytes <= ?6 "
                      "RETURNING bytes",
                      std::string_view(key.task_id), key.generation, key.attempt, key.round, from, to);
  int64_t dropped = 0;
  while (q.next()) dropped += q.integer(0);
  return dropped;
}

std::vector<LogChunk> SqliteTables::log_chunks(const LogKey& key, int64_t from, int64_t max_bytes) {
  // The range starts at from, or at the first chunk after it when no chunk holds byte from.
  Query q = db_.query(
      "WITH s AS (SELECT MAX(?5, COALESCE((SELECT MIN(pos) FROM log_chunks WHERE " DROVER_SQLITE_LOG_KEY
      " AND pos + bytes > ?5), ?5)) AS at) "
      "SELECT pos, data FROM log_chunks, s WHERE " DROVER_SQLITE_LOG_KEY
      " AND pos + bytes > s.at AND pos < s.at + ?6 ORDER BY pos",
      std::string_view(key.task_id), key.generation, key.attempt, key.round, from, max_bytes);
  std::vector<LogChunk> out;
  while (q.next()) out.push_back(LogChunk{q.integer(0), q.text(1)});
  return out;
}

std::optional<LogKey> SqliteTables::latest_log(const std::string& task_id, std::optional<int64_t> generation,
                                               std::optional<int64_t> attempt, std::optional<int64_t> round) {
  Query q = db_.query("SELECT generation, attempt, round FROM task_logs WHERE task_id = ?1 "
                      "AND (?2 IS NULL OR generation = ?2) AND (?3 IS NULL OR attempt = ?3) "
                      "AND (?4 IS NULL OR round = ?4) ORDER BY generation DESC, attempt DESC, round DESC LIMIT 1");
  q.bind(1, std::string_view(task_id)).bind(2, nullable(generation)).bind(3, nullable(attempt)).bind(4, nullable(round));
  if (!q.next()) return std::nullopt;
  return LogKey{task_id, q.integer(0), q.integer(1), q.integer(2)};
}

}  // namespace drover::sqlite_storage
