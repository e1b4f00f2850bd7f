// WorkflowContext: the durable-step half of the engine, DBOS's model made exact.
//
// A workflow has an id (its idempotency key). Its code calls step() in a fixed
// order; step N's outcome is written to storage before step N+1 starts. When a
// workflow runs again after a crash, steps already recorded return their
// recorded outcome without running, and the first unrecorded step runs. A step
// may therefore run more than once if the process dies between its side effect
// and its checkpoint, so every side-effecting step checks the world first.
#ifndef DROVER_ENGINE_WORKFLOW_CONTEXT_H
#define DROVER_ENGINE_WORKFLOW_CONTEXT_H

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "drover/ports/clock.h"
#include "drover/ports/task_store.h"
#include "drover/status.h"

namespace drover {

using json = nlohmann::json;

// The system clock's now, in Unix milliseconds.
int64_t now_ms();

class WorkflowContext {
 public:
  // Starts the workflow (or finds the existing one with this id) and loads
  // its recorded steps. clock: nullptr = the system clock.
  static Result<WorkflowContext> start(TaskStore& store, const std::string& id, const std::string& name,
                                       const json& input, const std::string& executor, Clock* clock = nullptr);

  const std::string& id() const { return id_; }
  bool created() const { return created_; }
  // Status of the workflow when it was loaded ("running", "succeeded", ...).
  const std::string& loaded_status() const { return loaded_status_; }
  // True while step() is returning recorded outcomes.
  bool replaying() const { return next_ < recorded_.size(); }
  // True when the next step() replays a step recorded under this name.
  bool recorded_next(const std::string& name) const { return replaying() && recorded_[next_].name == name; }

  // Runs the step, or returns its recorded outcome. A step function that
  // returns an error Status is recorded as failed and its message is returned
  // as the error on replay too, so control flow replays identically — except
  // StatusCode::kUnavailable ("not now"), which is returned without being
  // recorded, so the step runs again next time.
  Result<json> step(const std::string& name, const std::function<Result<json>()>& fn);

  // Writes that go with a step's record, in its transaction (storage ABI
  // 1.6; one by one after it for an older store): the task update and events
  // the step produced, or the workflow's end after its last step. Filled
  // while the step runs; once written, writes is emptied and results holds
  // their answers. A step that replays leaves them unwritten; a step that is
  // not recorded ("not now") writes them on their own.
  struct Riders {
    std::vector<StoreWrite> writes;
    std::vector<WriteResult> results;
  };
  Result<json> step(const std::string& name, const std::function<Result<json>()>& fn, Riders& riders);

  // True once a step's outcome could not be recorded: every later step()
  // fails at once without running (kUnavailable), since this execution can no
  // longer be replayed faithfully. The caller abandons the execution.
  bool broken() const { return broken_; }
  const std::string& broken_why() const { return broken_why_; }

  // Marks the workflow finished.
  Status finish(const std::string& status, const json& output);

  // Asked before each step runs (not before one that replays): a Status
  // that is not OK is returned instead of running the step, as "not now"
  // (nothing recorded). A store call that was already under way when the
  // caller's lease came into doubt may still have been written; the gate
  // keeps the next side effect from starting until the lease is known.
  void set_gate(std::function<Status()> gate) { gate_ = std::move(gate); }

 private:
  WorkflowContext(TaskStore* store, Clock* clock, std::string id) : store_(store), clock_(clock), id_(std::move(id)) {}
  TaskStore* store_;
  Clock* clock_;
  std::string id_;
  bool created_ = false;
  std::string loaded_status_;
  std::vector<StepRecord> recorded_;  // steps in order
  size_t next_ = 0;
  bool broken_ = false;
  std::string broken_why_;
  std::function<Status()> gate_;
};

}  // namespace drover

#endif
