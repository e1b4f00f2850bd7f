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

StoreWrite StoreWrite::record_step(const std::string& workflow_id, const StepRecord& step, int64_t now_ms) {
  StoreWrite w;
  w.kind = Kind::kRecordStep;
  w.id = workflow_id;
  w.step = step;
  w.now_ms = now_ms;
  return w;
}

StoreWrite StoreWrite::update_task(const std::string& task_id, const TaskUpdate& fields, int64_t now_ms,
                                   bool quiet) {
  StoreWrite w;
  w.kind = Kind::kUpdateTask;
  w.id = task_id;
  w.update = fields;
  w.now_ms = now_ms;
  w.quiet = quiet;
  return w;
}

StoreWrite StoreWrite::append_event(const NewEvent& event) {
  StoreWrite w;
  w.kind = Kind::kAppendEvent;
  w.event = event;
  w.now_ms = event.now_ms;
  return w;
}

StoreWrite StoreWrite::finish_workflow(const std::string& workflow_id, const std::string& status,
                                       const nlohmann::json& output, int64_t now_ms) {
  StoreWrite w;
  w.kind = Kind::kFinishWorkflow;
  w.id = workflow_id;
  w.status = status;
  w.output = output;
  w.now_ms = now_ms;
  return w;
}

Result<std::vector<WriteResult>> TaskStore::apply_writes(const std::vector<StoreWrite>& writes) {
  std::vector<WriteResult> results;
  for (const StoreWrite& w : writes) {
    WriteResult r;
    switch (w.kind) {
      case StoreWrite::Kind::kRecordStep: {
        auto step = record_step(w.id, w.step, w.now_ms);
        if (!step.ok()) return step.status();
        r.step = std::move(step.value());
        break;
      }
      case StoreWrite::Kind::kUpdateTask: {
        auto task = update_task(w.id, w.update, w.now_ms);
        if (!task.ok()) return task.status();
        if (!w.quiet) r.task = std::move(task.value());
        break;
      }
      case StoreWrite::Kind::kAppendEvent: {
        Status st = append_event(w.event);
        if (!st.ok()) return st;
        break;
      }
      case StoreWrite::Kind::kFinishWorkflow: {
        Status st = finish_workflow(w.id, w.status, w.output, w.now_ms);
        if (!st.ok()) return st;
        break;
      }
    }
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace drover
