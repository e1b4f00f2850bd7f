// Issue 14: the agent plugins under the failures real CLIs show (captured in
// /work/shared/agent-output, replayed by the fake agent through the real
// ProcessRunner): usage limits with and without a reset time, Claude Code's
// own rate-limit retries, permanent model API errors, turn limits and the
// noise a failure reason must leave out.
#include "agent_harness.h"

namespace drover::testing {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AgentAttemptResult run_with(const std::string& plugin_name, const Scenario& s, AttemptWorkspace& ws,
                            const std::string& extra_yaml = "",
                            std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  Agent agent(plugin_name, binary_yaml(ws, s, extra_yaml));
  EXPECT_TRUE(agent.ok()) << agent.error();
  return ws.run(agent, "Write hello.txt", timeout);
}

// ------------------------------------------------------------------ Claude Code's api_retry events

TEST(ClaudeRetries, RetriesPastTheCountStopTheAttemptAsAQuotaPause) {
  // Claude Code announced its 4th retry of a 429 and sleeps: the plugin asks
  // to stop (run_should_stop), the host ends it at once, no timeout is waited.
  AttemptWorkspace ws;
  auto t0 = std::chrono::steady_clock::now();
  int64_t before = wall_ms();
  AgentAttemptResult r = run_with("claude", replay("synthetic_claude_api_retry_pending.jsonl", "hang"), ws);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8));
  EXPECT_EQ(r.outcome, "quota") << r.reason;
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.cancelled) << "a plugin's stop is not the user's cancel";
  EXPECT_NE(r.reason.find("HTTP 429, rate limit) and retried 4 times by itself, the next retry in 4.1s"),
            std::string::npos)
      << r.reason;
  ASSERT_TRUE(r.reset_at_ms);
  EXPECT_GE(*r.reset_at_ms, before + 4000);
  EXPECT_LT(*r.reset_at_ms, before + 15000);
  EXPECT_EQ(r.session_id, "6eaa2a61-e92d-4c35-bf5e-f7d3c1b01db1");
  // Stopped as fast as it may be before its sleeping child even started.
  if (std::string pid = slurp(ws.record() / "grandchild.pid"); !pid.empty())
    EXPECT_TRUE(process_gone(std::stoi(pid), std::chrono::seconds(3)));
}

TEST(ClaudeRetries, ALongAnnouncedDelayStopsAtOnceWithThatDelay) {
  AttemptWorkspace ws;
  int64_t before = wall_ms();
  AgentAttemptResult r = run_with("claude", replay("synthetic_claude_api_retry_long_delay.jsonl", "hang"), ws);
  EXPECT_EQ(r.outcome, "quota") << r.reason;
  ASSERT_TRUE(r.reset_at_ms);
  EXPECT_GE(*r.reset_at_ms, before + 60000);
  EXPECT_LT(*r.reset_at_ms, before + 70000);
}

TEST(ClaudeRetries, ThresholdsAreConfigurable) {
  // Both thresholds off: Claude Code is left to retry, the task timeout ends
  // it, and the pending retry still makes it a quota pause, not a timeout.
  AttemptWorkspace ws;
  AgentAttemptResult r = run_with("claude", replay("synthetic_claude_api_retry_pending.jsonl", "hang"), ws,
                                  "stop_after_api_retries: 0\nstop_at_api_retry_delay: \"0\"\n",
                                  std::chrono::milliseconds(1500));
  EXPECT_EQ(r.outcome, "quota") << r.reason;
  EXPECT_TRUE(r.timed_out);
  EXPECT_NE(r.reason.find("the attempt's time ran out while it waited"), std::string::npos) << r.reason;

  Agent bad("claude", "stop_at_api_retry_delay: soon\n");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("'stop_at_api_retry_delay' is 'soon', not a duration; write it like 500ms, 10s"),
            std::string::npos)
      << bad.error();
}

TEST(ClaudeRetries, TheCapturedRunThatRetriedTenTimesIsAQuotaWithTheLastAnnouncedRetry) {
  AttemptWorkspace ws;
  AgentAttemptResult r = run_with("claude", replay("claude_2.1.197_api_retry_429.jsonl", "", 1), ws,
                                  "stop_after_api_retries: 0\nstop_at_api_retry_delay: \"0\"\n");
  EXPECT_EQ(r.outcome, "quota") << r.reason;
  EXPECT_NE(r.reason.find("rate limit"), std::string::npos) << r.reason;
  ASSERT_TRUE(r.reset_at_ms) << "the last api_retry announced a retry 36 s ahead";
  EXPECT_GT(*r.reset_at_ms, wall_ms() + 20000);
}

TEST(ClaudeRetries, ARejectedRateLimitEventGivesTheExactReset) {
  // The text names a clock time in a foreign zone (unusable); resetsAt is exact.
  AttemptWorkspace ws;
  AgentAttemptResult r = run_with("claude", replay("synthetic_claude_rate_limit_event.jsonl", "", 1), ws);
  EXPECT_EQ(r.outcome, "quota") << r.reason;
  EXPECT_EQ(r.reset_at_ms, 1795680000000);
}

// ------------------------------------------------------------------ usage limits (captured)

// A captured limit replayed (exit 1): a quota, whatever its reset.
AgentAttemptResult limit_case(const std::string& plugin_name, const std::string& fixture_name) {
  AttemptWorkspace ws;
  AgentAttemptResult r = run_with(plugin_name, replay(fixture_name, "", 1), ws);
  EXPECT_EQ(r.outcome, "quota") << r.reason;
  return r;
}

TEST(UsageLimits, CodexClockTimeIsTheEndOfItsMinuteNeverTomorrow) {
  int64_t before = wall_ms();
  AgentAttemptResult r = limit_case("codex", "codex_0.169_usage_limit.jsonl");
  // 11:08 PM local: never more than a day ahead; when it has just passed it
  // stays in the past (the engine then backs off by a growing step).
  ASSERT_TRUE(r.reset_at_ms);
  EXPECT_LT(*r.reset_at_ms, before + 86400000);
  EXPECT_NE(r.reason.find("try again at 11:08 PM"), std::string::npos) << r.reason;
}

TEST(UsageLimits, CodexRateLimitWithoutAResetIsAQuotaWithoutOne) {
  AgentAttemptResult r = limit_case("codex", "codex_0.169_rate_limit_429.jsonl");
  EXPECT_FALSE(r.reset_at_ms);
  EXPECT_FALSE(r.cost_usd) << "Codex reports no cost: null, not 0";
}

TEST(UsageLimits, OpencodeTakesTheLatestResetItsResponseNames) {
  // retry-after: 2 in the headers, "try again in 20s" in the message: 20 s.
  int64_t before = wall_ms();
  AgentAttemptResult r = limit_case("opencode", "opencode_1.18_rate_limit_429.jsonl");
  ASSERT_TRUE(r.reset_at_ms);
  EXPECT_GE(*r.reset_at_ms, before + 20000);
  EXPECT_LT(*r.reset_at_ms, before + 30000);
}

// ------------------------------------------------------------------ permanent errors

TEST(PermanentErrors, EveryAgentFailsAt400WithTheAgentsMessage) {
  struct Case {
    std::string plugin, fixture, says;
  };
  for (const Case& c : std::vector<Case>{
           {"claude", "claude_stream_json_api_error.jsonl", "scripted failure from fake server"},
           {"amp", "claude_stream_json_api_error.jsonl", "scripted failure from fake server"},
           {"codex", "codex_exec_json_error.jsonl", "scripted failure from fake server"},
           {"opencode", "synthetic_opencode_bad_request.jsonl", "model 'fake-model-x' does not exist"},
       }) {
    SCOPED_TRACE(c.plugin);
    AttemptWorkspace ws;
    AgentAttemptResult r = run_with(c.plugin, replay(c.fixture, "", 1), ws);
    EXPECT_EQ(r.outcome, "permanent") << r.reason;
    EXPECT_NE(r.reason.find(c.says), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("a retry cannot change"), std::string::npos) << r.reason;
  }
}

TEST(PermanentErrors, RateLimitsAndServerErrorsAreNotPermanent) {
  AttemptWorkspace ws;
  EXPECT_EQ(run_with("opencode", replay("synthetic_opencode_rate_limit_no_reset.jsonl", "", 1), ws).outcome, "quota");
  AttemptWorkspace ws2;
  AgentAttemptResult r = run_with(
      "codex", replay("codex_exec_json.jsonl", "drop_last", 1).with_stderr("stream error: 502 Bad Gateway"), ws2);
  EXPECT_EQ(r.outcome, "crashed") << r.reason;
}

// ------------------------------------------------------------------ max_turns and messages

TEST(Messages, MaxTurnsSaysOneNumberAndMarksTheStop) {
  AttemptWorkspace ws;
  AgentAttemptResult r = run_with("claude", replay("claude_stream_json_max_turns.jsonl", "", 1), ws, "max_turns: 1\n");
  EXPECT_EQ(r.outcome, "failure");
  EXPECT_EQ(r.stop_reason, "max_turns");
  EXPECT_EQ(r.reason, "Claude Code stopped at its turn limit (max_turns 1) before it finished; raise max_turns or "
                      "split the task");
}

TEST(Messages, FailureReasonsLeaveOutCodexNoise) {
  AttemptWorkspace ws;
  AgentAttemptResult r = run_with(
      "codex",
      replay("codex_exec_json.jsonl", "drop_last", 1)
          .with_stderr("WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper "
                       "binaries under temporary dir \"/tmp\"\nReading additional input from stdin...\nthread panicked"),
      ws);
  EXPECT_EQ(r.outcome, "crashed");
  EXPECT_EQ(r.reason.find("WARNING"), std::string::npos) << r.reason;
  EXPECT_EQ(r.reason.find("Reading additional input"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("thread panicked"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace drover::testing
