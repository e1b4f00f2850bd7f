#include "task_state.h"

#include "drover/plugin/sdk.hpp"

namespace drover::storage {

namespace {
[[noreturn]] void conflict(const std::string& message) { throw drover::sdk::Error(DROVER_CONFLICT, message); }
}  // namespace

bool is_pending(std::string_view status) { return status == "ready" || status == "waiting" || status == "blocked"; }

PendingStatus pending_status(const std::vector<const BlockerState*>& blockers) {
  bool incomplete = false;
  for (const BlockerState* b : blockers) {
    if (b->status == "completed") continue;
    incomplete = true;
    if (b->status == "failed" || b->status == "cancelled") return {"blocked", "blocked by " + b->status + " task " + b->id};
    // Keep naming the root cause, e.g. "blocked by failed task t3".
    if (b->status == "blocked") {
      return {"blocked", b->status_reason.empty() ? "blocked by blocked task " + b->id : b->status_reason};
    }
  }
  return {incomplete ? "waiting" : "ready", ""};
}

void check_lease_kept(std::string_view operation, const TaskState& task, const std::string& executor) {
  if (task.lease_owner && *task.lease_owner != executor) {
    conflict(std::string(operation) + ": task " + task.id + " is leased by executor '" + *task.lease_owner +
             "', not '" + executor + "'; the lease was lost (expired and reclaimed?)");
  }
}

void check_release(const TaskState& task, const std::string& executor) {
  if (task.lease_owner != executor) {
    conflict("release_task: executor '" + executor + "' does not hold the lease on task " + task.id +
             (task.lease_owner ? " (held by '" + *task.lease_owner + "')" : " (not leased)"));
  }
}

bool check_complete(const TaskState& task, const std::string& executor) {
  if (task.status == "completed") return false;
  check_lease_kept("complete_task", task, executor);
  if (task.status == "cancelled") {
    conflict("complete_task: task " + task.id + " was cancelled; reset it (mode reset) before completing it");
  }
  return true;
}

void check_fail(const TaskState& task, const std::string& executor) {
  check_lease_kept("fail_task", task, executor);
  if (task.status == "completed" || task.status == "cancelled") {
    conflict("fail_task: task " + task.id + " is " + task.status +
             "; only a task that has not finished can fail (reset it first)");
  }
}

void check_reset(const std::string& mode, const TaskState& task) {
  if (mode == "cancel") {
    if (task.status == "completed") conflict("reset_task: task " + task.id + " is completed; there is nothing to cancel");
    return;
  }
  bool retryable = task.status == "failed" || task.status == "blocked" || task.status == "cancelled";
  if (mode == "retry" && !retryable) {
    conflict("reset_task: task " + task.id + " is " + task.status +
             "; retry applies to failed, blocked or cancelled tasks (use mode reset)");
  }
  if (task.status == "running") {
    conflict("reset_task: task " + task.id + " is running (executor '" + task.lease_owner.value_or("") +
             "'); release or cancel it first");
  }
}

void check_parent(std::string_view operation, const TaskState& parent) {
  auto refuse = [&](const std::string& what) {
    throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, std::string(operation) + ": field 'parent' names " + parent.id +
                                                          ", which " + what);
  };
  if (parent.parent) {
    refuse("is a sub-task of " + *parent.parent + "; a sub-task cannot have sub-tasks (use " + *parent.parent +
           " as the parent)");
  }
  if (parent.status == "running" || parent.status == "completed") {
    refuse("is " + parent.status + "; sub-tasks can only be added to a task that has not started");
  }
}

std::string cycle_message(std::string_view operation, const std::string& head, const std::vector<std::string>& path) {
  std::string text = std::string(operation) + ": dependency cycle: " + head;
  for (const std::string& id : path) text += " -> " + id;
  return text;
}

}  // namespace drover::storage
