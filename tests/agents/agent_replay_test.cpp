// Every agent CLI plugin against the captured output of the real CLI, replayed
// by the fake agent through the real ProcessRunner: success, errors, limits,
// damaged output, hangs.
#include "agent_harness.h"

namespace drover::testing {
namespace {

constexpr const char* kClaudeSession = "16372856-d256-41d8-9658-89ac8b799092";
constexpr const char* kCodexThread = "01a21663-856c-7033-b6bf-0136a93e89c9";
constexpr const char* kOpencodeSession = "ses_de99c4fd1ffeMINIdPvO7cA7Zl";

struct ReplayCase {
  std::string name;
  Scenario scenario;
  std::string outcome;
  std::vector<std::string> reason_has;  // substrings of the reason
  std::string session_id;               // expected, if not empty
};

AgentAttemptResult run_case(const std::string& plugin_name, const ReplayCase& c, AttemptWorkspace& ws) {
  Agent agent(plugin_name, binary_yaml(ws, c.scenario));
  EXPECT_TRUE(agent.ok()) << agent.error();
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, c.outcome) << c.name << ": " << r.reason;
  for (const auto& part : c.reason_has) EXPECT_NE(r.reason.find(part), std::string::npos) << c.name << ": " << r.reason;
  if (!c.session_id.empty()) {
    EXPECT_EQ(r.session_id, c.session_id) << c.name;
  }
  if (c.outcome == "success") {
    EXPECT_EQ(r.reason, "") << c.name;
  }
  return r;
}

void run_cases(const std::string& plugin_name, const std::vector<ReplayCase>& cases) {
  for (const ReplayCase& c : cases) {
    SCOPED_TRACE(plugin_name + " / " + c.name);
    AttemptWorkspace ws;
    run_case(plugin_name, c, ws);
  }
}

// ------------------------------------------------------------------ claude

TEST(ClaudeReplay, SuccessCarriesSessionTurnsTokensCostAndSummary) {
  AttemptWorkspace ws;
  AgentAttemptResult r = run_case("claude", {"success", replay("claude_stream_json.jsonl"), "success", {}, kClaudeSession}, ws);
  EXPECT_EQ(r.turns, 2);
  EXPECT_EQ(r.tokens_in, 200);
  EXPECT_EQ(r.tokens_out, 40);
  EXPECT_DOUBLE_EQ(r.cost_usd.value_or(-1), 0.002);
  EXPECT_EQ(r.summary, "done");
  EXPECT_EQ(r.exit_code, 0);
}

TEST(ClaudeReplay, CapturedRuns) {
  run_cases("claude", {
      {"2.1.332 key order", replay("claude_2.1.332_stream_json.jsonl"), "success", {}, "8e81d110-371e-4f90-b1e6-e4ecc594b428"},
      {"output-format json", replay("claude_output_format_json.json"), "success", {}, "1a5bfc2e-fe53-4e6b-b205-335b51e784c4"},
      {"api error", replay("claude_stream_json_api_error.jsonl", "", 1), "permanent",
       {"(HTTP 400)", "scripted failure from fake server"}, "c0c69c1d-05a0-49d1-9191-3fe34fd95759"},
      {"max turns", replay("claude_stream_json_max_turns.jsonl", "", 1), "failure",
       {"stopped at its turn limit (max_turns 1) before it finished"}, "9fef2179-ed76-44b5-bb95-42b72653c616"},
      {"permission denied", replay("claude_stream_json_permission_denied.jsonl"), "blocked",
       {"denied permission for: Bash (python3 -c"}, "6e69e876-da5f-449a-98f9-b42dd6666857"},
  });
}

TEST(ClaudeReplay, QuotaWithAndWithoutResetTime) {
  AttemptWorkspace ws;
  AgentAttemptResult r = run_case(
      "claude", {"429", replay("synthetic_claude_rate_limit_429.jsonl", "", 1), "quota", {"rate limit"}, ""}, ws);
  EXPECT_FALSE(r.reset_at_ms);
  AttemptWorkspace ws2;
  r = run_case("claude",
               {"usage limit", replay("synthetic_claude_usage_limit_reset.jsonl", "", 1), "quota", {"usage limit reached"}, ""},
               ws2);
  EXPECT_EQ(r.reset_at_ms, 1795680000000);
  AttemptWorkspace ws3;
  r = run_case("claude",
               {"limit on stderr only",
                replay("claude_stream_json.jsonl", "drop_last", 1).with_stderr("API Error: 429 rate_limit_error, retry after 60 seconds"),
                "quota", {"429"}, kClaudeSession},
               ws3);
  ASSERT_TRUE(r.reset_at_ms);
  EXPECT_NEAR(static_cast<double>(*r.reset_at_ms - std::chrono::duration_cast<std::chrono::milliseconds>(
                                                       std::chrono::system_clock::now().time_since_epoch()).count()),
              60000.0, 10000.0);
}

TEST(ClaudeReplay, DamagedOutput) {
  run_cases("claude", {
      {"malformed lines around events", replay("claude_stream_json.jsonl", "malformed"), "success", {}, kClaudeSession},
      {"lines in pieces with stderr between", replay("claude_stream_json.jsonl", "interleave"), "success", {}, kClaudeSession},
      {"result line truncated", replay("claude_stream_json.jsonl", "truncate"), "crashed",
       {"Claude Code exited with code 0 without a result event"}, kClaudeSession},
      {"no result event, exit 1", replay("claude_stream_json.jsonl", "drop_last", 1).with_stderr("Segmentation fault"),
       "crashed", {"exited with code 1 without a result event", "Segmentation fault"}, kClaudeSession},
      {"nothing at all", Scenario().with_exit(127).with_stderr("claude: command not found"), "crashed",
       {"exited with code 127", "command not found"}, ""},
  });
}

// ------------------------------------------------------------------ amp (Claude's stream-json format)

TEST(AmpReplay, CapturedRuns) {
  run_cases("amp", {
      {"success", replay("claude_stream_json.jsonl"), "success", {}, kClaudeSession},
      {"api error", replay("claude_stream_json_api_error.jsonl", "", 1), "permanent", {"Amp got an error", "HTTP 400"}, ""},
      {"max turns", replay("claude_stream_json_max_turns.jsonl", "", 1), "failure", {"turn limit"}, ""},
      {"permission denied", replay("claude_stream_json_permission_denied.jsonl"), "blocked", {"Bash"}, ""},
      {"rate limit", replay("synthetic_claude_rate_limit_429.jsonl", "", 1), "quota", {}, ""},
      {"no result event", replay("claude_stream_json.jsonl", "drop_last", 1), "crashed",
       {"Amp exited with code 1 without a result event"}, kClaudeSession},
      {"malformed", replay("claude_stream_json.jsonl", "malformed"), "success", {}, kClaudeSession},
      {"interleaved", replay("claude_stream_json.jsonl", "interleave"), "success", {}, kClaudeSession},
      {"truncated", replay("claude_stream_json.jsonl", "truncate"), "crashed", {"Amp exited with code 0 without a result event"}, ""},
  });
}

// ------------------------------------------------------------------ codex

TEST(AmpReplay, UsageLimitWithResetTime) {
  AttemptWorkspace ws;
  AgentAttemptResult r = run_case(
      "amp", {"usage limit", replay("synthetic_claude_usage_limit_reset.jsonl", "", 1), "quota", {"Amp hit"}, ""}, ws);
  EXPECT_EQ(r.reset_at_ms, 1795680000000);
}

TEST(CodexReplay, SuccessCarriesThreadTurnsAndTokens) {
  AttemptWorkspace ws;
  AgentAttemptResult r = run_case("codex", {"success", replay("codex_exec_json.jsonl"), "success", {}, kCodexThread}, ws);
  EXPECT_EQ(r.turns, 1);
  EXPECT_EQ(r.tokens_in, 200);
  EXPECT_EQ(r.tokens_out, 40);
  EXPECT_EQ(r.summary, "done");
  EXPECT_FALSE(r.cost_usd);
}

TEST(CodexReplay, CapturedAndSyntheticRuns) {
  run_cases("codex", {
      {"apply_patch", replay("codex_exec_json_apply_patch.jsonl"), "success", {}, "01a21663-9077-7231-bd5b-70cf215658ab"},
      {"turn failed with a 400", replay("codex_exec_json_error.jsonl", "", 1), "permanent",
       {"cannot change: scripted failure from fake server (invalid_request_error)"}, "01a21663-9d67-7302-9410-478af397f504"},
      {"429", replay("synthetic_codex_rate_limit_429.jsonl", "", 1), "quota", {"429 Too Many Requests"}, ""},
      {"malformed", replay("codex_exec_json.jsonl", "malformed"), "success", {}, kCodexThread},
      {"interleaved", replay("codex_exec_json.jsonl", "interleave"), "success", {}, kCodexThread},
      {"truncated", replay("codex_exec_json.jsonl", "truncate"), "crashed", {"without a turn.completed event"}, kCodexThread},
      {"no turn.completed, exit 1", replay("codex_exec_json.jsonl", "drop_last", 1), "crashed", {"exited with code 1"}, kCodexThread},
  });
}

TEST(CodexReplay, UsageLimitWithResetTime) {
  AttemptWorkspace ws;
  int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  AgentAttemptResult r = run_case(
      "codex", {"usage limit", replay("synthetic_codex_usage_limit_reset.jsonl", "", 1), "quota", {"usage limit"}, ""}, ws);
  ASSERT_TRUE(r.reset_at_ms);
  EXPECT_GE(*r.reset_at_ms, before + (2 * 3600 + 5 * 60) * 1000);
  EXPECT_LT(*r.reset_at_ms, before + (2 * 3600 + 5 * 60 + 30) * 1000);
}

// ------------------------------------------------------------------ opencode

TEST(OpencodeReplay, SuccessCarriesSessionStepsTokensAndCost) {
  AttemptWorkspace ws;
  AgentAttemptResult r =
      run_case("opencode", {"success", replay("opencode_run_format_json.jsonl"), "success", {}, kOpencodeSession}, ws);
  EXPECT_EQ(r.turns, 2);
  EXPECT_EQ(r.tokens_in, 200);
  EXPECT_EQ(r.tokens_out, 40);
  EXPECT_EQ(r.cost_usd, 0.0);
  EXPECT_EQ(r.summary, "done");
}

TEST(OpencodeReplay, ErrorsAndDamagedOutput) {
  run_cases("opencode", {
      {"auth error", replay("synthetic_opencode_auth_error.jsonl", "", 1), "permanent",
       {"ProviderAuthError: invalid x-api-key"}, kOpencodeSession},
      {"429 without a time", replay("synthetic_opencode_rate_limit_no_reset.jsonl", "", 1), "quota",
       {"Too Many Requests"}, kOpencodeSession},
      {"malformed", replay("opencode_run_format_json.jsonl", "malformed"), "success", {}, kOpencodeSession},
      {"interleaved", replay("opencode_run_format_json.jsonl", "interleave"), "success", {}, kOpencodeSession},
      {"final step truncated", replay("opencode_run_format_json.jsonl", "truncate", 1), "failure",
       {"in the middle of its work"}, kOpencodeSession},
      {"nothing at all", Scenario().with_exit(1).with_stderr("Error: no provider configured"), "crashed",
       {"opencode exited with code 1 without a finished step", "no provider configured"}, ""},
  });
}

TEST(OpencodeReplay, RateLimitWithResetTime) {
  AttemptWorkspace ws;
  int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  AgentAttemptResult r = run_case(
      "opencode", {"rate limit", replay("synthetic_opencode_rate_limit.jsonl", "", 1), "quota", {"Rate limit exceeded"}, kOpencodeSession}, ws);
  ASSERT_TRUE(r.reset_at_ms);
  EXPECT_GE(*r.reset_at_ms, before + 30000);
  EXPECT_LT(*r.reset_at_ms, before + 60000);
}

// ------------------------------------------------------------------ every plugin

const std::vector<std::pair<std::string, std::string>>& cli_plugins() {
  static const std::vector<std::pair<std::string, std::string>> p = {
      {"claude", "claude_stream_json.jsonl"},
      {"amp", "claude_stream_json.jsonl"},
      {"codex", "codex_exec_json.jsonl"},
      {"opencode", "opencode_run_format_json.jsonl"},
  };
  return p;
}

TEST(AgentReplay, HangIsKilledWithItsGrandchildrenAtTheTimeout) {
  for (const auto& [name, fixture_file] : cli_plugins()) {
    SCOPED_TRACE(name);
    AttemptWorkspace ws;
    Agent agent(name, binary_yaml(ws, replay(fixture_file, "drop_last,hang")));
    auto t0 = std::chrono::steady_clock::now();
    AgentAttemptResult r = ws.run(agent, "p", std::chrono::milliseconds(1200));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
    EXPECT_EQ(r.outcome, "timeout") << r.reason;
    EXPECT_TRUE(r.timed_out);
    EXPECT_NE(r.reason.find("timeout"), std::string::npos) << r.reason;
    EXPECT_TRUE(r.session_id) << "the session seen before the hang is kept for a resume";
    pid_t grandchild = std::stoi(slurp(ws.record() / "grandchild.pid"));
    EXPECT_TRUE(process_gone(grandchild, std::chrono::seconds(3))) << "grandchild " << grandchild;
  }
}

TEST(AgentReplay, TrickyPromptArrivesAsOneArgumentAfterDoubleDash) {
  for (const auto& [name, fixture_file] : cli_plugins()) {
    SCOPED_TRACE(name);
    AttemptWorkspace ws;
    Agent agent(name, binary_yaml(ws, replay(fixture_file)));
    AgentAttemptResult r = ws.run(agent, tricky_prompt());
    EXPECT_EQ(r.outcome, "success") << r.reason;
    json argv = ws.recorded_argv();
    if (name == "amp") {  // amp always reads the prompt on stdin
      EXPECT_EQ(ws.recorded_stdin(), tricky_prompt());
      continue;
    }
    ASSERT_GE(argv.size(), 2u);
    EXPECT_EQ(argv[argv.size() - 1], tricky_prompt());
    EXPECT_EQ(argv[argv.size() - 2], "--");
    EXPECT_EQ(ws.recorded_stdin(), "");
  }
}

TEST(AgentReplay, OneMegabytePromptGoesOnStdinIntact) {
  std::string prompt = huge_prompt();
  for (const auto& [name, fixture_file] : cli_plugins()) {
    SCOPED_TRACE(name);
    AttemptWorkspace ws;
    Agent agent(name, binary_yaml(ws, replay(fixture_file)));
    AgentAttemptResult r = ws.run(agent, prompt);
    EXPECT_EQ(r.outcome, "success") << r.reason;
    EXPECT_EQ(ws.recorded_stdin(), prompt);
    EXPECT_EQ(slurp(ws.prompt_file()), prompt);
    for (const json& a : ws.recorded_argv()) EXPECT_LT(a.get<std::string>().size(), 1000u);
  }
}

TEST(ExecReplay, ScriptWithProgressThenStatusLine) {
  AttemptWorkspace ws;
  Agent agent("exec", "command: [" + q(fake_agent()) + "]\n" + ws.env_yaml(replay("synthetic_exec_status_blocked.jsonl")));
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, "blocked");
  EXPECT_EQ(r.reason, "needs credentials");
  EXPECT_EQ(r.summary, "stopped before deploying");
}

TEST(ExecReplay, StatusLineSurvivesDamagedOutputAround) {
  struct Case {
    std::string mode;
    int exit_code;
    std::string outcome;
  } cases[] = {{"malformed", 0, "blocked"}, {"interleave", 0, "blocked"}, {"big", 0, "blocked"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mode);
    AttemptWorkspace ws;
    Agent agent("exec", "command: [" + q(fake_agent()) + "]\n" +
                            ws.env_yaml(replay("codex_exec_json.jsonl", c.mode, c.exit_code)
                                            .with_status(R"({"status":"blocked","reason":"needs credentials"})")));
    AgentAttemptResult r = ws.run(agent);
    EXPECT_EQ(r.outcome, c.outcome) << r.reason;
    EXPECT_EQ(r.reason, "needs credentials");
  }
  // A status line cut short is no status line: the exit code decides.
  AttemptWorkspace ws;
  Agent agent("exec", "command: [" + q(fake_agent()) + "]\n" +
                          ws.env_yaml(replay("synthetic_exec_status_blocked.jsonl", "truncate", 5)));
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, "failure");
  EXPECT_NE(r.reason.find("exited with code 5"), std::string::npos) << r.reason;
}

TEST(AgentReplaySlow, MultiMegabyteOutputStillClassifies) {
  for (const auto& [name, fixture_file] : cli_plugins()) {
    SCOPED_TRACE(name);
    AttemptWorkspace ws;
    Agent agent(name, binary_yaml(ws, replay(fixture_file, "big")));
    AgentAttemptResult r = ws.run(agent);
    EXPECT_EQ(r.outcome, "success") << r.reason;
    EXPECT_GT(fs::file_size(ws.log()), 9000000u);  // 6 MB of events and a 3 MB line
  }
}

}  // namespace
}  // namespace drover::testing
