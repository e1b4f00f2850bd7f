// The task record: the columns read for it and their conversion to the JSON
// record documented in drover/plugin/storage.h.
#pragma once

#include <nlohmann/json.hpp>

#include "database.h"

namespace drover::sqlite_storage {

// Column list for SELECTs that feed task_from_row (string literal so queries
// stay compile-time constants).
#define DROVER_TASK_COLUMNS                                                                                  \
  "t.id, t.title, t.description, t.epic, t.parent, t.sequence, t.priority, t.status, t.status_reason, "     \
  "t.attempts, t.max_attempts, t.agent, t.timeout_ms, t.last_error, t.result_summary, t.session_id, "       \
  "t.tokens_in, t.tokens_out, t.cost_usd, t.merge_commit, t.generation, t.not_before_ms, t.lease_owner, "   \
  "t.lease_expires_ms, t.created_ms, t.updated_ms, t.started_ms, t.completed_ms, "                          \
  "t.wait_kind, t.wait_agent, t.wait_detail, t.wait_paths"

// The assignments that drop a task's wait (claim, complete, fail, reset).
#define DROVER_CLEAR_WAIT "wait_kind = '', wait_agent = '', wait_detail = '', wait_paths = '[]'"

// Builds the record from a row selected with DROVER_TASK_COLUMNS, then adds
// blocked_by and blocks (in numeric id order).
nlohmann::json task_from_row(Database& db, const Query& row);

// Statuses in the order reports list them.
inline constexpr const char* kTaskStatuses[] = {"ready",  "waiting", "running",  "completed",
                                                "failed", "blocked", "cancelled"};

}  // namespace drover::sqlite_storage
