// The recorded outcome of each task-workflow step, typed, and its JSON form
// in the store. Replay reads what an earlier run (maybe an earlier drover
// version) wrote, so the JSON keys are a durable format: add keys, never
// rename them. Written and read here only.
#ifndef DROVER_ENGINE_STEP_RECORDS_H
#define DROVER_ENGINE_STEP_RECORDS_H

#include <nlohmann/json.hpp>

#include "drover/agent/agent_attempt.h"
#include "drover/engine/landing_queue.h"
#include "drover/ports/agent_runner.h"
#include "drover/ports/task_store.h"
#include "drover/ports/workspace.h"

namespace drover {

// The "agent#N" step: what the attempt produced.
struct AgentStep {
  AttemptOutcome outcome = AttemptOutcome::kCrashed;
  std::string reason, summary, log_file;
  std::optional<std::string> session_id;
  std::optional<int64_t> reset_at_ms;
  int64_t duration_ms = 0;
  std::string stop_reason;  // "max_turns": the agent stopped at its turn limit
};

nlohmann::json record(const AgentAttemptResult& result);
AgentStep agent_step(const nlohmann::json& j);

nlohmann::json record(const PreparedWorktree& worktree);
PreparedWorktree prepared_worktree(const nlohmann::json& j);

nlohmann::json record(const VerifyResult& verify, const std::string& log_file);
VerifyResult verify_step(const nlohmann::json& j);

nlohmann::json record(const CommitResult& commit);
CommitResult commit_step(const nlohmann::json& j);

nlohmann::json record(const MergeResult& merge);
MergeResult merge_step(const nlohmann::json& j);

nlohmann::json record(const Completion& completion);
Completion completion_step(const nlohmann::json& j);

// "land#N": the merge queue's verdict.
nlohmann::json record(const LandingVerdict& verdict);
LandingVerdict landing_step(const nlohmann::json& j);

// "sync#N": the target's tip brought into the worktree.
nlohmann::json record(const WorktreeSync& sync);
WorktreeSync sync_step(const nlohmann::json& j);

// "review#N": a person's decision on the round's work, read from the
// "approved"/"rejected" event the store wrote with it.
struct ReviewStep {
  bool approved = false;
  std::string message;    // the reviewer's words (a rejection's feedback)
  int64_t event_id = 0;   // the decision's event: later reviews look past it
};
nlohmann::json record(const ReviewStep& review);
ReviewStep review_step(const nlohmann::json& j);

// "pause#N" and "backoff#N": a durable timer.
nlohmann::json timer_record(int64_t until_ms);
int64_t timer_step(const nlohmann::json& j);

}  // namespace drover

#endif
