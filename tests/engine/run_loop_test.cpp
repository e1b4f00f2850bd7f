// RunLoop against the fakes: scheduling, the workers cap, drain and stop,
// cancel, quota pauses across runs, the sweep of finished worktrees, and a
// store error waited out.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

using RunLoopTest = EngineTest;

TEST_F(RunLoopTest, RunsADependencyGraphToTheEnd) {
  Task a = store.add("A");
  Task b = store.add("B", {a.id});
  Task c = store.add("C");
  Task d = store.add("D", {b.id, c.id});
  RunSummary s = run_loop(2);
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(s.completed, 4);
  EXPECT_EQ(s.outcomes[TaskOutcome::kCompleted], 4);
  auto history = workspace.target_history();
  auto pos = [&](const std::string& k) { return std::find(history.begin(), history.end(), k) - history.begin(); };
  ASSERT_EQ(history.size(), 4u);
  EXPECT_LT(pos(a.id), pos(b.id));
  EXPECT_LT(pos(b.id), pos(d.id));
  EXPECT_LT(pos(c.id), pos(d.id));
}

TEST_F(RunLoopTest, NeverRunsMoreAgentsThanWorkersAndAStopGivesTasksBack) {
  for (int i = 0; i < 4; ++i) {
    Task t = store.add("T" + std::to_string(i));
    agents.script(t.id, {ScriptedAttempt::holding()});
  }
  size_t most = 0;
  RunSummary s = run_loop(2, [&](RunLoop& loop) {
    ASSERT_TRUE(agents.wait_running("t1"));
    ASSERT_TRUE(agents.wait_running("t2"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    most = agents.running_tasks().size();
    loop.request_stop();
  });
  EXPECT_EQ(most, 2u);
  EXPECT_TRUE(s.interrupted);
  EXPECT_EQ(s.outcomes[TaskOutcome::kAbandoned], 2);
  for (const char* id : {"t1", "t2"}) {
    EXPECT_EQ(store.task(id).status, TaskStatus::kReady) << id;
    EXPECT_EQ(store.task(id).wait.kind, WaitKind::kInterrupted) << id;
  }
  EXPECT_EQ(agents.runs("t3"), 0);
  EXPECT_EQ(agents.runs("t4"), 0);
}

TEST_F(RunLoopTest, ADrainLetsRunningAgentsFinishAndStartsNothingNew) {
  Task a = store.add("A");
  Task b = store.add("B");
  agents.before = [&](const AgentAttemptRequest&) { current_loop.load()->request_drain(); };
  RunSummary s = run_loop(1);
  EXPECT_TRUE(s.interrupted);
  EXPECT_EQ(store.task(a.id).status, TaskStatus::kCompleted) << "the running agent finished and its work landed";
  EXPECT_EQ(agents.runs(b.id), 0) << "nothing new started after the drain";
  EXPECT_EQ(store.task(b.id).status, TaskStatus::kReady);
}

TEST_F(RunLoopTest, CancelStopsTheRunningAgentAndBlocksDependents) {
  Task a = store.add("A");
  Task b = store.add("B", {a.id});
  agents.script(a.id, {ScriptedAttempt::holding()});
  RunSummary s = run_loop(1, [&](RunLoop&) {
    ASSERT_TRUE(agents.wait_running(a.id));
    ASSERT_TRUE(store.reset_task(a.id, ResetMode::kCancel, clock.now_ms()).ok());
  });
  EXPECT_EQ(store.task(a.id).status, TaskStatus::kCancelled);
  EXPECT_EQ(store.task(b.id).status, TaskStatus::kBlocked);
  EXPECT_EQ(s.cancelled, 1);
  EXPECT_EQ(workspace.count("build_landing", "t1"), 0);
}

TEST_F(RunLoopTest, AQuotaPauseHoldsBackTheAgentsOtherTasks) {
  Task a = store.add("A");
  Task b = store.add("B");
  const int64_t reset = clock.now_ms() + 3'600'000;
  agents.script(a.id, {ScriptedAttempt{AttemptOutcome::kQuota, "usage limit", reset}});
  std::map<std::string, std::vector<int64_t>> started;
  std::mutex mu;
  agents.before = [&](const AgentAttemptRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    started[r.task_id].push_back(clock.now_ms());
  };
  RunSummary s = run_loop(1);
  EXPECT_TRUE(s.all_completed());
  ASSERT_EQ(started[b.id].size(), 1u);
  EXPECT_GE(started[b.id][0], reset) << "t2 waited for the pause of its agent";
  ASSERT_EQ(started[a.id].size(), 2u);
  EXPECT_GE(started[a.id][1], reset);
}

TEST_F(RunLoopTest, ANewRunRestoresAQuotaPauseFromTheStore) {
  // A previous run released t1 paused by its agent's limit, then stopped.
  Task a = store.add("A");
  Task b = store.add("B");
  const int64_t reset = clock.now_ms() + 7'200'000;
  ASSERT_TRUE(claim("old-run").has_value());
  ASSERT_TRUE(store.release_task(ReleaseRequest{a.id, "old-run", clock.now_ms(), reset,
                                                WaitReason::quota("test", "usage limit"),
                                                "agent 'test' paused by a usage limit: usage limit"})
                  .ok());
  int64_t b_started = 0;
  agents.before = [&](const AgentAttemptRequest& r) {
    if (r.task_id == b.id) b_started = clock.now_ms();
  };
  RunSummary s = run_loop(2);
  EXPECT_TRUE(s.all_completed());
  EXPECT_GE(b_started, reset) << "t2 did not hit the limit again: the pause was read back";
}

TEST_F(RunLoopTest, AfterARateLimitPauseOneTaskProbesTheAgent) {
  // The agent is rate-limited (no reset time) for 10 minutes. Its three tasks
  // may hit the limit together once; after that, each pause ends with one launch
  // (a probe), never all three (issue 14: a relaunch storm).
  config.quota_backoff_initial = std::chrono::minutes(1);
  config.quota_backoff_max = std::chrono::minutes(4);
  for (const char* title : {"A", "B", "C"}) store.add(title);
  const int64_t limited_until = clock.now_ms() + 10 * 60'000;
  std::mutex mu;
  std::map<int64_t, int> launches_at;  // clock time -> launches
  agents.rule = [&](const AgentAttemptRequest&) -> std::optional<ScriptedAttempt> {
    std::lock_guard<std::mutex> lock(mu);
    ++launches_at[clock.now_ms()];
    if (clock.now_ms() < limited_until) return ScriptedAttempt{AttemptOutcome::kQuota, "429 Too Many Requests"};
    return std::nullopt;
  };
  RunSummary s = run_loop(3);
  EXPECT_TRUE(s.all_completed());
  int limited_launches = 0;
  std::vector<int64_t> times;
  for (const auto& [at, n] : launches_at) {
    if (at >= limited_until) continue;
    limited_launches += n;
    times.push_back(at);
    if (at != launches_at.begin()->first) EXPECT_EQ(n, 1) << "one probe at " << at;
  }
  EXPECT_LE(launches_at.begin()->second, 3) << "those started before the limit was known";
  EXPECT_LE(limited_launches, 3 + 8) << "pauses of about 1, 2, 4, 4 minutes: a handful of probes in 10 minutes";
  for (size_t i = 2; i < times.size(); ++i)
    EXPECT_GE(times[i] - times[i - 1], (times[i - 1] - times[i - 2]) / 2) << "the pauses do not shrink";
}

TEST_F(RunLoopTest, AnAgentLimitedPastGiveUpAfterEndsTheRun) {
  config.quota_backoff_initial = std::chrono::minutes(1);
  config.quota_backoff_max = std::chrono::minutes(8);
  config.quota_give_up_after = std::chrono::minutes(30);
  Task a = store.add("A", {}, std::string("claude"));
  Task b = store.add("B", {}, std::string("claude"));
  Task other = store.add("Other agent's", {}, std::string("codex"));
  std::vector<int64_t> launches;
  std::mutex mu;
  agents.rule = [&](const AgentAttemptRequest& r) -> std::optional<ScriptedAttempt> {
    if (r.task_id == other.id) return std::nullopt;
    std::lock_guard<std::mutex> lock(mu);
    launches.push_back(clock.now_ms());
    return ScriptedAttempt{AttemptOutcome::kQuota, "429 Too Many Requests"};
  };
  const int64_t start = clock.now_ms();
  RunSummary s = run_loop(1);
  EXPECT_FALSE(s.all_completed());
  EXPECT_EQ(s.ready, 2) << "its tasks are left ready for the next run";
  EXPECT_EQ(s.completed, 1) << "the other agent's work was done";
  EXPECT_NE(s.stop_reason.find("gave up on agent 'claude'"), std::string::npos) << s.stop_reason;
  EXPECT_NE(s.stop_reason.find("quota.give_up_after (30m"), std::string::npos) << s.stop_reason;
  EXPECT_LE(clock.now_ms() - start, 30 * 60'000) << "it did not wait past give_up_after";
  EXPECT_LE(store.task(a.id).attempts, 1) << "no limit used an attempt";
  EXPECT_LE(store.task(b.id).attempts, 1);
  ASSERT_GE(launches.size(), 4u);
  EXPECT_LE(launches.size(), 10u) << "no relaunch storm";
  EXPECT_GT(launches.back() - launches[launches.size() - 2], launches[1] - launches[0]) << "the pauses grew";
}

TEST_F(RunLoopTest, ANewRunGoesOnCountingTheAgentsLimits) {
  // The previous run recorded the agent's 4th limit in a row on t1.
  config.quota_backoff_initial = std::chrono::minutes(1);
  config.quota_backoff_max = std::chrono::minutes(30);
  Task a = store.add("A");
  ASSERT_TRUE(claim("old-run").has_value());
  ASSERT_TRUE(store.append_event(NewEvent{a.id, "quota_pause", "paused", nlohmann::json{{"agent", "test"}, {"until_ms", clock.now_ms()}, {"limit", 4}}, clock.now_ms()}).ok());
  ASSERT_TRUE(store.release_task(ReleaseRequest{a.id, "old-run", clock.now_ms(), clock.now_ms(),
                                                WaitReason::quota("test", "429"), "agent 'test' paused by a usage limit: 429"})
                  .ok());
  std::vector<int64_t> launches;
  agents.rule = [&](const AgentAttemptRequest&) -> std::optional<ScriptedAttempt> {
    launches.push_back(clock.now_ms());
    if (launches.size() == 1) return ScriptedAttempt{AttemptOutcome::kQuota, "429"};
    return std::nullopt;
  };
  RunSummary s = run_loop(1);
  EXPECT_TRUE(s.all_completed());
  ASSERT_EQ(launches.size(), 2u);
  EXPECT_GE(launches[1] - launches[0], 8 * 60'000) << "the 5th limit: 16 minutes nominal, at least 8";
}

TEST_F(RunLoopTest, FailurePropagatesToEveryDependent) {
  Task a = store.add("A");
  Task b = store.add("B", {a.id});
  Task c = store.add("C", {b.id});
  Task free = store.add("Free");
  agents.script(a.id, {{AttemptOutcome::kBlocked, "cannot"}});
  RunSummary s = run_loop(2);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.blocked, 2);
  EXPECT_EQ(s.completed, 1);
  EXPECT_FALSE(s.all_completed());
  EXPECT_EQ(store.task(c.id).status_reason, "blocked by failed task t1");
  EXPECT_EQ(store.task(free.id).status, TaskStatus::kCompleted);
}

TEST_F(RunLoopTest, TheSweepRemovesFinishedWorktreesOfEveryRound) {
  // A run died after completing t1 (which needed a second round) but before
  // its cleanup: both rounds' merged worktrees are left.
  Task t = store.add("T");
  ASSERT_TRUE(claim("dead").has_value());
  ASSERT_TRUE(workspace.prepare(WorktreeKey{t.id, 1}, "main").ok());
  ASSERT_TRUE(workspace.prepare(WorktreeKey{t.id, 2}, "main").ok());
  ASSERT_TRUE(workspace.commit(WorktreeKey{t.id, 2}, {}).ok());
  ASSERT_TRUE(workspace.merge(WorktreeKey{t.id, 2}, "main", "").ok());
  ASSERT_TRUE(store.complete_task(CompleteRequest{t.id, "dead", clock.now_ms(), "merge-t1-r2", ""}).ok());
  run_loop(1);
  EXPECT_FALSE(workspace.exists("t1"));
  EXPECT_FALSE(workspace.exists("t1-r2"));
}

TEST_F(RunLoopTest, TheSweepKeepsUnmergedWork) {
  Task t = store.add("T");
  ASSERT_TRUE(claim("dead").has_value());
  ASSERT_TRUE(workspace.prepare(WorktreeKey{t.id, 1}, "main").ok());
  ASSERT_TRUE(workspace.commit(WorktreeKey{t.id, 1}, {}).ok());
  ASSERT_TRUE(store.complete_task(CompleteRequest{t.id, "dead", clock.now_ms(), "", ""}).ok());
  run_loop(1);
  EXPECT_TRUE(workspace.exists("t1")) << "a branch with unmerged commits is never removed";
}

TEST_F(RunLoopTest, AStoreThatCannotCompleteForAMomentIsWaitedOut) {
  Task t = store.add("T");
  std::atomic<int> failures{3};
  store.fault = [&](const std::string& op) {
    if (op == "complete_task" && failures.fetch_sub(1) > 0) return Status::Unavailable("cannot reach the store");
    return Status::Ok();
  };
  RunSummary s = run_loop(1);
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(s.outcomes[TaskOutcome::kAbandoned], 0);
  EXPECT_EQ(s.outcomes[TaskOutcome::kCompleted], 1);
  EXPECT_EQ(agents.runs(t.id), 1) << "the finished agent step was not repeated";
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
  EXPECT_EQ(events.count_lines("store unreachable"), 1);
  EXPECT_EQ(events.count_lines("store reachable again"), 1);
}

TEST_F(RunLoopTest, ABackoffTakesNoRealTime) {
  config.backoff_initial = std::chrono::hours(1);
  config.backoff_max = std::chrono::hours(4);
  Task t = store.add("T");
  agents.script(t.id, {{AttemptOutcome::kFailure, "one"}, {AttemptOutcome::kFailure, "two"}});
  const auto start = std::chrono::steady_clock::now();
  const int64_t fake_start = clock.now_ms();
  RunSummary s = run_loop(1);
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(agents.runs(t.id), 3);
  EXPECT_GE(clock.now_ms() - fake_start, 90 * 60 * 1000) << "simulated time passed";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace drover::testing
