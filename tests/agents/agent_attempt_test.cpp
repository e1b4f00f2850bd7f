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

}  // namespace
}  // namespace drover::testing
