// NoopAgentRunner: the AgentRunner port with no agent behind it. Every attempt
// succeeds at once, saying nothing, and no process is started and no file is
// written (no prompt file, log or pid file). engine_bench uses it to measure
// what the engine itself costs per task; its figures with a real agent
// process (the exec plugin running `true`) are printed beside it.
#ifndef DROVER_TESTS_BENCH_NOOP_AGENT_RUNNER_H
#define DROVER_TESTS_BENCH_NOOP_AGENT_RUNNER_H

#include "drover/ports/agent_runner.h"

namespace drover::bench {

class NoopAgentRunner final : public AgentRunner {
 public:
  Result<AgentAttemptResult> run_agent(const std::string&, const AgentAttemptRequest& request) override {
    AgentAttemptResult r;
    r.outcome = AttemptOutcome::kSuccess;
    r.exit_code = 0;
    r.log_file = request.log_file;
    return r;
  }
  VerifyResult run_verify(const VerifyRequest&) override {
    VerifyResult r;
    r.passed = true;
    r.why = "exit code 0";
    return r;
  }
  void cancel(const std::string&) override {}
  void cancel_within(const std::string&, std::chrono::milliseconds) override {}
  std::vector<std::string> running_tasks() override { return {}; }
  void terminate_all() override {}
};

}  // namespace drover::bench

#endif
