// The JSON records of storage.h (task, epic, workflow, step, event) built
// from a row each backend reads in its own dialect. The column lists are
// plain SQL both dialects accept, so the order of the cells lives here once.
#ifndef DROVER_STORAGE_COMMON_RECORDS_H
#define DROVER_STORAGE_COMMON_RECORDS_H

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace drover::storage {

// One result row, by column index.
class RowCells {
 public:
  virtual ~RowCells() = default;
  virtual bool is_null(size_t column) const = 0;
  virtual std::string text(size_t column) const = 0;  // "" for NULL
  virtual int64_t integer(size_t column) const = 0;
  virtual double real(size_t column) const = 0;
};

// String literals, so that a backend may splice them into compile-time SQL.
#define DROVER_STORAGE_TASK_COLUMNS                                                                       \
  "t.id, t.title, t.description, t.epic, t.parent, t.sequence, t.priority, t.status, t.status_reason, "  \
  "t.attempts, t.max_attempts, t.agent, t.timeout_ms, t.last_error, t.result_summary, t.session_id, "    \
  "t.tokens_in, t.tokens_out, t.cost_usd, t.merge_commit, t.generation, t.not_before_ms, t.lease_owner, " \
  "t.lease_expires_ms, t.created_ms, t.updated_ms, t.started_ms, t.completed_ms, t.wait_kind, "          \
  "t.wait_agent, t.wait_detail, t.wait_paths, t.touches, t.learned_touches, t.paused, t.review"
constexpr size_t kTaskColumnCount = 36;
#define DROVER_STORAGE_EPIC_COLUMNS "id, title, description, created_ms"
#define DROVER_STORAGE_WORKFLOW_COLUMNS "id, name, input, status, output, executor, created_ms, updated_ms"
#define DROVER_STORAGE_STEP_COLUMNS "workflow_id, step, name, outcome, error, created_ms"
#define DROVER_STORAGE_EVENT_COLUMNS "id, task_id, kind, message, data, created_ms"

// The order of a task list: priority desc, then created_ms, then numeric id.
#define DROVER_STORAGE_TASK_ORDER "t.priority DESC, t.created_ms, t.num, t.sequence"

// The assignments that drop a task's wait (task_wait.h).
#define DROVER_STORAGE_CLEAR_WAIT "wait_kind = '', wait_agent = '', wait_detail = '', wait_paths = '[]'"

// A task from DROVER_STORAGE_TASK_COLUMNS, plus its direct blockers and
// dependents in numeric id order.
nlohmann::json task_record(const RowCells& row, std::vector<std::string> blocked_by, std::vector<std::string> blocks);
nlohmann::json epic_record(const RowCells& row);
nlohmann::json workflow_record(const RowCells& row);
nlohmann::json step_record(const RowCells& row);
nlohmann::json event_record(const RowCells& row);

// Statuses in the order reports list them, and a count of 0 for each.
extern const char* const kTaskStatuses[7];
bool is_task_status(const std::string& status);
nlohmann::json zero_status_counts();

}  // namespace drover::storage

#endif
