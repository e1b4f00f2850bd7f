// MemoryTaskStore: the TaskStore port in memory, for the engine's unit tests.
// It keeps the rules of storage.h that the engine relies on (ready/waiting by
// blockers, leases, unblocking and blocking dependents, idempotent workflow
// steps) and lets a test inject faults: an operation that fails, or a crash
// (a thrown Crash) right after the N-th step checkpoint is written.
#ifndef DROVER_TESTS_ENGINE_FAKES_MEMORY_TASK_STORE_H
#define DROVER_TESTS_ENGINE_FAKES_MEMORY_TASK_STORE_H

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "drover/ports/task_store.h"

namespace drover::testing {

// Thrown by a fake to stop a workflow dead, as kill -9 would.
struct Crash {
  std::string where;
};

class MemoryTaskStore final : public TaskStore {
 public:
  // Called with the operation's name before it runs; a non-OK Status is
  // returned instead of running it (e.g. the store is unreachable).
  std::function<Status(const std::string& op)> fault;
  // Called after each list_tasks with its filter and how many tasks it returned.
  std::function<void(const TaskFilter& filter, size_t returned)> listed;
  // Called with the writes of each apply_writes call before they are made
  // (one by one, as the port's default does: this fake is not transactional).
  std::function<void(const std::vector<StoreWrite>& writes)> applied_together;
  // Throw Crash right after this many step checkpoints were written in total
  // (0 = never).
  int crash_after_steps = 0;
  // Throw Crash just before the N-th step checkpoint would be written: the
  // step's side effect happened, its record did not (0 = never).
  int crash_before_step = 0;

  // Test helpers (not part of the port).
  Task add(const std::string& title, std::vector<std::string> blocked_by = {}, std::optional<std::string> agent = {});
  Task task(const std::string& id);
  int steps_recorded() const;
  std::vector<std::string> step_names(const std::string& workflow_id);
  std::vector<TaskEvent> events_of(const std::string& task_id);
  // Makes another executor take the running task over (its lease is lost).
  void steal_lease(const std::string& id, const std::string& other_executor, int64_t until_ms);

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
  Result<std::vector<WriteResult>> apply_writes(const std::vector<StoreWrite>& writes) override;

 private:
  struct Workflow {
    WorkflowRecord record;
    std::vector<StepRecord> steps;
  };
  Status check(const std::string& op);
  Task* find(const std::string& id);
  std::vector<Task> list_locked(const TaskFilter& filter);
  bool blockers_done(const Task& t);
  std::vector<Task*> dependents(const std::string& id);
  bool waits_for(const std::string& from, const std::string& to);
  void add_event_locked(std::optional<std::string> task_id, const std::string& kind, const std::string& message,
                        nlohmann::json data, int64_t now);
  Result<Task> release_locked(const std::string& id, const std::string& executor, int64_t now, int64_t not_before,
                              const WaitReason& wait, const std::string& reason);

  mutable std::mutex mu_;
  std::map<std::string, Task> tasks_;
  std::vector<std::string> order_;  // creation order
  std::vector<Epic> epics_;
  std::map<std::string, Workflow> workflows_;
  std::vector<TaskEvent> events_;
  int next_task_ = 0;
  int steps_ = 0;
};

}  // namespace drover::testing

#endif
