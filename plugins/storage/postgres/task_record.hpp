// Reading and writing the records of the store inside one transaction: task
// rows as JSON (storage.h's task record), the short task state the rules need,
// counters, events. Every function runs on the caller's SqlTransaction.
#ifndef DROVER_PLUGINS_STORAGE_POSTGRES_TASK_RECORD_HPP
#define DROVER_PLUGINS_STORAGE_POSTGRES_TASK_RECORD_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "request.hpp"
#include "sql_session.hpp"

namespace drover::postgres {

extern const char* const kTaskStatuses[7];
bool is_task_status(const std::string& status);

// What the status rules look at.
struct TaskState {
  std::string id;
  std::string status;
  std::string status_reason;
  std::optional<std::string> parent;
  std::optional<std::string> lease_owner;
};

// for_update locks the row until the transaction ends.
std::optional<TaskState> load_state(SqlTransaction& tx, const std::string& id, bool for_update = false);
// As load_state, or DROVER_NOT_FOUND naming the operation and the request key.
TaskState require_state(SqlTransaction& tx, const Request& request, const char* key, const std::string& id,
                        bool for_update = false);
void require_epic(SqlTransaction& tx, const Request& request, const std::string& id);

// The select list of a task record over table alias t, and its reader (the
// record starts at column `first`).
extern const char* const kTaskSelect;
// The assignments that drop a task's wait (claim, complete, fail, reset).
extern const char* const kClearWait;
json task_from_row(const SqlRow& row, size_t first = 0);

// Tasks matching `where` (SQL over table alias t, parameters $1...), in list order:
// priority desc, created_ms, numeric id.
json load_tasks(SqlTransaction& tx, const std::string& where, const std::vector<SqlParam>& params);
std::optional<json> load_task(SqlTransaction& tx, const std::string& id);

// Next value of a gap-free counter ("task", "epic", "event"). The counter row
// stays locked until commit, so concurrent writers take turns.
int64_t next_counter(SqlTransaction& tx, const char* name);

// Appends an event and returns its record.
json add_event(SqlTransaction& tx, const std::optional<std::string>& task_id, const std::string& kind,
               const std::string& message, const json& data, int64_t now_ms);

// Orders task ids numerically: t2 < t10, t3 < t3.1 < t3.2 < t4.
bool task_id_less(const std::string& a, const std::string& b);

}  // namespace drover::postgres

#endif
