// The exec agent plugin: config validation, placeholder substitution, and
// classification by exit code or a final JSON status line.
#include "agent_harness.h"

namespace drover::testing {
namespace {

std::string exec_yaml(const AttemptWorkspace& ws, const Scenario& s, const std::string& extra = "",
                      const std::vector<std::string>& args = {}) {
  std::string cmd = "command: [" + q(fake_agent());
  for (const auto& a : args) cmd += ", " + q(a);
  return cmd + "]\n" + ws.env_yaml(s) + extra;
}

TEST(ExecAgentConfig, CommandIsRequired) {
  CallResult r = check_config("exec", "env: {A: b}\n");
  EXPECT_EQ(r.status, DROVER_INVALID_CONFIG);
  EXPECT_NE(r.error.find("'command' is required"), std::string::npos) << r.error;
  EXPECT_EQ(check_config("exec", "command: []\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(check_config("exec", "command: ./x.sh\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(check_config("exec", "command: [./x.sh]\n").status, DROVER_OK);
}

TEST(ExecAgentConfig, UnknownKeysNameTheClosestKnownKey) {
  CallResult r = check_config("exec", "command: [a]\nprompt_on_stdn: true\n");
  EXPECT_EQ(r.status, DROVER_INVALID_CONFIG);
  EXPECT_NE(r.error.find("unknown config key 'prompt_on_stdn'"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("did you mean 'prompt_on_stdin'"), std::string::npos) << r.error;
  r = check_config("exec", "comand: [a]\n");
  EXPECT_NE(r.error.find("did you mean 'command'"), std::string::npos) << r.error;
}

TEST(ExecAgentConfig, BadValuesAreRejected) {
  EXPECT_EQ(check_config("exec", "command: [a]\nprompt_on_stdin: maybe\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(check_config("exec", "command: [a]\nenv: {\"BAD=NAME\": x}\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(check_config("exec", "command: [a]\npass_env: [\"MY_*\", OK_NAME]\n").status, DROVER_OK);
  EXPECT_EQ(check_config("exec", "command: [a\n").status, DROVER_INVALID_CONFIG);
  Agent bad("exec", "command: 3\n");
  EXPECT_EQ(bad.status(), DROVER_INVALID_CONFIG);
}

TEST(ExecAgentCommand, PlaceholdersAreReplacedInsideElementsNeverSplit) {
  Agent agent("exec",
              "command: [run, \"--file={prompt_file}\", \"{task_id}\", \"{worktree}\", \"{attempt}\", \"{unknown}\", "
              "\"{prompt}\", \"x{task_id}y{attempt}z\", \"{session_id}\", \"{\", \"}{\"]\n");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request("a b {task_id} $(x)", "S-1"));
  EXPECT_EQ(cmd["argv"], json({"run", "--file=/w/.drover/prompts/T-7/2.md", "T-7", "/w/.drover/worktrees/T-7", "2",
                               "{unknown}", "a b {task_id} $(x)", "xT-7y2z", "S-1", "{", "}{"}));
  EXPECT_EQ(cmd["stdin"], "null");
  EXPECT_EQ(cmd["env"], json::object());
}

TEST(ExecAgentCommand, EnvPassEnvAndStdin) {
  Agent agent("exec", "command: [run]\nenv: {A: \"1 2\"}\npass_env: [MY_TOKEN, \"MY_PREFIX_*\"]\nprompt_on_stdin: true\n");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request());
  EXPECT_EQ(cmd["env"], json({{"A", "1 2"}}));
  EXPECT_EQ(cmd["pass_env"], json({"MY_TOKEN", "MY_PREFIX_*"}));
  EXPECT_EQ(cmd["stdin"], "prompt");
}

TEST(ExecAgent, ExitZeroIsSuccess) {
  AttemptWorkspace ws;
  Agent agent("exec", exec_yaml(ws, {}));
  ASSERT_TRUE(agent.ok()) << agent.error();
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, "success") << r.reason;
  EXPECT_EQ(r.exit_code, 0);
}

TEST(ExecAgent, NonZeroExitIsFailureWithItsStderr) {
  AttemptWorkspace ws;
  Agent agent("exec", exec_yaml(ws, Scenario().with_exit(3).with_stderr("tests failed: 2 of 10")));
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, "failure");
  EXPECT_NE(r.reason.find("exited with code 3"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("tests failed: 2 of 10"), std::string::npos) << r.reason;
  EXPECT_EQ(r.exit_code, 3);
}

TEST(ExecAgent, StatusLineDecides) {
  struct Case {
    std::string line;
    int exit_code;
    std::string outcome;
  } cases[] = {
      {R"({"status":"failure","reason":"could not compile"})", 0, "failure"},
      {R"({"status":"blocked","reason":"needs a human"})", 0, "blocked"},
      {R"({"status":"success","summary":"did it"})", 1, "success"},
      {R"({"status":"bogus"})", 0, "success"},  // not a status line: exit code decides
      {R"(status: failure)", 0, "success"},
  };
  for (const Case& c : cases) {
    AttemptWorkspace ws;
    Agent agent("exec", exec_yaml(ws, Scenario().with_exit(c.exit_code).with_status(c.line)));
    AgentAttemptResult r = ws.run(agent);
    EXPECT_EQ(r.outcome, c.outcome) << c.line << " -> " << r.reason;
  }
}

TEST(ExecAgent, StatusLineCarriesUsageAndQuota) {
  AttemptWorkspace ws;
  Agent agent("exec", exec_yaml(ws, Scenario().with_status(R"({"status":"success","summary":"ok","cost_usd":0.25,)"
                                                        R"("tokens_in":1000,"tokens_out":50,"session_id":"s-9","turns":4})")));
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, "success");
  EXPECT_EQ(r.summary, "ok");
  EXPECT_EQ(r.cost_usd, 0.25);
  EXPECT_EQ(r.tokens_in, 1000);
  EXPECT_EQ(r.tokens_out, 50);
  EXPECT_EQ(r.session_id, "s-9");
  EXPECT_EQ(r.turns, 4);

  AttemptWorkspace ws2;
  Agent quota("exec", exec_yaml(ws2, Scenario().with_exit(2).with_status(R"({"status":"quota","reason":"limit","reset_at_ms":1795680000000})")));
  r = ws2.run(quota);
  EXPECT_EQ(r.outcome, "quota");
  EXPECT_EQ(r.reset_at_ms, 1795680000000);

  AttemptWorkspace ws3;
  Agent quota2("exec", exec_yaml(ws3, Scenario().with_status(R"({"status":"quota","reason":"resets at 2026-11-27T08:00:00Z"})")));
  r = ws3.run(quota2);
  EXPECT_EQ(r.outcome, "quota");
  EXPECT_EQ(r.reset_at_ms, 1795766400000);

  AttemptWorkspace ws4;
  Agent quota3("exec", exec_yaml(ws4, Scenario().with_status(R"({"status":"quota"})")));
  r = ws4.run(quota3);
  EXPECT_EQ(r.outcome, "quota");
  EXPECT_FALSE(r.reset_at_ms);
  EXPECT_FALSE(r.reason.empty());
}

TEST(ExecAgent, TimeoutKillsTheGroupIncludingGrandchildren) {
  AttemptWorkspace ws;
  Agent agent("exec", exec_yaml(ws, Scenario().with_mode("hang")));
  auto t0 = std::chrono::steady_clock::now();
  AgentAttemptResult r = ws.run(agent, "x", std::chrono::milliseconds(1500));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(r.outcome, "timeout") << r.reason;
  EXPECT_TRUE(r.timed_out);
  pid_t grandchild = std::stoi(slurp(ws.record() / "grandchild.pid"));
  EXPECT_TRUE(process_gone(grandchild, std::chrono::seconds(3)));
}

TEST(ExecAgent, TrickyPromptArrivesIntactAsArgvAndOnStdin) {
  AttemptWorkspace ws;
  Agent agent("exec", exec_yaml(ws, {}, "prompt_on_stdin: true\n", {"{prompt}", "{prompt_file}"}));
  AgentAttemptResult r = ws.run(agent, tricky_prompt());
  EXPECT_EQ(r.outcome, "success") << r.reason;
  EXPECT_EQ(ws.recorded_argv(), json({tricky_prompt(), ws.prompt_file().string()}));
  EXPECT_EQ(ws.recorded_stdin(), tricky_prompt());
  EXPECT_EQ(slurp(ws.prompt_file()), tricky_prompt());
}

TEST(ExecAgent, OneMegabytePromptOnStdinAndInTheFile) {
  AttemptWorkspace ws;
  Agent agent("exec", exec_yaml(ws, {}, "prompt_on_stdin: true\n"));
  std::string prompt = huge_prompt();
  AgentAttemptResult r = ws.run(agent, prompt);
  EXPECT_EQ(r.outcome, "success") << r.reason;
  EXPECT_EQ(ws.recorded_stdin(), prompt);
  EXPECT_EQ(slurp(ws.prompt_file()), prompt);
}

TEST(ExecAgent, OneMegabytePromptAsOneArgvElementIsACrashWithAClearReason) {
  AttemptWorkspace ws;
  Agent agent("exec", exec_yaml(ws, {}, "", {"{prompt}"}));
  AgentAttemptResult r = ws.run(agent, huge_prompt());
  EXPECT_EQ(r.outcome, "crashed");
  EXPECT_NE(r.reason.find("Linux limits one argument"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("task T-1 attempt 1"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace drover::testing
