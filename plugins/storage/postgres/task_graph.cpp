#include "task_graph.hpp"

#include <algorithm>
#include <map>

#include "task_record.hpp"

namespace drover::postgres {

namespace {
// Advisory lock class of the graph lock; the second key is the schema's hash.
constexpr int kGraphLockClass = 0x44520002;

std::vector<std::string> dependents_of(SqlTransaction& tx, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const SqlRow& row :
       tx.exec("SELECT DISTINCT task FROM dependencies WHERE blocker = ANY($1::text[])", {text_array_literal(ids)})) {
    out.push_back(row.text(0));
  }
  std::sort(out.begin(), out.end(), task_id_less);
  return out;
}

// Re-derives the status of the pending tasks among $1 (see settle_status: the
// first failed/cancelled/blocked blocker in id order blocks, any other
// incomplete blocker makes it wait) and updates those that differ, returning
// id, old status, old reason, new status, new reason. The status re-check in
// the UPDATE skips a task a concurrent claim made running meanwhile.
const char* const kRederiveSql = R"sql(
WITH targets AS (
  SELECT t.id, t.status, t.status_reason FROM tasks t
  WHERE t.id = ANY($1::text[]) AND t.status IN ('ready', 'waiting', 'blocked')
), derived AS (
  SELECT tg.id, tg.status AS old_status, tg.status_reason AS old_reason,
         CASE WHEN bad.id IS NOT NULL THEN 'blocked' WHEN incomplete.any THEN 'waiting' ELSE 'ready' END AS status,
         CASE WHEN bad.id IS NULL THEN ''
              WHEN bad.status <> 'blocked' THEN 'blocked by ' || bad.status || ' task ' || bad.id
              WHEN bad.status_reason = '' THEN 'blocked by blocked task ' || bad.id
              ELSE bad.status_reason END AS reason
  FROM targets tg
  LEFT JOIN LATERAL (
    SELECT b.id, b.status, b.status_reason FROM dependencies d JOIN tasks b ON b.id = d.blocker
    WHERE d.task = tg.id AND b.status IN ('failed', 'cancelled', 'blocked')
    ORDER BY b.num, b.sequence LIMIT 1) bad ON TRUE
  CROSS JOIN LATERAL (
    SELECT EXISTS (SELECT 1 FROM dependencies d JOIN tasks b ON b.id = d.blocker
                   WHERE d.task = tg.id AND b.status <> 'completed') AS any) incomplete
)
UPDATE tasks t SET status = d.status, status_reason = d.reason, updated_ms = $2,
  wait_kind = CASE WHEN d.status = 'ready' THEN t.wait_kind ELSE '' END
FROM derived d
WHERE t.id = d.id AND (t.status <> d.status OR t.status_reason <> d.reason)
  AND t.status IN ('ready', 'waiting', 'blocked')
RETURNING t.id, d.old_status, d.old_reason, d.status, d.reason
)sql";
}  // namespace

void lock_graph(SqlTransaction& tx) {
  tx.exec("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", {std::to_string(kGraphLockClass)});
}

void settle_status(SqlTransaction& tx, const std::vector<std::string>& ids, int64_t now_ms) {
  tx.exec(kRederiveSql, {text_array_literal(ids), std::to_string(now_ms)});
}

void set_status(SqlTransaction& tx, const std::string& id, const std::string& status, const std::string& reason,
                int64_t now_ms) {
  // Only a ready task waits: leaving ready drops the wait a release gave it.
  tx.exec("UPDATE tasks SET status = $2, status_reason = $3, updated_ms = $4, "
          "wait_kind = CASE WHEN $2 = 'ready' THEN wait_kind ELSE '' END WHERE id = $1",
          {id, status, reason, std::to_string(now_ms)});
}

void propagate(SqlTransaction& tx, const std::string& start, bool include_start, int64_t now_ms,
               std::vector<std::string>& changed) {
  using Status = std::pair<std::string, std::string>;  // status, status_reason
  std::map<std::string, Status> initial;
  std::map<std::string, Status> latest;
  std::vector<std::string> touched;  // in order of first change
  std::vector<std::string> frontier = include_start ? std::vector<std::string>{start} : dependents_of(tx, {start});
  // Level by level, one statement re-derives a whole level and the next level is
  // the dependents of what moved. The graph is acyclic, so this ends.
  while (!frontier.empty()) {
    SqlRows moved = tx.exec(kRederiveSql, {text_array_literal(frontier), std::to_string(now_ms)});
    frontier.clear();
    std::vector<std::string> moved_ids;
    for (const SqlRow& row : moved) {
      const std::string& id = row.text(0);
      if (initial.emplace(id, Status{row.text(1), row.text(2)}).second) touched.push_back(id);
      latest[id] = Status{row.text(3), row.text(4)};
      moved_ids.push_back(id);
    }
    if (!moved_ids.empty()) frontier = dependents_of(tx, moved_ids);
  }
  // A task re-derived twice may end where it started; only real changes count.
  for (const std::string& id : touched) {
    if (latest[id] != initial[id] && std::find(changed.begin(), changed.end(), id) == changed.end()) {
      changed.push_back(id);
    }
  }
}

std::vector<std::string> dependency_path(SqlTransaction& tx, const std::string& from, const std::string& to) {
  // Breadth-first over blocked-by edges, a level per query, so the path is a shortest one.
  std::map<std::string, std::string> came_from{{from, ""}};
  std::vector<std::string> frontier{from};
  while (!frontier.empty()) {
    if (came_from.count(to)) break;
    SqlRows edges = tx.exec("SELECT task, blocker FROM dependencies WHERE task = ANY($1::text[]) ORDER BY task, blocker",
                            {text_array_literal(frontier)});
    std::vector<std::string> next;
    for (const SqlRow& edge : edges) {
      if (came_from.emplace(edge.text(1), edge.text(0)).second) next.push_back(edge.text(1));
    }
    frontier = std::move(next);
  }
  if (!came_from.count(to)) return {};
  std::vector<std::string> path;
  for (std::string at = to; !at.empty(); at = came_from[at]) path.insert(path.begin(), at);
  return path;
}

void insert_dependency(SqlTransaction& tx, const std::string& task, const std::string& blocker) {
  tx.exec("INSERT INTO dependencies (task, blocker) VALUES ($1, $2) ON CONFLICT DO NOTHING", {task, blocker});
}

}  // namespace drover::postgres
