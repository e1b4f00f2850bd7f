// TaskStore: what the engine and the CLI need from a storage backend, typed.
// The plugin host adapts a storage plugin to it (plugin_task_store.h); the
// engine's unit tests use an in-memory fake. Every operation is atomic in the
// backend; the rules (which status a task gets, who may complete what) are
// the storage plugin's, documented in plugin-api's storage.h.
#ifndef DROVER_PORTS_TASK_STORE_H
#define DROVER_PORTS_TASK_STORE_H

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "drover/model/task.h"
#include "drover/status.h"

namespace drover {

struct TaskFilter {
  std::optional<std::string> epic;
  std::vector<TaskStatus> statuses;  // empty = any
  std::vector<std::string> ids;      // empty = any
};

struct NewTask {
  std::string title;
  std::string description;
  std::optional<std::string> epic, parent, agent;
  std::optional<int> priority, max_attempts;
  std::optional<int64_t> timeout_ms;
  std::vector<std::string> blocked_by;
  std::vector<std::string> touches;  // globs (path_glob.h)
  bool review = false;               // a person approves its work before it lands
};

// The fields update_task may set; unset ones are left as they are.
struct TaskUpdate {
  std::optional<int> attempts;
  std::optional<std::string> last_error, result_summary, session_id, merge_commit, status_reason;
  std::optional<int64_t> tokens_in, tokens_out;
  std::optional<double> cost_usd;
  // Paths a merge conflict showed the task edits; replaces the whole list.
  std::optional<std::vector<std::string>> learned_touches;
};

// What `drover edit` may change on a task that is not running; unset fields
// are left as they are. agent: "" = back to the default agent.
struct TaskEdit {
  std::optional<std::string> title, description, agent;
  std::optional<int> priority, max_attempts;
  std::optional<std::vector<std::string>> touches;
  std::optional<bool> review;
  bool empty() const { return !title && !description && !agent && !priority && !max_attempts && !touches && !review; }
};

// remove_task's answer: every task removed, the named one first.
struct TaskRemoval {
  std::vector<std::string> removed;
};

struct ClaimRequest {
  std::string executor;
  int64_t lease_ms = 0;
  int64_t now_ms = 0;
  std::optional<std::string> epic;
  std::vector<std::string> exclude_agents;
  std::string default_agent;
  std::vector<std::string> exclude_ids;  // held back this time (overlap-aware dispatch)
};

struct ReleaseRequest {
  std::string id;
  std::string executor;
  int64_t now_ms = 0;
  int64_t not_before_ms = 0;
  WaitReason wait;            // why it waits (kind kNone: it does not)
  std::string status_reason;  // what `status` shows meanwhile
};

struct CompleteRequest {
  std::string id;
  std::string executor;
  int64_t now_ms = 0;
  std::string merge_commit;  // "" = none (no changes)
  std::string result_summary;
  // The caller needs only the unblocked ids: Completion::task may be left
  // empty (storage ABI 1.6; an older store fills it anyway).
  bool quiet = false;
};

struct Completion {
  Task task;  // empty when the request was quiet
  std::vector<std::string> unblocked;  // dependents now ready
};

struct FailRequest {
  std::string id;
  std::string executor;
  int64_t now_ms = 0;
  std::string error;
};

struct Failure {
  Task task;
  std::vector<std::string> blocked;  // dependents now blocked
};

enum class ReviewDecision { kApprove, kReject };

enum class ResetMode { kRetry, kReset, kCancel };
std::string_view to_string(ResetMode mode);

struct ResetOutcome {
  Task task;
  std::vector<std::string> changed;
};

struct NewEvent {
  std::optional<std::string> task_id;
  std::string kind;
  std::string message;
  nlohmann::json data;  // null = none
  int64_t now_ms = 0;
};

struct EventFilter {
  std::optional<std::string> task_id;
  std::optional<int64_t> after_id;
  std::optional<int> limit;
};

struct StoreSummary {
  std::map<std::string, int> counts;  // status -> number of tasks
  int total = 0;
  double cost_usd = 0;
  int64_t tokens_in = 0, tokens_out = 0;
  int count(TaskStatus s) const {
    auto it = counts.find(std::string(to_string(s)));
    return it == counts.end() ? 0 : it->second;
  }
};

struct StoreDescription {
  std::string backend;
  int64_t schema_version = 0;
  std::string location;
};

// An executor (a `drover run`) as it beats its record into the store (storage
// ABI 1.4). id is its lease owner name (make_executor_id()).
enum class ExecutorState { kRunning, kStopping, kStopped };
std::string_view to_string(ExecutorState state);
std::optional<ExecutorState> executor_state_named(std::string_view name);

struct ExecutorBeat {
  std::string id, host, version;
  int64_t pid = 0, started_ms = 0, lease_ms = 0;
  int workers = 0;
  ExecutorState state = ExecutorState::kRunning;
  int64_t now_ms = 0;
};

struct ExecutorRecord {
  ExecutorBeat beat;                  // as last beaten (beat.now_ms unused)
  int64_t first_beat_ms = 0, last_beat_ms = 0;  // in the clock of ExecutorList::now_ms
  std::vector<std::string> tasks;     // running tasks whose lease it holds
};

struct ExecutorList {
  int64_t now_ms = 0;  // the clock last beats are written in, now
  std::vector<ExecutorRecord> executors;  // most recent beat first
};

// One round's agent output in the store (storage ABI 1.4).
struct StoredLogKey {
  std::string task_id;
  int64_t generation = 0;
  int attempt = 1, round = 1;
};

struct LogChunkWrite {
  StoredLogKey key;
  int64_t offset = 0;      // where data starts in the stream
  std::string data;        // valid UTF-8 without NUL (valid_log_text())
  bool final = false;      // the round ended: the log is finished
  uint64_t max_bytes = 0;  // the store keeps the first and the last half of this; 0 = all
  int64_t now_ms = 0;
};

struct LogChunkWritten {
  int64_t size = 0, kept = 0;
  bool finished = false;
};

struct LogReadRequest {
  std::string task_id;
  std::optional<int64_t> generation;  // nullopt: the latest with a log
  std::optional<int> attempt, round;  // likewise
  int64_t offset = 0;
  int64_t max_bytes = 64 * 1024;  // at most 1 MiB
};

struct LogPiece {
  StoredLogKey key;
  int64_t offset = 0;       // where data starts (after the asked offset when bytes were dropped)
  std::string data;
  int64_t next_offset = 0;  // ask from here next
  int64_t size = 0;
  bool finished = false;    // the round ended
  bool eof = false;         // next_offset == size
};

// Durable workflows (workflow_context.h). Step outcomes are any JSON: they are
// replayed to the code that recorded them.
struct WorkflowRecord {
  std::string id;
  std::string status;  // "running" | "succeeded" | "failed" | "cancelled"
  bool created = false;
};

struct StepRecord {
  int64_t step = 0;
  std::string name;
  nlohmann::json outcome;            // null when the step failed
  std::optional<std::string> error;  // the failed step's message
  bool recorded = true;              // false: someone else recorded this step first
};

// One write of apply_writes (storage ABI 1.6): a step's record, a task's
// fields, an event or a workflow's end, as the single calls take them.
struct StoreWrite {
  enum class Kind { kRecordStep, kUpdateTask, kAppendEvent, kFinishWorkflow };
  Kind kind = Kind::kAppendEvent;
  std::string id;               // the workflow (record_step, finish_workflow) or the task (update_task)
  StepRecord step;              // record_step
  TaskUpdate update;            // update_task
  NewEvent event;               // append_event
  std::string status;           // finish_workflow
  nlohmann::json output;        // finish_workflow
  int64_t now_ms = 0;           // all but append_event (event.now_ms)
  bool quiet = false;           // update_task: no task in the answer (the caller knows what it set)

  static StoreWrite record_step(const std::string& workflow_id, const StepRecord& step, int64_t now_ms);
  static StoreWrite update_task(const std::string& task_id, const TaskUpdate& fields, int64_t now_ms,
                                bool quiet = false);
  static StoreWrite append_event(const NewEvent& event);
  static StoreWrite finish_workflow(const std::string& workflow_id, const std::string& status,
                                    const nlohmann::json& output, int64_t now_ms);
};

// What one write answered: the step as recorded (record_step), the task as
// it now is (update_task, unless quiet); nothing for the other two.
struct WriteResult {
  std::optional<StepRecord> step;
  std::optional<Task> task;
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  virtual Result<StoreDescription> describe() = 0;

  virtual Result<Epic> create_epic(const std::string& title, const std::string& description, int64_t now_ms) = 0;
  virtual Result<std::vector<Epic>> list_epics() = 0;

  virtual Result<Task> create_task(const NewTask& task, int64_t now_ms) = 0;
  virtual Result<Task> get_task(const std::string& id) = 0;
  virtual Result<std::vector<Task>> list_tasks(const TaskFilter& filter) = 0;
  virtual Result<Task> add_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) = 0;
  virtual Result<Task> update_task(const std::string& id, const TaskUpdate& fields, int64_t now_ms) = 0;

  // Steering (storage ABI 1.2; a store without them answers kUnsupported).
  // edit_task: a task that is not running (kConflict otherwise).
  virtual Result<Task> edit_task(const std::string& id, const TaskEdit& edit, int64_t now_ms);
  // remove_task: refuses (kConflict) a running task, and one that others
  // depend on unless cascade, which removes those dependents too (none of
  // them running). A task's sub-tasks go with it.
  virtual Result<TaskRemoval> remove_task(const std::string& id, bool cascade, int64_t now_ms);
  // remove_dependency: kNotFound when task does not wait for blocker.
  virtual Result<Task> remove_dependency(const std::string& task, const std::string& blocker, int64_t now_ms);
  // set_paused: a paused task is not claimed; a running one keeps running.
  virtual Result<Task> set_paused(const std::string& id, bool paused, int64_t now_ms);
  // review_task (storage ABI 1.3): a person's decision on a task awaiting
  // review (kConflict for any other); the task is claimable at once and an
  // "approved"/"rejected" event carries the decision for the workflow.
  virtual Result<Task> review_task(const std::string& id, ReviewDecision decision, const std::string& message,
                                   int64_t now_ms);

  // nullopt: nothing claimable now.
  virtual Result<std::optional<Task>> claim_task(const ClaimRequest& request) = 0;
  // Up to limit tasks, in the order claim_task would hand them out; empty:
  // nothing claimable now. The default claims one by one; a store that can
  // claims them in one round trip (storage ABI 1.5). A failure after some
  // were claimed returns those (the next claim meets the failure again).
  virtual Result<std::vector<Task>> claim_tasks(const ClaimRequest& request, int limit);
  virtual Result<int> renew_leases(const std::string& executor, int64_t lease_ms, int64_t now_ms) = 0;
  virtual Result<Task> release_task(const ReleaseRequest& request) = 0;
  // Releases the lease of another (dead) executor on this machine.
  virtual Result<Task> take_back(const std::string& id, const std::string& dead_executor, int64_t now_ms) = 0;
  virtual Result<Completion> complete_task(const CompleteRequest& request) = 0;
  virtual Result<Failure> fail_task(const FailRequest& request) = 0;
  virtual Result<ResetOutcome> reset_task(const std::string& id, ResetMode mode, int64_t now_ms) = 0;

  virtual Result<WorkflowRecord> start_workflow(const std::string& id, const std::string& name,
                                                const nlohmann::json& input, const std::string& executor,
                                                int64_t now_ms) = 0;
  // The workflow's status and its recorded steps in step order.
  virtual Result<std::pair<WorkflowRecord, std::vector<StepRecord>>> get_workflow(const std::string& id) = 0;
  virtual Status finish_workflow(const std::string& id, const std::string& status, const nlohmann::json& output,
                                 int64_t now_ms) = 0;
  virtual Result<StepRecord> record_step(const std::string& workflow_id, const StepRecord& step, int64_t now_ms) = 0;

  virtual Status append_event(const NewEvent& event) = 0;
  virtual Result<std::vector<TaskEvent>> list_events(const EventFilter& filter) = 0;

  virtual Result<StoreSummary> summary(const std::optional<std::string>& epic) = 0;

  // Executors and agent output in the store (storage ABI 1.4; kUnsupported
  // from an older plugin). See storage.h for the rules.
  virtual Status beat_executor(const ExecutorBeat& beat);
  virtual Result<ExecutorList> list_executors(int64_t now_ms);
  virtual Result<LogChunkWritten> append_log(const LogChunkWrite& chunk);
  virtual Result<LogPiece> read_log(const LogReadRequest& request);

  // The writes in order, in one transaction — all or none — with one answer
  // each (storage ABI 1.6). The default, for a store that cannot (a plugin
  // built for an older ABI), makes the calls one by one and stops at the
  // first failure: the writes before it stay.
  virtual Result<std::vector<WriteResult>> apply_writes(const std::vector<StoreWrite>& writes);
};

}  // namespace drover

#endif
