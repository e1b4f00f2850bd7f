// The status rules of storage.h over the dependency graph: deriving a pending
// task's status from its blockers, propagating a change to dependents, finding
// cycles. Callers hold the graph lock (lock_graph) so two transactions never
// reason about the graph at once: cycle checks and unblocking are race-free.
#ifndef DROVER_PLUGINS_STORAGE_POSTGRES_TASK_GRAPH_HPP
#define DROVER_PLUGINS_STORAGE_POSTGRES_TASK_GRAPH_HPP

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sql_session.hpp"

namespace drover::postgres {

// Takes this store's (schema's) graph lock until the transaction ends. Every
// operation that adds edges or changes a status other tasks depend on takes it
// first; claims do not (they only turn ready into running, which the rules treat
// like ready: incomplete).
void lock_graph(SqlTransaction& tx);

// Gives each pending (ready/waiting/blocked) task among ids the status its
// blockers call for, in one statement: blocked when a blocker failed, was
// cancelled or is itself blocked (the first such blocker in id order; the reason
// names the root cause, e.g. "blocked by failed task t3"), waiting when a blocker
// is not complete, ready otherwise. Does not look at dependents (see propagate).
void settle_status(SqlTransaction& tx, const std::vector<std::string>& ids, int64_t now_ms);

void set_status(SqlTransaction& tx, const std::string& id, const std::string& status, const std::string& reason,
                int64_t now_ms);

// Re-derives the status of start's dependents (and of start itself when
// include_start), transitively, for pending tasks only; appends every task whose
// status changed to `changed` once.
void propagate(SqlTransaction& tx, const std::string& start, bool include_start, int64_t now_ms,
               std::vector<std::string>& changed);

// A shortest chain of blocked-by edges from `from` to `to` (both included), or
// empty when `to` is not reachable.
std::vector<std::string> dependency_path(SqlTransaction& tx, const std::string& from, const std::string& to);

void insert_dependency(SqlTransaction& tx, const std::string& task, const std::string& blocker);

}  // namespace drover::postgres

#endif
