#include "drover/ports/task_store.h"

#include "drover/common/enum_names.h"

namespace drover {
namespace {

constexpr EnumNames<ResetMode, 3> kResetNames{{
    {ResetMode::kRetry, "retry"},
    {ResetMode::kReset, "reset"},
    {ResetMode::kCancel, "cancel"},
}};

Status steering_unsupported(const char* what, const char* abi = "1.2") {
  return Status(StatusCode::kUnsupported, std::string("this task store cannot ") + what +
                                              " (its storage plugin predates plugin ABI " + abi + "); upgrade the plugin");
}

constexpr EnumNames<ExecutorState, 3> kExecutorStateNames{{
    {ExecutorState::kRunning, "running"},
    {ExecutorState::kStopping, "stopping"},
    {ExecutorState::kStopped, "stopped"},
}};

}  // namespace

std::string_view to_string(ResetMode mode) { return name_of(kResetNames, mode); }
std::string_view to_string(ExecutorState state) { return name_of(kExecutorStateNames, state); }
std::optional<ExecutorState> executor_state_named(std::string_view name) {
  return value_named(kExecutorStateNames, name);
}

Result<Task> TaskStore::edit_task(const std::string&, const TaskEdit&, int64_t) {
  return steering_unsupported("edit tasks");
}
Result<TaskRemoval> TaskStore::remove_task(const std::string&, bool, int64_t) {
  return steering_unsupported("remove tasks");
}
Result<Task> TaskStore::remove_dependency(const std::string&, const std::string&, int64_t) {
  return steering_unsupported("remove dependencies");
}
Result<Task> TaskStore::set_paused(const std::string&, bool, int64_t) { return steering_unsupported("pause tasks"); }
Result<Task> TaskStore::review_task(const std::string&, ReviewDecision, const std::string&, int64_t) {
  return steering_unsupported("review tasks", "1.3");
}

Status TaskStore::beat_executor(const ExecutorBeat&) { return steering_unsupported("record executors", "1.4"); }
Result<ExecutorList> TaskStore::list_executors(int64_t) { return steering_unsupported("list executors", "1.4"); }
Result<LogChunkWritten> TaskStore::append_log(const LogChunkWrite&) {
  return steering_unsupported("keep agent output", "1.4");
}
Result<LogPiece> TaskStore::read_log(const LogReadRequest&) { return steering_unsupported("keep agent output", "1.4"); }

Result<std::vector<Task>> TaskStore::claim_tasks(const ClaimRequest& request, int limit) {
  std::vector<Task> claimed;
  while (static_cast<int>(claimed.size()) < limit) {
    auto one = claim_task(request);
    if (!one.ok()) {
      if (claimed.empty()) return one.status();
      break;
    }
    if (!one.value()) break;
    claimed.push_back(std::move(*one.value()));
  }
  return claimed;
}

}  // namespace drover
