// The events the store appends itself, one per lifecycle change: their kinds,
// messages and data. (append_event adds the host's own.)
#ifndef DROVER_STORAGE_COMMON_TASK_EVENTS_H
#define DROVER_STORAGE_COMMON_TASK_EVENTS_H

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace drover::storage {

struct TaskEvent {
  std::string kind;
  std::string message;
  nlohmann::json data;  // null = none
};

TaskEvent created_event(const std::string& id);
TaskEvent reclaimed_event(const std::string& previous_owner, const std::string& executor);
TaskEvent released_event(const std::string& id, const std::string& executor, int64_t not_before_ms, bool count_attempt,
                         const std::string& wait_kind);
TaskEvent completed_event(const std::string& id, const std::string& executor, const std::vector<std::string>& unblocked);
TaskEvent failed_event(const std::string& error, const std::string& executor, const std::vector<std::string>& blocked);
// mode: retry, reset or cancel (kind "cancelled").
TaskEvent reset_event(const std::string& id, const std::string& mode, const std::vector<std::string>& changed);
// Steering (storage ABI 1.2). fields: the names edit_task changed.
TaskEvent edited_event(const std::string& id, const std::vector<std::string>& fields);
// Appended without a task id: the task's own events go with it.
TaskEvent removed_event(const std::vector<std::string>& removed);
TaskEvent dependency_removed_event(const std::string& task, const std::string& blocker);
TaskEvent paused_event(const std::string& id, bool paused);
// Storage ABI 1.3: decision "approve" (kind "approved") or "reject" ("rejected").
TaskEvent reviewed_event(const std::string& id, const std::string& decision, const std::string& message,
                         int64_t generation);

}  // namespace drover::storage

#endif
