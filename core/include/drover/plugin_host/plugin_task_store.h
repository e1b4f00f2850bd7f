// PluginTaskStore: the TaskStore port over a storage plugin. The only place
// in the host that builds storage requests and reads storage responses.
#ifndef DROVER_PLUGIN_HOST_PLUGIN_TASK_STORE_H
#define DROVER_PLUGIN_HOST_PLUGIN_TASK_STORE_H

#include <atomic>
#include <memory>

#include "drover/plugin_host/plugin_clients.h"
#include "drover/ports/task_store.h"

namespace drover {

class PluginTaskStore final : public TaskStore {
 public:
  explicit PluginTaskStore(std::unique_ptr<StorageClient> client) : client_(std::move(client)) {}
  // Opens the plugin instance (see StorageClient::open) and adapts it.
  static Result<std::unique_ptr<PluginTaskStore>> open(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                 const nlohmann::json& context);
  const PluginInfo& info() const { return client_->info(); }

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
  std::unique_ptr<StorageClient> client_;
  std::atomic<bool> claim_tasks_unsupported_{false};  // the plugin predates ABI 1.5
  std::atomic<bool> apply_writes_unsupported_{false};  // the plugin predates ABI 1.6
};

}  // namespace drover

#endif
