#include "task_graph.h"

#include <algorithm>
#include <map>
#include <set>

namespace drover::storage {

void propagate(StoreTables& tables, const std::string& start, bool include_start, int64_t now_ms,
               std::vector<std::string>& changed) {
  std::map<std::string, PendingStatus> initial;
  std::map<std::string, PendingStatus> latest;
  std::vector<std::string> touched;  // in order of first change
  std::vector<std::string> frontier = include_start ? std::vector<std::string>{start} : tables.dependents({start});
  while (!frontier.empty()) {
    std::map<std::string, std::vector<const BlockerState*>> blockers_of;
    std::vector<BlockerState> blockers = tables.blockers(frontier);
    for (const BlockerState& b : blockers) blockers_of[b.task].push_back(&b);
    std::vector<StatusChange> changes;
    std::map<std::string, PendingStatus> before;
    for (const TaskState& task : tables.task_states(frontier)) {
      if (!is_pending(task.status)) continue;
      PendingStatus to = pending_status(blockers_of[task.id]);
      if (to.status == task.status && to.reason == task.status_reason) continue;
      before[task.id] = {task.status, task.status_reason};
      changes.push_back({task.id, to});
    }
    // In frontier order (numeric ids), whatever order the states came in.
    std::map<std::string, size_t> position;
    for (size_t i = 0; i < frontier.size(); ++i) position.emplace(frontier[i], i);
    std::sort(changes.begin(), changes.end(),
              [&](const StatusChange& a, const StatusChange& b) { return position[a.id] < position[b.id]; });
    std::vector<std::string> moved = changes.empty() ? std::vector<std::string>{}
                                                     : tables.set_pending_statuses(changes, now_ms);
    std::set<std::string> applied(moved.begin(), moved.end());
    for (const StatusChange& change : changes) {
      if (!applied.count(change.id)) continue;
      if (initial.emplace(change.id, before[change.id]).second) touched.push_back(change.id);
      latest[change.id] = change.to;
    }
    frontier = moved.empty() ? std::vector<std::string>{} : tables.dependents(moved);
  }
  // A task re-derived twice may end where it started; only real changes count.
  for (const std::string& id : touched) {
    const PendingStatus& a = initial[id];
    const PendingStatus& b = latest[id];
    bool same = a.status == b.status && a.reason == b.reason;
    if (!same && std::find(changed.begin(), changed.end(), id) == changed.end()) changed.push_back(id);
  }
}

std::vector<std::string> dependency_path(StoreTables& tables, const std::string& from, const std::string& to) {
  // Breadth-first over blocked-by edges, a level per query, so the path is a shortest one.
  std::map<std::string, std::string> came_from{{from, ""}};
  std::vector<std::string> frontier{from};
  while (!frontier.empty() && !came_from.count(to)) {
    std::vector<std::string> next;
    for (const auto& [task, blocker] : tables.blocked_by_edges(frontier)) {
      if (came_from.emplace(blocker, task).second) next.push_back(blocker);
    }
    frontier = std::move(next);
  }
  if (!came_from.count(to)) return {};
  std::vector<std::string> path;
  for (std::string at = to; !at.empty(); at = came_from[at]) path.insert(path.begin(), at);
  return path;
}

}  // namespace drover::storage
