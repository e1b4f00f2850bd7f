// ScriptedAgentRunner: the AgentRunner port without processes. Each task has
// a queue of scripted attempts (an outcome, what the agent reports); when the
// queue is empty an attempt succeeds. An attempt can also hold until it is
// cancelled or terminated, as a long-running agent would.
#ifndef DROVER_TESTS_ENGINE_FAKES_SCRIPTED_AGENT_RUNNER_H
#define DROVER_TESTS_ENGINE_FAKES_SCRIPTED_AGENT_RUNNER_H

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "drover/ports/agent_runner.h"

namespace drover::testing {

struct ScriptedAttempt {
  ScriptedAttempt() = default;
  ScriptedAttempt(AttemptOutcome o, std::string why = "", std::optional<int64_t> reset = std::nullopt)
      : outcome(o), reason(std::move(why)), reset_at_ms(reset) {}
  // An attempt that runs until it is cancelled or terminated.
  static ScriptedAttempt holding() {
    ScriptedAttempt a;
    a.hold = true;
    return a;
  }

  // An attempt that runs until finish(), ignoring cancel (an agent slow to
  // die); then it ends with `outcome`.
  static ScriptedAttempt until_finished() {
    ScriptedAttempt a;
    a.hold = true;
    a.ignore_cancel = true;
    return a;
  }

  AttemptOutcome outcome = AttemptOutcome::kSuccess;
  std::string reason;
  std::optional<int64_t> reset_at_ms;
  std::optional<std::string> session_id;
  double cost_usd = 0;        // 0: the agent reports no cost
  std::string stop_reason;    // "max_turns": it stopped at its turn limit
  std::optional<std::string> summary;  // the final message (default: "did <task>" on success)
  bool hold = false;  // runs until cancel() or terminate_all()
  bool ignore_cancel = false;  // with hold: runs until finish()
};

class ScriptedAgentRunner final : public AgentRunner {
 public:
  void script(const std::string& task_id, std::vector<ScriptedAttempt> attempts);
  // Verify results in order for a task (default: passed).
  void script_verify(const std::string& task_id, std::vector<bool> passes);
  // When set, decides every verify run (before the per-task scripts) from
  // its request, e.g. from the worktree a landing verifies in.
  std::function<bool(const VerifyRequest&)> verify_rule;
  int verify_count() const;
  // Called at the start of each attempt; may throw Crash.
  std::function<void(const AgentAttemptRequest&)> before;
  // When set and it answers, decides the attempt (before the task's script),
  // e.g. an agent-wide rate limit that holds until some time.
  std::function<std::optional<ScriptedAttempt>(const AgentAttemptRequest&)> rule;

  int runs(const std::string& task_id) const;
  std::vector<AgentAttemptRequest> requests(const std::string& task_id) const;
  // Blocks until the task's agent is running (holding), up to 5 s.
  bool wait_running(const std::string& task_id);
  // Ends the task's holding attempt as scripted (cancelled or not).
  void finish(const std::string& task_id);
  // Whether cancel()/cancel_within() was called for the task's agent.
  bool was_cancelled(const std::string& task_id) const;
  // The most attempts of the task that ever ran at the same time.
  int most_at_once(const std::string& task_id) const;

  Result<AgentAttemptResult> run_agent(const std::string& agent_name, const AgentAttemptRequest& request) override;
  VerifyResult run_verify(const VerifyRequest& request) override;
  void cancel(const std::string& task_id) override;
  void cancel_within(const std::string& task_id, std::chrono::milliseconds kill_after) override;
  std::vector<std::string> running_tasks() override;
  void terminate_all() override;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::deque<ScriptedAttempt>> scripts_;
  std::map<std::string, std::deque<bool>> verifies_;
  std::map<std::string, std::vector<AgentAttemptRequest>> requests_;
  std::set<std::string> running_;
  std::set<std::string> cancelled_;
  std::set<std::string> finished_;
  std::set<std::string> ever_cancelled_;
  std::map<std::string, int> at_once_, most_at_once_;
  bool terminated_ = false;
  int verify_count_ = 0;
};

}  // namespace drover::testing

#endif
