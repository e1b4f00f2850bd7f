// TaskWorkflow: one claimed task, run as a durable workflow:
//   prepare worktree -> run agent -> verify -> commit -> merge -> complete
//   (and unblock dependents, one transaction) -> remove worktree
// with retries (exponential backoff with jitter, up to max_attempts), quota
// pauses that burn no attempt, and waits while the user's checkout is in the
// way of a merge. A wait is not a sleeping thread: the task is released with a
// not-before time (a durable timer) and whoever claims it next replays the
// workflow to the same point.
#ifndef DROVER_ENGINE_TASK_WORKFLOW_H
#define DROVER_ENGINE_TASK_WORKFLOW_H

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "drover/plugin_host/plugin_clients.h"
#include "drover/process/process_runner.h"
#include "drover/project.h"

namespace drover {

// Shared by every TaskWorkflow of one run.
struct EngineShared {
  Project* project = nullptr;
  StorageClient* store = nullptr;
  VcsClient* vcs = nullptr;
  ProcessRunner* runner = nullptr;
  std::string executor;
  std::string target_branch;
  std::atomic<bool> stopping{false};  // second Ctrl-C: agents are being terminated
  std::mutex merge_mu;                // merges into the target are serialized
  std::set<std::string> awaiting_merge;  // tasks already reported as waiting (guarded by merge_mu)
  // Progress lines ("t3 started ...") for the run's output.
  std::function<void(const std::string& task_id, const std::string& message)> report;
  // Called with the agent name and the time until which it is paused (quota).
  std::function<void(const std::string& agent, int64_t until_ms)> pause_agent;
  // Registers/unregisters the process run of a task, for `drover cancel`.
  std::function<void(const std::string& task_id, ProcessRunner::RunId id)> run_started;
  std::function<void(const std::string& task_id)> run_ended;
  // Called once the task is completed: its agent slot is free for the next
  // task while this one still removes its worktree.
  std::function<void(const std::string& task_id)> slot_done;
  // Called when a task is given back with a not-before time (retry backoff, quota, merge wait).
  std::function<void(int64_t until_ms)> released_until;
};

// How a workflow execution ended for now.
enum class TaskOutcome {
  kCompleted,  // merged and completed
  kFailed,     // failed for good (after max attempts, or cancelled)
  kYielded,    // released with a not-before time; someone will pick it up again
  kAbandoned,  // stopped (signal) or lost its lease; left for resume
};

class TaskWorkflow {
 public:
  TaskWorkflow(EngineShared& shared, json task) : s_(shared), task_(std::move(task)) {}
  TaskOutcome run();

 private:
  std::string id() const { return task_.value("id", ""); }
  std::string agent_name() const;
  int max_attempts() const;
  Result<json> run_agent(int attempt, const std::string& worktree, const std::string& previous_failure,
                         const std::string& session_id);
  Result<json> run_verify(const std::string& worktree, int attempt);
  std::string commit_message(int attempt) const;
  void event(const std::string& kind, const std::string& message, const json& data = nullptr);
  void update(const json& fields);
  TaskOutcome release(int64_t not_before_ms, const std::string& reason);
  TaskOutcome fail(const std::string& error);

  EngineShared& s_;
  json task_;
};

}  // namespace drover

#endif
