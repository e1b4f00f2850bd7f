// PatientTaskStore: a TaskStore that waits out an unreachable store. A call
// that finds the store unreachable (StatusCode::kUnavailable) is tried again,
// 100 ms after the first failure and up to 2 s apart, until the store answers
// or `stop_retrying` says the caller has to give up (a stop, a drain that has
// waited long enough). Every result goes to the run's StoreHealth, which tells
// the user once when the store goes away and once when it is back.
//
// `hold` and `refuse` fence the caller. While `hold` is true no call reaches
// the store: it waits (a workflow whose lease may have expired must not write
// to a task another executor may own by now, until the run knows). Once
// `refuse` returns a reason, every call fails at once with it (the task is
// someone else's now).
#ifndef DROVER_ENGINE_PATIENT_TASK_STORE_H
#define DROVER_ENGINE_PATIENT_TASK_STORE_H

#include <functional>
#include <optional>
#include <string>

#include "drover/engine/store_health.h"
#include "drover/ports/task_store.h"

namespace drover {

class PatientTaskStore final : public TaskStore {
 public:
  struct Rules {
    std::function<bool()> stop_retrying;               // null: retry until the store answers; always true: one try, reported
    std::function<std::optional<std::string>()> refuse;  // null: never fenced
    std::function<bool()> hold;                          // null: never held
  };
  PatientTaskStore(TaskStore& inner, StoreHealth* health, Rules rules)
      : inner_(inner), health_(health), rules_(std::move(rules)) {}

  // Waits while `hold` is true; then OK, or `refuse`'s reason (kUnavailable),
  // or kUnavailable when `stop_retrying` gave up. Every call begins with it.
  Status clear_to_call();

  Result<StoreDescription> describe() override;
  Result<Epic> create_epic(const std::string& title, const std::string& description, int64_t now_ms) override;
  Result<std::vector<Epic>> list_epics() override;
  Result<Task> create_task(const NewTask& task, int64_t now_ms) override;
  Result<Task> get_task(const std::string& id) override;
  Result<std::vector<Task>> list_tasks(const TaskFilter& filter) override;
  Result<Task> add_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) override;
  Result<Task> update_task(const std::string& id, const TaskUpdate& fields, int64_t now_ms) override;
  Result<Task> edit_task(const std::string& id, const TaskEdit& edit, int64_t now_ms) override;
  Result<TaskRemoval> remove_task(const std::string& id, bool cascade, int64_t now_ms) override;
  Result<Task> remove_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) override;
  Result<Task> set_paused(const std::string& id, bool paused, int64_t now_ms) override;
  Result<Task> review_task(const std::string& id, ReviewDecision decision, const std::string& message,
                           int64_t now_ms) override;
  Result<std::optional<Task>> claim_task(const ClaimRequest& request) override;
  Result<std::vector<Task>> claim_tasks(const ClaimRequest& request, int limit) override;
  Result<std::vector<WriteResult>> apply_writes(const std::vector<StoreWrite>& writes) override;
  Result<int> renew_leases(const std::string& executor, int64_t lease_ms, int64_t now_ms) override;
  Result<Task> release_task(const ReleaseRequest& request) override;
  Result<Task> take_back(const std::string& id, const std::string& dead_executor, int64_t now_ms) override;
  Result<Completion> complete_task(const CompleteRequest& request) override;
  Result<Failure> fail_task(const FailRequest& request) override;
  Result<ResetOutcome> reset_task(const std::string& id, ResetMode mode, int64_t now_ms) override;
  Result<WorkflowRecord> start_workflow(const std::string& id, const std::string& name, const nlohmann::json& input,
                                        const std::string& executor, int64_t now_ms) override;
  Result<std::pair<WorkflowRecord, std::vector<StepRecord>>> get_workflow(const std::string& id) override;
  Status finish_workflow(const std::string& id, const std::string& status, const nlohmann::json& output,
                         int64_t now_ms) override;
  Result<StepRecord> record_step(const std::string& workflow_id, const StepRecord& step, int64_t now_ms) override;
  Status append_event(const NewEvent& event) override;
  Result<std::vector<TaskEvent>> list_events(const EventFilter& filter) override;
  Result<StoreSummary> summary(const std::optional<std::string>& epic) override;
  Status beat_executor(const ExecutorBeat& beat) override;
  Result<ExecutorList> list_executors(int64_t now_ms) override;
  Result<LogChunkWritten> append_log(const LogChunkWrite& chunk) override;
  Result<LogPiece> read_log(const LogReadRequest& request) override;

 private:
  template <class Call>
  auto patiently(Call call) -> decltype(call());
  // Sleeps before the next try (100 ms after the first failure, doubling up
  // to 2 s); false when the caller has to give up instead.
  bool wait_before_retry(int failures);

  TaskStore& inner_;
  StoreHealth* health_;
  Rules rules_;
};

}  // namespace drover

#endif
