// AgentRunner: the processes the engine starts for a task, typed: one agent
// attempt (the agent plugin builds the command and classifies the output) and
// the verify gate command. The real one runs child processes through the
// ProcessRunner (process_agent_runner.h); the engine's unit tests script it.
#ifndef DROVER_PORTS_AGENT_RUNNER_H
#define DROVER_PORTS_AGENT_RUNNER_H

#include <chrono>
#include <string>
#include <vector>

#include "drover/agent/agent_attempt.h"
#include "drover/status.h"

namespace drover {

struct VerifyRequest {
  std::string task_id;
  std::vector<std::string> argv;
  std::string worktree;
  std::string log_file;
  std::chrono::milliseconds timeout{0};
  std::string process_file;  // like AgentAttemptRequest::process_file, for the verify command
};

struct VerifyResult {
  bool passed = false;
  bool interrupted = false;  // stopped by terminate_all (second Ctrl-C)
  std::string why;           // "exit code 1", "timed out", ...
  std::string output;        // the last lines of output
};

class AgentRunner {
 public:
  virtual ~AgentRunner() = default;

  // Runs one attempt of agent `agent_name` and blocks until it is classified.
  // An error Status means the agent could not be set up (unknown agent,
  // plugin failed to load); a run that went wrong is a result.
  virtual Result<AgentAttemptResult> run_agent(const std::string& agent_name, const AgentAttemptRequest& request) = 0;
  virtual VerifyResult run_verify(const VerifyRequest& request) = 0;
  // Stops the task's running agent, if any (`drover cancel`).
  virtual void cancel(const std::string& task_id) = 0;
  // The same, killing the agent's processes at most kill_after after asking
  // them to end (a fenced task: its lease is about to expire).
  virtual void cancel_within(const std::string& task_id, std::chrono::milliseconds kill_after) = 0;
  // The tasks whose agent runs right now.
  virtual std::vector<std::string> running_tasks() = 0;
  // Stops every running process (second Ctrl-C).
  virtual void terminate_all() = 0;
};

}  // namespace drover

#endif
