// Walking the dependency graph: re-deriving the status of dependents after a
// change (unblocking, blocking transitively), and finding the path that a new
// edge would close into a cycle. Callers hold the graph lock (StoreTables::lock_graph).
#ifndef DROVER_STORAGE_COMMON_TASK_GRAPH_H
#define DROVER_STORAGE_COMMON_TASK_GRAPH_H

#include <cstdint>
#include <string>
#include <vector>

#include "store_tables.h"

namespace drover::storage {

// Re-derives (pending_status) the status of the pending tasks reachable from
// start through "blocks" edges, and of start itself when include_start, level
// by level; appends each task whose status or reason really changed to
// `changed`, once, in the order first changed. The graph is acyclic, so it ends.
void propagate(StoreTables& tables, const std::string& start, bool include_start, int64_t now_ms,
               std::vector<std::string>& changed);

// The shortest blocked-by path from `from` to `to` (both included), or empty.
std::vector<std::string> dependency_path(StoreTables& tables, const std::string& from, const std::string& to);

}  // namespace drover::storage

#endif
