// The status rules of storage.h: what status a not-yet-started task has given
// its blockers, and what each lifecycle operation may do from which status,
// with the messages that say why not and what to do.
#ifndef DROVER_STORAGE_COMMON_TASK_STATE_H
#define DROVER_STORAGE_COMMON_TASK_STATE_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::storage {

// The few columns the rules look at.
struct TaskState {
  std::string id;
  std::string status;
  std::string status_reason;
  std::optional<std::string> parent;
  std::optional<std::string> lease_owner;
};

// A blocker of `task`, as the rules see it.
struct BlockerState {
  std::string task;
  std::string id;
  std::string status;
  std::string status_reason;
};

struct PendingStatus {
  std::string status;  // ready, waiting or blocked
  std::string reason;  // why blocked, else ""
};

// ready, waiting and blocked: the statuses the store derives from blockers.
bool is_pending(std::string_view status);

// The status of a pending task whose blockers (in numeric id order) are
// these: blocked when one failed, was cancelled or is blocked itself (the
// first such one; the reason names the root cause, e.g. "blocked by failed
// task t3"), waiting when one is not complete, else ready.
PendingStatus pending_status(const std::vector<const BlockerState*>& blockers);

// The lease rule of complete/fail: refused (DROVER_CONFLICT) while another
// executor holds the lease.
void check_lease_kept(std::string_view operation, const TaskState& task, const std::string& executor);
// release_task: only the lease holder gives a task back.
void check_release(const TaskState& task, const std::string& executor);
// complete_task: false when the task is already completed (a no-op).
bool check_complete(const TaskState& task, const std::string& executor);
void check_fail(const TaskState& task, const std::string& executor);
// reset_task's mode is retry, reset or cancel (checked when the request is read).
void check_reset(const std::string& mode, const TaskState& task);
// create_task's parent: not a sub-task, not started.
void check_parent(std::string_view operation, const TaskState& parent);

// "dependency cycle: a -> b -> a" from the head and the path that closes it.
std::string cycle_message(std::string_view operation, const std::string& head, const std::vector<std::string>& path);

}  // namespace drover::storage

#endif
