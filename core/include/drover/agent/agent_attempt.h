// One agent attempt end to end: ask the agent plugin for the command, run it
// with the ProcessRunner (clean environment, own process group, timeouts, log),
// feed every output line to the plugin's parser and let it classify the run.
//
// Nothing here throws: a plugin error, a prompt file that cannot be written or a
// program that cannot be started all become outcome "crashed" with a reason
// that says what failed and where.
#ifndef DROVER_AGENT_AGENT_ATTEMPT_H
#define DROVER_AGENT_AGENT_ATTEMPT_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drover/model/attempt_outcome.h"
#include "drover/plugin/agent.h"
#include "drover/process/process_runner.h"
#include "drover/sandbox/attempt_box.h"
#include "drover/status.h"

namespace drover {

struct AgentAttemptRequest {
  std::string task_id;
  int attempt = 1;
  std::string prompt;
  std::string prompt_file;  // the prompt is written here first (parent dirs created)
  std::string worktree;     // the agent's working directory unless the plugin says otherwise
  std::string session_id;   // the previous attempt's session, for resume; empty = none
  // The round's kind: work (the task itself), resolve (a merge conflict left
  // in the worktree), fix (the merged result failed verify) or continue (the
  // previous run stopped at its turn limit; tasks.max_turns_continuations).
  std::string round = "work";
  std::string log_file;     // stdout and stderr of the agent are appended here
  uint64_t log_max_bytes = 0;  // logs.max_size: the log's cap (ProcessSpec::log_max_bytes); 0 = none
  std::string process_file; // "<pid> <start time>" while the agent runs (see leftover_process.h)
  // Also given every output line (on the runner's loop thread: keep it short),
  // e.g. to stream it into the store (LogShipper); empty = none.
  std::function<void(std::string_view line)> on_output;
  std::chrono::milliseconds timeout{0};             // wall clock; 0 = none
  std::chrono::milliseconds inactivity_timeout{0};  // no output for this long; 0 = none
  std::chrono::milliseconds kill_grace{5000};       // SIGTERM -> SIGKILL
  // Parent variables the child may see, before the plugin's "pass_env" names.
  std::vector<std::string> env_allow_list = default_environment_allow_list();
  // Run inside drover-agent-box (containment, sandbox, limits); nullopt = bare.
  std::optional<BoxSettings> box;
};

struct AgentAttemptResult {
  AttemptOutcome outcome = AttemptOutcome::kCrashed;
  std::string reason;   // why it was not a success (empty on success)
  std::string summary;  // the agent's final message, if any
  std::optional<std::string> session_id;
  std::optional<int64_t> turns;
  std::optional<int64_t> tokens_in;
  std::optional<int64_t> tokens_out;
  std::optional<double> cost_usd;
  std::optional<int64_t> reset_at_ms;  // quota: when the limit resets (Unix ms)
  // Why the agent stopped, when the plugin says (ABI 1.2): "max_turns" = it
  // reached its turn limit (outcome failure); empty otherwise.
  std::string stop_reason;
  // The process, as the runner saw it.
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  bool inactive = false;
  bool cancelled = false;  // stopped by ProcessRunner::cancel / terminate_all
  std::vector<std::string> leftovers;  // processes the box ended after the agent exited
  int64_t duration_ms = 0;
  std::string log_file;
};

// Runs one attempt and blocks the calling thread until it is classified.
// on_started receives the runner's id as soon as the process runs, so the caller
// can cancel it from another thread. Returns a non-OK Status only when vtable or
// agent is null; every other failure is a result with outcome "crashed".
Result<AgentAttemptResult> run_agent_attempt(const drover_agent_vtable_v1& vtable, drover_agent* agent,
                                             const AgentAttemptRequest& request, ProcessRunner& runner,
                                             std::function<void(ProcessRunner::RunId)> on_started = {});

// The build_command / run_begin request JSON for a request (exposed for tests).
std::string agent_command_request_json(const AgentAttemptRequest& request);

}  // namespace drover

#endif
