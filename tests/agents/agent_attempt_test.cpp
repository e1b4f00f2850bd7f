// run_agent_attempt, the host side of the agent contract: prompt file, child
// environment, log, cancellation, and every failure turned into "crashed".
#include <future>

#include "agent_harness.h"

namespace drover::testing {
namespace {

TEST(AgentAttempt, WritesThePromptFileSetsDroverEnvironmentAndRunsInTheWorktree) {
  ::setenv("DROVER_TEST_UNRELATED_SECRET", "do-not-pass", 1);
  ::setenv("DROVER_TEST_AGENT_KEY", "key-123", 1);
  AttemptWorkspace ws;
  Agent agent("exec", "command: [" + q(fake_agent()) + "]\n" + ws.env_yaml({}, {{"FROM_CONFIG", "v"}}) +
                          "pass_env: [DROVER_TEST_AGENT_KEY]\n");
  ASSERT_TRUE(agent.ok()) << agent.error();
  AgentAttemptResult r = ws.run(agent, "the prompt\n");
  EXPECT_EQ(r.outcome, "success") << r.reason;
  EXPECT_EQ(slurp(ws.prompt_file()), "the prompt\n");
  json env = ws.recorded_env();
  EXPECT_EQ(env["DROVER_TASK_ID"], "T-1");
  EXPECT_EQ(env["DROVER_ATTEMPT"], "1");
  EXPECT_EQ(env["DROVER_WORKTREE"], ws.worktree().string());
  EXPECT_EQ(env["DROVER_PROMPT_FILE"], ws.prompt_file().string());
  EXPECT_EQ(env["FROM_CONFIG"], "v");
  EXPECT_EQ(env["DROVER_TEST_AGENT_KEY"], "key-123");
  EXPECT_FALSE(env.contains("DROVER_TEST_UNRELATED_SECRET"));
  EXPECT_TRUE(env.contains("PATH"));
  EXPECT_EQ(slurp(ws.record() / "cwd.txt"), fs::canonical(ws.worktree()).string());
  EXPECT_EQ(r.log_file, ws.log().string());
}

TEST(AgentAttempt, LogFileHoldsTheAgentOutput) {
  AttemptWorkspace ws;
  Agent agent("claude", "binary: " + q(fake_agent()) + "\n" + ws.env_yaml(Scenario().with_fixture("claude_stream_json.jsonl")));
  ASSERT_TRUE(agent.ok()) << agent.error();
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, "success") << r.reason;
  EXPECT_EQ(slurp(ws.log()), slurp(fixture("claude_stream_json.jsonl")));
}

TEST(AgentAttempt, MissingProgramIsACrashNamingIt) {
  AttemptWorkspace ws;
  Agent agent("exec", "command: [/nonexistent/drover-agent-xyz, go]\n");
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, "crashed");
  EXPECT_NE(r.reason.find("cannot start '/nonexistent/drover-agent-xyz'"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("task T-1 attempt 1"), std::string::npos) << r.reason;
}

TEST(AgentAttempt, MissingWorktreeIsACrash) {
  AttemptWorkspace ws;
  Agent agent("exec", "command: [" + q(fake_agent()) + "]\n");
  fs::remove_all(ws.worktree());
  AgentAttemptResult r = ws.run(agent);
  EXPECT_EQ(r.outcome, "crashed");
  EXPECT_NE(r.reason.find("working directory"), std::string::npos) << r.reason;
}

// A vtable whose operations fail, standing in for a broken plugin.
struct BrokenPlugin {
  static drover_status refuse(drover_agent*, drover_str, drover_buffer*, drover_error* e) {
    test_host_api()->set_error(e, to_str("model 'x' is not available"));
    return DROVER_INVALID_CONFIG;
  }
  static drover_status bad_json(drover_agent*, drover_str, drover_buffer* out, drover_error*) {
    test_host_api()->buffer_append(out, to_str("{\"argv\": []}"));
    return DROVER_OK;
  }
  static drover_status echo_command(drover_agent*, drover_str, drover_buffer* out, drover_error*) {
    test_host_api()->buffer_append(out, to_str("{\"argv\": [\"true\"], \"stdin\": \"null\"}"));
    return DROVER_OK;
  }
  static drover_status begin(drover_agent*, drover_str, drover_agent_run** run, drover_error*) {
    *run = reinterpret_cast<drover_agent_run*>(new int(0));
    return DROVER_OK;
  }
  static drover_status line(drover_agent_run*, int32_t, drover_str, drover_error*) { return DROVER_OK; }
  static drover_status finish_throws(drover_agent_run*, drover_str, drover_buffer*, drover_error* e) {
    test_host_api()->set_error(e, to_str("parser exploded"));
    return DROVER_ERROR;
  }
  static drover_status finish_unknown(drover_agent_run*, drover_str, drover_buffer* out, drover_error*) {
    test_host_api()->buffer_append(out, to_str("{\"outcome\": \"great\"}"));
    return DROVER_OK;
  }
  static drover_status finish_with_nul(drover_agent_run*, drover_str, drover_buffer* out, drover_error*) {
    test_host_api()->buffer_append(out, to_str(R"({"outcome": "success", "summary": "done\u0000 here", "reason": "\u0000"})"));
    return DROVER_OK;
  }
  static void end(drover_agent_run* run) { delete reinterpret_cast<int*>(run); }

  static drover_agent_vtable_v1 vtable(decltype(drover_agent_vtable_v1::build_command) build,
                                       decltype(drover_agent_vtable_v1::run_finish) finish) {
    drover_agent_vtable_v1 v{};
    v.struct_size = sizeof(v);
    v.build_command = build;
    v.run_begin = &begin;
    v.run_line = &line;
    v.run_finish = finish;
    v.run_end = &end;
    return v;
  }
};

AgentAttemptResult run_with(const drover_agent_vtable_v1& v) {
  AttemptWorkspace ws;
  AgentAttemptRequest req;
  req.task_id = "T-9";
  req.attempt = 3;
  req.prompt = "p";
  req.prompt_file = (ws.worktree() / "p.md").string();
  req.worktree = ws.worktree().string();
  ProcessRunner runner;
  int dummy = 0;
  auto r = run_agent_attempt(v, reinterpret_cast<drover_agent*>(&dummy), req, runner);
  EXPECT_TRUE(r.ok());
  return r.value();
}

TEST(AgentAttempt, PluginErrorsBecomeCrashesWithTheirMessage) {
  AgentAttemptResult r = run_with(BrokenPlugin::vtable(&BrokenPlugin::refuse, &BrokenPlugin::finish_throws));
  EXPECT_EQ(r.outcome, "crashed");
  EXPECT_NE(r.reason.find("could not build the command for task T-9 attempt 3"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("model 'x' is not available"), std::string::npos) << r.reason;

  r = run_with(BrokenPlugin::vtable(&BrokenPlugin::bad_json, &BrokenPlugin::finish_throws));
  EXPECT_EQ(r.outcome, "crashed");
  EXPECT_NE(r.reason.find("no \"argv\""), std::string::npos) << r.reason;

  r = run_with(BrokenPlugin::vtable(&BrokenPlugin::echo_command, &BrokenPlugin::finish_throws));
  EXPECT_EQ(r.outcome, "crashed");
  EXPECT_NE(r.reason.find("parser exploded"), std::string::npos) << r.reason;
  EXPECT_EQ(r.exit_code, 0);

  r = run_with(BrokenPlugin::vtable(&BrokenPlugin::echo_command, &BrokenPlugin::finish_unknown));
  EXPECT_EQ(r.outcome, "crashed");
  EXPECT_NE(r.reason.find("\"great\""), std::string::npos) << r.reason;
}

// ABI 1.2's run_should_stop is read only when the plugin's vtable covers it: a
// plugin built for 1.0 has a shorter vtable, and whatever lies after it must
// never be called.
int32_t must_not_be_called(drover_agent_run*) {
  ADD_FAILURE() << "run_should_stop read past a 1.0 vtable";
  return 1;
}
drover_status one_line_command(drover_agent*, drover_str, drover_buffer* out, drover_error*) {
  test_host_api()->buffer_append(out, to_str("{\"argv\": [\"echo\", \"a line\"]}"));
  return DROVER_OK;
}
drover_status finish_success(drover_agent_run*, drover_str request, drover_buffer* out, drover_error*) {
  // The request says whether the host stopped the run at the plugin's word.
  bool stopped = std::string(request.data, request.size).find("\"stop_requested\":true") != std::string::npos;
  test_host_api()->buffer_append(out, to_str(stopped ? R"({"outcome": "quota"})" : R"({"outcome": "success"})"));
  return DROVER_OK;
}
int32_t stop_now(drover_agent_run*) { return 1; }

TEST(AgentAttempt, RunShouldStopIsProbedByStructSize) {
  drover_agent_vtable_v1 v = BrokenPlugin::vtable(&one_line_command, &finish_success);
  v.struct_size = DROVER_AGENT_VTABLE_V1_0_SIZE;
  v.run_should_stop = &must_not_be_called;
  AgentAttemptResult r = run_with(v);
  EXPECT_EQ(r.outcome, "success") << r.reason;

  // A 1.2 plugin that asks to stop: the host stops the run, tells the plugin,
  // and does not call it the user's cancel.
  v.struct_size = sizeof(v);
  v.run_should_stop = &stop_now;
  r = run_with(v);
  EXPECT_EQ(r.outcome, "quota") << r.reason;
  EXPECT_FALSE(r.cancelled);
}

TEST(AgentAttempt, NulCharactersInTheAgentsTextAreDropped) {
  // The store refuses NUL; an agent printing one must not make its task
  // impossible to complete.
  AgentAttemptResult r = run_with(BrokenPlugin::vtable(&BrokenPlugin::echo_command, &BrokenPlugin::finish_with_nul));
  EXPECT_EQ(r.outcome, "success");
  EXPECT_EQ(r.summary, "done here");
  EXPECT_EQ(r.reason, "");
}

TEST(AgentAttempt, NullAgentIsAnError) {
  ProcessRunner runner;
  drover_agent_vtable_v1 v = BrokenPlugin::vtable(&BrokenPlugin::echo_command, &BrokenPlugin::finish_unknown);
  auto r = run_agent_attempt(v, nullptr, AgentAttemptRequest{}, runner);
  EXPECT_FALSE(r.ok());
}

TEST(AgentAttempt, CancelFromAnotherThreadStopsTheAgent) {
  AttemptWorkspace ws;
  Agent agent("claude", "binary: " + q(fake_agent()) + "\n" +
                            ws.env_yaml(replay("claude_stream_json.jsonl", "drop_last,hang")));
  AgentAttemptRequest req;
  req.task_id = "T-1";
  req.prompt = "p";
  req.prompt_file = ws.prompt_file().string();
  req.worktree = ws.worktree().string();
  req.kill_grace = std::chrono::milliseconds(300);
  ProcessRunner runner;
  std::promise<ProcessRunner::RunId> started;
  auto id = started.get_future();
  std::thread canceller([&] {
    ProcessRunner::RunId rid = id.get();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    runner.cancel(rid);
  });
  auto r = run_agent_attempt(agent.vtable(), agent.handle(), req, runner,
                             [&](ProcessRunner::RunId rid) { started.set_value(rid); });
  canceller.join();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->cancelled);
  EXPECT_EQ(r->outcome, "crashed");
  EXPECT_NE(r->reason.find("stopped by drover"), std::string::npos) << r->reason;
  EXPECT_EQ(r->session_id, "16372856-d256-41d8-9658-89ac8b799092");
}

TEST(AgentAttempt, InactivityTimeoutStopsASilentAgent) {
  AttemptWorkspace ws;
  Agent agent("codex", binary_yaml(ws, replay("codex_exec_json.jsonl", "drop_last,hang")));
  AgentAttemptRequest req;
  req.task_id = "T-1";
  req.prompt = "p";
  req.prompt_file = ws.prompt_file().string();
  req.worktree = ws.worktree().string();
  req.timeout = std::chrono::seconds(60);
  req.inactivity_timeout = std::chrono::milliseconds(600);
  req.kill_grace = std::chrono::milliseconds(300);
  ProcessRunner runner;
  auto t0 = std::chrono::steady_clock::now();
  auto r = run_agent_attempt(agent.vtable(), agent.handle(), req, runner);
  ASSERT_TRUE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(r->outcome, "timeout");
  EXPECT_TRUE(r->inactive);
  EXPECT_FALSE(r->timed_out);
  EXPECT_NE(r->reason.find("no output"), std::string::npos) << r->reason;
}

TEST(AgentAttempt, ManyConcurrentAttemptsShareOneRunner) {
  constexpr int kAttempts = 12;
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"claude", "claude_stream_json.jsonl"},
      {"codex", "codex_exec_json.jsonl"},
      {"opencode", "opencode_run_format_json.jsonl"},
      {"amp", "claude_2.1.332_stream_json.jsonl"},
  };
  ProcessRunner runner;
  std::vector<std::unique_ptr<AttemptWorkspace>> spaces;
  std::vector<std::unique_ptr<Agent>> agents;
  for (int i = 0; i < kAttempts; ++i) {
    spaces.push_back(std::make_unique<AttemptWorkspace>());
    const auto& [name, file] = kinds[i % kinds.size()];
    agents.push_back(std::make_unique<Agent>(name, binary_yaml(*spaces.back(), replay(file, i % 2 ? "interleave" : ""))));
  }
  std::vector<AgentAttemptResult> results(kAttempts);
  std::vector<std::thread> threads;
  for (int i = 0; i < kAttempts; ++i) {
    threads.emplace_back([&, i] {
      AgentAttemptRequest req;
      req.task_id = "T-" + std::to_string(i);
      req.prompt = "prompt " + std::to_string(i);
      req.prompt_file = spaces[i]->prompt_file().string();
      req.worktree = spaces[i]->worktree().string();
      req.log_file = spaces[i]->log().string();
      req.timeout = std::chrono::seconds(60);
      auto r = run_agent_attempt(agents[i]->vtable(), agents[i]->handle(), req, runner);
      if (r.ok()) results[i] = r.value();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kAttempts; ++i) {
    EXPECT_EQ(results[i].outcome, "success") << i << ": " << results[i].reason;
    EXPECT_TRUE(results[i].session_id) << i;
    EXPECT_EQ(slurp(spaces[i]->prompt_file()), "prompt " + std::to_string(i));
  }
  EXPECT_EQ(runner.running(), 0u);
}

}  // namespace
}  // namespace drover::testing
