// The status rules: deriving a pending task's status from its blockers,
// propagating changes to dependents, and finding dependency cycles.
#include <algorithm>
#include <deque>
#include <map>

#include "sqlite_store.h"

namespace drover::sqlite_storage {

namespace {
bool is_pending(const std::string& status) { return status == "ready" || status == "waiting" || status == "blocked"; }
}  // namespace

std::pair<std::string, std::string> SqliteStore::derive_pending_status(const std::string& id) {
  Query q = db_.query(
      "SELECT b.id, b.status, b.status_reason FROM dependencies d JOIN tasks b ON b.id = d.blocker_id "
      "WHERE d.task_id = ?1 ORDER BY b.num, b.sequence",
      std::string_view(id));
  std::string blocked_reason;
  bool incomplete = false;
  while (q.next()) {
    std::string status = q.text(1);
    if (status == "completed") continue;
    incomplete = true;
    if (!blocked_reason.empty()) continue;
    if (status == "failed" || status == "cancelled") {
      blocked_reason = "blocked by " + status + " task " + q.text(0);
    } else if (status == "blocked") {
      // Keep naming the root cause, e.g. "blocked by failed task t3".
      std::string reason = q.text(2);
      blocked_reason = reason.empty() ? "blocked by blocked task " + q.text(0) : reason;
    }
  }
  if (!blocked_reason.empty()) return {"blocked", blocked_reason};
  if (incomplete) return {"waiting", ""};
  return {"ready", ""};
}

void SqliteStore::set_status(const std::string& id, const std::string& status, const std::string& reason,
                             int64_t now_ms) {
  // Only a ready task waits: leaving ready drops the wait a release gave it.
  db_.query("UPDATE tasks SET status = ?2, status_reason = ?3, updated_ms = ?4, "
            "wait_kind = CASE WHEN ?2 = 'ready' THEN wait_kind ELSE '' END WHERE id = ?1",
            std::string_view(id),
            std::string_view(status), std::string_view(reason), now_ms)
      .run();
}

void SqliteStore::propagate(const std::string& start, bool include_start, int64_t now_ms,
                            std::vector<std::string>& changed) {
  std::deque<std::string> queue;
  auto enqueue_dependents = [&](const std::string& id) {
    Query q = db_.query("SELECT task_id FROM dependencies WHERE blocker_id = ?1", std::string_view(id));
    while (q.next()) queue.push_back(q.text(0));
  };
  if (include_start) {
    queue.push_back(start);
  } else {
    enqueue_dependents(start);
  }
  // The graph is acyclic, so re-deriving each reached task until nothing
  // changes terminates.
  while (!queue.empty()) {
    std::string id = queue.front();
    queue.pop_front();
    std::optional<TaskState> state = load_state(id);
    if (!state || !is_pending(state->status)) continue;
    auto [status, reason] = derive_pending_status(id);
    if (status == state->status && reason == state->status_reason) continue;
    set_status(id, status, reason, now_ms);
    if (std::find(changed.begin(), changed.end(), id) == changed.end()) changed.push_back(id);
    enqueue_dependents(id);
  }
}

std::vector<std::string> SqliteStore::dependency_path(const std::string& from, const std::string& to) {
  // Breadth-first over blocked-by edges, so the reported cycle is a shortest one.
  std::map<std::string, std::string> came_from;
  std::deque<std::string> queue{from};
  came_from[from] = "";
  while (!queue.empty()) {
    std::string id = queue.front();
    queue.pop_front();
    if (id == to) {
      std::vector<std::string> path;
      for (std::string at = to; !at.empty(); at = came_from[at]) path.insert(path.begin(), at);
      return path;
    }
    Query q = db_.query("SELECT blocker_id FROM dependencies WHERE task_id = ?1", std::string_view(id));
    while (q.next()) {
      std::string next = q.text(0);
      if (came_from.emplace(next, id).second) queue.push_back(next);
    }
  }
  return {};
}

void SqliteStore::insert_dependency(const std::string& task, const std::string& blocker, bool implicit) {
  db_.query("INSERT INTO dependencies (task_id, blocker_id, implicit) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (task_id, blocker_id) DO NOTHING",
            std::string_view(task), std::string_view(blocker), int64_t{implicit ? 1 : 0})
      .run();
}

}  // namespace drover::sqlite_storage
