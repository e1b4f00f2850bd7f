// ProcessAgentRunner: the AgentRunner port with real child processes. An
// agent attempt goes through the agent plugin (run_agent_attempt); the verify
// gate is the user's command. Both run in their own process group under the
// ProcessRunner, inside drover-agent-box when a BoxPolicy is given (agents
// sandboxed per the policy, verify commands contained but not sandboxed), and
// the runner remembers which task each run belongs to so `drover cancel` can
// stop it.
#ifndef DROVER_AGENT_PROCESS_AGENT_RUNNER_H
#define DROVER_AGENT_PROCESS_AGENT_RUNNER_H

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "drover/plugin_host/plugin_clients.h"
#include "drover/ports/agent_runner.h"
#include "drover/process/process_runner.h"
#include "drover/sandbox/box_policy.h"

namespace drover {

class ProcessAgentRunner final : public AgentRunner {
 public:
  // agents resolves an agent name from drover.yaml to its plugin instance;
  // log_max_bytes (logs.max_size) caps every agent and verify log, 0 = none.
  using AgentLookup = std::function<Result<AgentClient*>(const std::string& name)>;
  // boxes: how agents and verify commands are contained and sandboxed
  // (drover-agent-box); nullopt runs them bare, in their process group only.
  explicit ProcessAgentRunner(AgentLookup agents, uint64_t log_max_bytes = 0,
                              std::optional<BoxPolicy> boxes = std::nullopt)
      : agents_(std::move(agents)), log_max_bytes_(log_max_bytes), boxes_(std::move(boxes)) {}

  Result<AgentAttemptResult> run_agent(const std::string& agent_name, const AgentAttemptRequest& request) override;
  VerifyResult run_verify(const VerifyRequest& request) override;
  void cancel(const std::string& task_id) override;
  void cancel_within(const std::string& task_id, std::chrono::milliseconds kill_after) override;
  std::vector<std::string> running_tasks() override;
  void terminate_all() override;

 private:
  AgentLookup agents_;
  uint64_t log_max_bytes_;
  std::optional<BoxPolicy> boxes_;
  ProcessRunner runner_;
  std::mutex mu_;
  std::map<std::string, ProcessRunner::RunId> runs_;  // task id -> its agent's run
};

}  // namespace drover

#endif
