#include "task_graph.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "task_record.hpp"

namespace drover::postgres {

namespace {
// Advisory lock class of the graph lock; the second key is the schema's hash.
constexpr int kGraphLockClass = 0x44520002;

bool is_pending(const std::string& status) { return status == "ready" || status == "waiting" || status == "blocked"; }

std::vector<std::string> dependents_of(SqlTransaction& tx, const std::string& id) {
  std::vector<std::string> out;
  for (const SqlRow& row : tx.exec("SELECT task FROM dependencies WHERE blocker = $1", {id})) out.push_back(row.text(0));
  std::sort(out.begin(), out.end(), task_id_less);
  return out;
}
}  // namespace

void lock_graph(SqlTransaction& tx) {
  tx.exec("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", {std::to_string(kGraphLockClass)});
}

std::pair<std::string, std::string> derive_pending_status(SqlTransaction& tx, const std::string& id) {
  SqlRows blockers = tx.exec(
      "SELECT b.id, b.status, b.status_reason FROM dependencies d JOIN tasks b ON b.id = d.blocker "
      "WHERE d.task = $1 AND b.status <> 'completed' ORDER BY b.num, b.sequence",
      {id});
  if (blockers.empty()) return {"ready", ""};
  for (const SqlRow& b : blockers) {
    const std::string& status = b.text(1);
    if (status == "failed" || status == "cancelled") return {"blocked", "blocked by " + status + " task " + b.text(0)};
    if (status == "blocked") {
      // Name the root cause, e.g. "blocked by failed task t3", not the intermediate task.
      return {"blocked", b.text(2).empty() ? "blocked by blocked task " + b.text(0) : b.text(2)};
    }
  }
  return {"waiting", ""};
}

void set_status(SqlTransaction& tx, const std::string& id, const std::string& status, const std::string& reason,
                int64_t now_ms) {
  tx.exec("UPDATE tasks SET status = $2, status_reason = $3, updated_ms = $4 WHERE id = $1",
          {id, status, reason, std::to_string(now_ms)});
}

void propagate(SqlTransaction& tx, const std::string& start, bool include_start, int64_t now_ms,
               std::vector<std::string>& changed) {
  std::deque<std::string> queue;
  if (include_start) {
    queue.push_back(start);
  } else {
    for (std::string& d : dependents_of(tx, start)) queue.push_back(std::move(d));
  }
  // The graph is acyclic, so re-deriving reached tasks until nothing changes ends.
  while (!queue.empty()) {
    std::string id = queue.front();
    queue.pop_front();
    std::optional<TaskState> state = load_state(tx, id);
    if (!state || !is_pending(state->status)) continue;
    auto [status, reason] = derive_pending_status(tx, id);
    if (status == state->status && reason == state->status_reason) continue;
    // Only while still pending: a concurrent claim may have made it running meanwhile.
    SqlRows updated = tx.exec(
        "UPDATE tasks SET status = $2, status_reason = $3, updated_ms = $4 "
        "WHERE id = $1 AND status IN ('ready', 'waiting', 'blocked') RETURNING id",
        {id, status, reason, std::to_string(now_ms)});
    if (updated.empty()) continue;
    if (std::find(changed.begin(), changed.end(), id) == changed.end()) changed.push_back(id);
    for (std::string& d : dependents_of(tx, id)) queue.push_back(std::move(d));
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
