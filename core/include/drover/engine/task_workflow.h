// TaskWorkflow: one claimed task, run as a durable workflow:
//   prepare worktree -> run agent -> commit -> [review: a person's decision,
//   when the work awaits one] -> land (the merge queue: verify
//   on the merged result; conflicts and red merges come back as resolve and
//   fix rounds in the same worktree) -> complete
//   (and unblock dependents, one transaction) -> remove worktree
// with retries (exponential backoff with jitter, up to max_attempts), quota
// pauses that burn no attempt, and waits while the user's checkout is in the
// way of a merge. A wait is not a sleeping thread: the task is released with a
// not-before time (a durable timer) and whoever claims it next replays the
// workflow to the same point.
//
// It sees the world only through ports (TaskStore, Workspace, AgentRunner,
// Clock), so tests/engine runs every path of it with in-memory fakes.
#ifndef DROVER_ENGINE_TASK_WORKFLOW_H
#define DROVER_ENGINE_TASK_WORKFLOW_H

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "drover/config/config.h"
#include "drover/engine/agent_limit_book.h"
#include "drover/engine/landing_queue.h"
#include "drover/engine/lease_book.h"
#include "drover/engine/log_shipper.h"
#include "drover/engine/outside_writes.h"
#include "drover/engine/patient_task_store.h"
#include "drover/engine/store_health.h"
#include "drover/engine/workflow_context.h"
#include "drover/model/task.h"
#include "drover/model/worktree_key.h"
#include "drover/ports/agent_runner.h"
#include "drover/ports/clock.h"
#include "drover/ports/disk_space.h"
#include "drover/ports/task_store.h"
#include "drover/ports/workspace.h"

namespace drover {

// What a workflow tells the run loop while it runs. Called from the
// workflow's thread; implementations synchronise themselves.
class TaskWorkflowEvents {
 public:
  virtual ~TaskWorkflowEvents() = default;
  // A progress line about the task ("started ...", "completed ...").
  virtual void report(const std::string& task_id, const std::string& message) = 0;
  // The agent hit a usage limit: hold back its other tasks until then.
  virtual void agent_paused(const std::string& agent, int64_t until_ms) = 0;
  // The task is completed: its worker slot is free while the worktree is removed.
  virtual void slot_free(const std::string& task_id) = 0;
  // The task was given back, claimable again from until_ms.
  virtual void released(const std::string& task_id, int64_t until_ms) = 0;
  // A step failed for lack of space though the filesystems looked roomy
  // enough (a checkout or a blob bigger than what was free).
  virtual void out_of_space(const std::string& task_id, const std::string& why) {
    (void)task_id;
    (void)why;
  }
  // The task's learned touches changed in the store (a conflict taught them).
  virtual void touches_learned(const std::string& task_id) { (void)task_id; }
};

// What the engine runs against; all borrowed, all outliving the run.
struct EnginePorts {
  const Config* config = nullptr;
  TaskStore* store = nullptr;
  Workspace* workspace = nullptr;
  AgentRunner* agents = nullptr;
  Clock* clock = nullptr;
  DiskSpace* disk = nullptr;  // null: never full
};

// Shared by every TaskWorkflow of one run.
struct EngineContext : EnginePorts {
  TaskWorkflowEvents* events = nullptr;
  std::string executor;
  std::string target_branch;
  std::atomic<bool> stopping{false};     // second Ctrl-C: agents are being terminated
  std::atomic<bool> draining{false};     // first Ctrl-C: no new work; a store outage is not waited out for long
  int64_t drain_store_wait_ms = 3000;    // how long, once draining (real time)
  StoreHealth* health = nullptr;         // told every store call's result (null: nobody listens)
  LeaseBook* leases = nullptr;           // the run's leases and fences (null: never fenced)
  OutsideWriteLedger* outside = nullptr; // watches writes outside worktrees (null: not watched)
  LogShipper* log_shipper = nullptr;     // streams agent output into the store (null: not streamed)
  std::mutex merge_mu;                   // merges into the target are serialized
  std::set<std::string> awaiting_merge;  // tasks already reported as waiting (guarded by merge_mu)
  LandingQueue landing{*this};           // the merge queue
  AgentLimitBook limits;                 // usage and rate limits per agent
  // Rounds by kind ("resolve", "fix") and landings, for the run summary.
  std::mutex counts_mu;
  std::map<std::string, int> counts;     // guarded by counts_mu
  void count(const std::string& what) {
    std::lock_guard<std::mutex> lock(counts_mu);
    ++counts[what];
  }
};

// How a workflow execution ended for now.
enum class TaskOutcome {
  kCompleted,  // merged and completed
  kFailed,     // failed for good (after max attempts, blocked, or cancelled)
  kYielded,    // released with a not-before time; someone will pick it up again
  kAbandoned,  // stopped (signal), fenced (its lease could not be renewed), or
               // the store failed; the task may still carry this executor's lease
};

class TaskWorkflow {
 public:
  TaskWorkflow(EngineContext& engine, Task task);
  TaskOutcome run();

  // The workflow id of a task's current generation: "task/<id>/<generation>".
  static std::string workflow_id(const Task& task);

 private:
  const std::string& id() const { return task_.id; }
  int attempts_at_claim_ = 0;  // the attempts the store had counted when this execution began
  std::string agent_name() const;
  int max_attempts() const;
  int64_t now() const { return e_.clock->now_ms(); }
  Result<nlohmann::json> run_agent(const WorktreeKey& key, int attempt, int round, const std::string& round_kind,
                                   const std::string& worktree, const std::string& previous_failure,
                                   const std::string& session_id);
  // Asks the merge queue to land the key's branch; the step's record.
  Result<nlohmann::json> land(const WorktreeKey& key, int attempt, int round);
  // What a resolve round's agent is told about a conflict.
  std::string conflict_text(const WorktreeSync& sync) const;
  // The "review#N" step: the decision a person made on the round's work since
  // the event after_event, or not-now (kAwaitingReview) while there is none.
  Result<nlohmann::json> review_decision(int64_t after_event);
  // Gives the task back to wait for a person's decision on its work.
  TaskOutcome await_review(const WorktreeKey& key, bool no_changes);
  // Records paths of a conflict on this task and the tasks it collided with.
  void learn_conflict(const WorktreeSync& sync);
  // tasks.on_interrupted: restart. Before an agent runs again for an attempt an
  // earlier execution began, puts the worktree back where that attempt
  // started (its files kept under a private ref). False if nothing was undone.
  bool restart_interrupted_attempt(const WorktreeKey& key, const PreparedWorktree& start, int attempt);
  // The user's checkout before an attempt, when writes outside are watched.
  std::optional<CheckoutState> checkout_before();
  // What the attempt's agent did outside its worktree ("" when nothing): files
  // of the user's checkout, or commits on the target (put back when only the
  // agent's own commits are there, kept under a private ref).
  std::string outside_writes(const WorktreeKey& key, const std::optional<CheckoutState>& before);
  Result<nlohmann::json> run_verify(const std::string& worktree, int attempt, int round);
  std::string commit_message(int attempt) const;
  void report(const std::string& message);
  // Both go into collecting_ when it is set (see Collecting), else to the store.
  void event(const std::string& kind, const std::string& message, const nlohmann::json& data = nullptr);
  // Sends the fields that differ from task_'s (none: no store call).
  void update(const TaskUpdate& fields);
  // While one lives, update() and event() collect their writes into `into`
  // (nullptr: straight to the store, as without it).
  class Collecting {
   public:
    Collecting(TaskWorkflow& w, std::vector<StoreWrite>* into) : w_(w), saved_(w.collecting_) { w.collecting_ = into; }
    ~Collecting() { w_.collecting_ = saved_; }
    Collecting(const Collecting&) = delete;
    Collecting& operator=(const Collecting&) = delete;

   private:
    TaskWorkflow& w_;
    std::vector<StoreWrite>* saved_;
  };
  TaskUpdate waiting_to_land() const;
  TaskOutcome release(int64_t not_before_ms, WaitReason wait, const std::string& reason);
  TaskOutcome fail(const std::string& error);
  bool cancelled_by_user();
  // The reason this execution may not touch the store or the task any more
  // (its lease was lost to another run while fenced), if it may not.
  std::optional<std::string> fenced() const;
  // The agent was stopped by the fence, not by anything of its own.
  bool stopped_by_fence(const AgentAttemptResult& a) const;
  // True when this execution has to end here: its lease is fenced or a step
  // could not be recorded. Reports why, once.
  bool lost(const WorkflowContext& ctx);
  // "disk full: <what>" when a filesystem Drover writes to is full or the
  // step's error says so: a step that failed then is not recorded and runs
  // again once there is space.
  std::optional<std::string> disk_full(const std::string& error) const;
  // A side effect's error as its step returns it: "not now" while the disk is full.
  Status step_failure(const Status& error) const;
  // A step that cannot go on until the world changes: the disk is full, or
  // the VCS cannot reach its remote (step_failure makes both "not now").
  static bool must_wait(const Result<nlohmann::json>& r);
  // Gives the task back until there is space (or the remote answers); no
  // attempt is used.
  TaskOutcome wait_for(const std::string& why);

  EngineContext& e_;
  Task task_;
  // The store as the workflow uses it: waits out an outage, refuses once fenced.
  PatientTaskStore store_;
  bool lost_reported_ = false;
  std::vector<StoreWrite>* collecting_ = nullptr;  // see Collecting
  // The running agent step's riders: what its record takes along.
  WorkflowContext::Riders* agent_riders_ = nullptr;
  std::vector<std::string> in_the_way_;  // the user's files a landing found in the way
};

}  // namespace drover

#endif
