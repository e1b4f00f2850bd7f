// TaskWorkflow against the fakes: every path of one task's workflow, and
// replay after a crash at every step boundary.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

using TaskWorkflowTest = EngineTest;

TEST_F(TaskWorkflowTest, RunsEachStepOnceAndCompletes) {
  Task t = store.add("Write the parser");
  Task dependent = store.add("Use the parser", {t.id});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);

  EXPECT_EQ(store.task(t.id).status, TaskStatus::kCompleted);
  EXPECT_EQ(store.task(t.id).merge_commit, "merge-t1");
  EXPECT_EQ(store.task(dependent.id).status, TaskStatus::kReady);
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
  EXPECT_FALSE(workspace.exists("t1")) << "the merged worktree is removed";
  EXPECT_EQ(store.step_names(TaskWorkflow::workflow_id(store.task(t.id))),
            (std::vector<std::string>{"worktree#1", "agent#1", "commit#1", "land#1", "complete", "cleanup"}));
  EXPECT_EQ(events.freed, std::vector<std::string>{"t1"});
  EXPECT_EQ(events.count_lines("ready now: t2"), 1);
}

// A clean run records 6 steps (worktree, agent, commit, merge, complete,
// cleanup); crash right after each one in turn, then resume as a new executor
// once the dead one's lease expired.
class CrashAfterCheckpoint : public EngineTest, public ::testing::WithParamInterface<int> {};

TEST_P(CrashAfterCheckpoint, RepeatsNoFinishedStep) {
  Task t = store.add("Task");
  store.crash_after_steps = GetParam();
  auto first = context("exec-dead");
  EXPECT_THROW(claim_and_run(*first), Crash);
  store.crash_after_steps = 0;
  if (GetParam() < 5) {
    EXPECT_EQ(store.task(t.id).status, TaskStatus::kRunning) << "a crash leaves the lease behind";
    EXPECT_FALSE(claim("exec-new").has_value()) << "the lease still holds";
    clock.advance(config.lease_duration.count() + 1);
    auto second = context("exec-new");
    auto task = claim("exec-new");
    ASSERT_TRUE(task.has_value());
    EXPECT_TRUE(task->reclaimed);
    EXPECT_EQ(TaskWorkflow(*second, *task).run(), TaskOutcome::kCompleted);
  }
  // After "complete" the task is done: nothing is left to resume but the
  // worktree, which the next run's sweep removes.
  EXPECT_EQ(store.task(t.id).status, TaskStatus::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 1);
  // A resumed workflow looks its recorded worktree up again (prepare is
  // idempotent): it may have been made on a machine that is gone.
  EXPECT_EQ(workspace.count("prepare", "t1"), GetParam() < 5 ? 2 : 1);
  EXPECT_EQ(workspace.count("commit", "t1"), 1);
  EXPECT_EQ(workspace.count("build_landing", "t1"), 1);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
}

INSTANTIATE_TEST_SUITE_P(EveryStep, CrashAfterCheckpoint, ::testing::Range(1, 7));

TEST_F(TaskWorkflowTest, ACrashBetweenASideEffectAndItsCheckpointRepeatsOnlyThatStep) {
  // Step 4 is land#1: the merge happened, its record did not.
  Task t = store.add("Task");
  store.crash_before_step = 4;
  auto first = context("exec-dead");
  EXPECT_THROW(claim_and_run(*first), Crash);
  clock.advance(config.lease_duration.count() + 1);
  auto second = context("exec-new");
  EXPECT_EQ(claim_and_run(*second), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 1) << "the agent's recorded run is not repeated";
  EXPECT_EQ(workspace.count("build_landing", "t1"), 2) << "the unrecorded merge runs again";
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"}) << "and finds it already merged";
  EXPECT_EQ(store.task(t.id).merge_commit, "merge-t1");
}

TEST_F(TaskWorkflowTest, AMergeConflictIsResolvedInPlaceWithoutUsingAnAttempt) {
  Task t = store.add("Task");
  workspace.conflicts["t1"] = 1;
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("prepare", "t1"), 1) << "one worktree";
  EXPECT_EQ(workspace.count("sync", "t1"), 1) << "the tip is brought into it";
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
  EXPECT_FALSE(workspace.exists("t1"));
  auto requests = agents.requests(t.id);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].round, "work");
  EXPECT_EQ(requests[1].round, "resolve");
  EXPECT_NE(requests[1].prompt.find("left conflicts in: shared.txt"), std::string::npos) << requests[1].prompt;
  EXPECT_NE(requests[1].log_file.find("1.r2.log"), std::string::npos) << "each round has its own log";
  EXPECT_EQ(store.task(t.id).attempts, 1);
}

TEST_F(TaskWorkflowTest, WithNoRoundsLeftAConflictRedoesTheWorkOnTheTipAndKeepsTheOldWork) {
  config.merge.max_rounds = 0;
  Task t = store.add("Task");
  workspace.conflicts["t1"] = 1;
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded) << "the conflict waits for its backoff";
  Task waiting = store.task(t.id);
  EXPECT_EQ(waiting.wait.kind, WaitKind::kBackoff);
  EXPECT_NE(waiting.wait.detail.find("merge conflict in shared.txt"), std::string::npos) << waiting.wait.detail;
  EXPECT_EQ(workspace.count("reset", "t1"), 1) << "the worktree starts over on the tip";

  clock.advance(waiting.not_before_ms - clock.now_ms());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
  EXPECT_FALSE(workspace.exists("t1-r2")) << "no second worktree";
  auto requests = agents.requests(t.id);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[1].prompt.find("conflicted with work merged meanwhile"), std::string::npos);
  EXPECT_EQ(store.task(t.id).attempts, 2);
}

TEST_F(TaskWorkflowTest, AVcsWithoutTheMergeQueueRedoesTheWorkInAFreshWorktree) {
  workspace.no_queue = true;
  Task t = store.add("Task");
  workspace.conflicts["t1"] = 1;
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  clock.advance(store.task(t.id).not_before_ms - clock.now_ms());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("prepare", "t1-r2"), 1) << "ABI 1.1: round 2 starts from a fresh worktree";
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1-r2"});
}

TEST_F(TaskWorkflowTest, AQuotaPauseUsesNoAttemptAndNamesTheAgent) {
  Task t = store.add("Task", {}, std::string("claude"));
  const int64_t reset = clock.now_ms() + 3'600'000;
  agents.script(t.id, {ScriptedAttempt{AttemptOutcome::kQuota, "usage limit reached", reset}});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  Task paused = store.task(t.id);
  EXPECT_EQ(paused.wait.kind, WaitKind::kQuota);
  EXPECT_EQ(paused.wait.agent, "claude");
  EXPECT_EQ(paused.wait.detail, "usage limit reached");
  EXPECT_EQ(paused.not_before_ms, reset);
  ASSERT_EQ(events.pauses.size(), 1u);
  EXPECT_EQ(events.pauses[0], std::make_pair(std::string("claude"), reset));

  EXPECT_FALSE(claim("exec-a").has_value()) << "not before the reset time";
  clock.advance(reset - clock.now_ms());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 2);
  EXPECT_EQ(store.task(t.id).attempts, 1) << "the paused attempt was given back";
}

TEST_F(TaskWorkflowTest, TheRunAfterAUsageLimitIsNotTakenForAnInterruptedOne) {
  Task t = store.add("Task");
  const int64_t reset = clock.now_ms() + 60'000;
  agents.script(t.id, {ScriptedAttempt{AttemptOutcome::kQuota, "usage limit reached", reset}});
  auto first = context("exec-a");
  EXPECT_EQ(claim_and_run(*first), TaskOutcome::kYielded);
  workspace.leave_partial_work("t1");  // what the limited run left in the worktree
  clock.advance(60'000);
  auto second = context("exec-b");
  EXPECT_EQ(claim_and_run(*second), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("reset", "t1"), 0) << "its recorded end is no interruption: nothing is undone";
}

TEST_F(TaskWorkflowTest, AQuotaWithoutResetTimeBacksOff) {
  Task t = store.add("Task");
  agents.script(t.id, {ScriptedAttempt{AttemptOutcome::kQuota, "429"}});
  auto ctx = context("exec-a");
  const int64_t before = clock.now_ms();
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  const int64_t wait = store.task(t.id).not_before_ms - before;
  EXPECT_GE(wait, config.quota_backoff_initial.count() / 2);
  EXPECT_LE(wait, config.quota_backoff_initial.count());
}

TEST_F(TaskWorkflowTest, RateLimitsInARowPauseLongerEachTimeUpToTheCap) {
  // No reset time, five times in a row (issue 14: 10 relaunches in 75 s, for ever).
  Task t = store.add("Task");
  std::vector<ScriptedAttempt> limits(5, ScriptedAttempt{AttemptOutcome::kQuota, "429 Too Many Requests"});
  agents.script(t.id, limits);
  config.quota_backoff_initial = std::chrono::seconds(30);
  config.quota_backoff_max = std::chrono::minutes(4);
  auto ctx = context("exec-a");
  std::vector<int64_t> pauses;
  for (int i = 0; i < 5; ++i) {
    const int64_t start = clock.now_ms();
    ASSERT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
    pauses.push_back(store.task(t.id).not_before_ms - start);
    clock.advance(pauses.back());
  }
  for (size_t i = 1; i < pauses.size(); ++i) {
    const int64_t nominal = std::min<int64_t>(30'000LL << i, 240'000);
    EXPECT_GE(pauses[i], nominal / 2) << "pause " << i + 1;
    EXPECT_LE(pauses[i], nominal) << "pause " << i + 1;
  }
  EXPECT_GE(pauses[3], pauses[0] * 2) << "the pauses grow";
  EXPECT_NE(store.task(t.id).status_reason.find("(5th rate limit in a row)"), std::string::npos) << store.task(t.id).status_reason;
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(store.task(t.id).attempts, 1) << "no limit used an attempt";
}

TEST_F(TaskWorkflowTest, AResetTimeThatHasPassedBacksOffInsteadOfRelaunchingAtOnce) {
  Task t = store.add("Task");
  agents.script(t.id, {ScriptedAttempt{AttemptOutcome::kQuota, "try again at 11:08 PM", clock.now_ms() - 30'000}});
  auto ctx = context("exec-a");
  const int64_t start = clock.now_ms();
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  EXPECT_GE(store.task(t.id).not_before_ms - start, config.quota_backoff_initial.count() / 2);
}

TEST_F(TaskWorkflowTest, RateLimitsCountPerAgentAcrossItsTasks) {
  // Two tasks of one agent hit its limit one after the other: the second
  // pause is the agent's 2nd, not another task's 1st.
  Task a = store.add("A", {}, std::string("claude"));
  Task b = store.add("B", {}, std::string("claude"));
  agents.script(a.id, {ScriptedAttempt{AttemptOutcome::kQuota, "429"}});
  agents.script(b.id, {ScriptedAttempt{AttemptOutcome::kQuota, "429"}});
  config.quota_backoff_initial = std::chrono::minutes(1);
  config.quota_backoff_max = std::chrono::minutes(30);
  auto ctx = context("exec-a");
  int64_t start = clock.now_ms();
  ASSERT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  const int64_t first = store.task(a.id).not_before_ms - start;
  clock.advance(first);
  start = clock.now_ms();
  ClaimRequest req{"exec-a", 30'000, clock.now_ms(), std::nullopt, {}, "test", {a.id}};  // b, not a, is the next to meet the limit
  auto tb = store.claim_task(req);
  ASSERT_TRUE(tb.ok() && tb.value());
  Task claimed = *tb.value();
  ASSERT_EQ(claimed.id, b.id);
  ASSERT_EQ(TaskWorkflow(*ctx, claimed).run(), TaskOutcome::kYielded);
  const int64_t second = store.task(b.id).not_before_ms - start;
  EXPECT_GE(second, 60'000) << "the agent's 2nd limit: at least half of 2 minutes";
  EXPECT_LE(second, 120'000);
  EXPECT_NE(store.task(b.id).status_reason.find("2nd rate limit in a row"), std::string::npos) << store.task(b.id).status_reason;
  EXPECT_EQ(ctx->limits.in_a_row("claude"), 2);
  auto events = store.list_events(EventFilter{b.id, std::nullopt, std::nullopt});
  ASSERT_TRUE(events.ok());
  int recorded = 0;
  for (const auto& e : events.value())
    if (e.kind == "quota_pause") recorded = e.data.value("limit", 0);
  EXPECT_EQ(recorded, 2) << "the count is in the store for the next run and for status";
}

TEST_F(TaskWorkflowTest, ATaskLimitedWhileItsAgentIsPausedJoinsThatPause) {
  Task a = store.add("A");
  Task b = store.add("B");
  agents.script(a.id, {ScriptedAttempt{AttemptOutcome::kQuota, "429"}});
  agents.script(b.id, {ScriptedAttempt{AttemptOutcome::kQuota, "429"}});
  auto ctx = context("exec-a");
  auto ta = claim("exec-a");
  auto tb = claim("exec-a");  // both were running when the limit came
  ASSERT_TRUE(ta && tb);
  ASSERT_EQ(TaskWorkflow(*ctx, *ta).run(), TaskOutcome::kYielded);
  clock.advance(1000);
  ASSERT_EQ(TaskWorkflow(*ctx, *tb).run(), TaskOutcome::kYielded);
  EXPECT_EQ(store.task(a.id).not_before_ms, store.task(b.id).not_before_ms);
  EXPECT_EQ(ctx->limits.in_a_row("test"), 1) << "one limit, seen by two tasks";
}

TEST_F(TaskWorkflowTest, MaxTurnsGetsOneContinuationRoundWithItsSessionThenFails) {
  Task t = store.add("Big task");
  Task after = store.add("After", {t.id});
  ScriptedAttempt stop{AttemptOutcome::kFailure, "Claude Code stopped at its turn limit (max_turns 2) before it finished"};
  stop.stop_reason = "max_turns";
  stop.session_id = "sess-1";
  agents.script(t.id, {stop, stop});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  auto reqs = agents.requests(t.id);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].round, "continue");
  EXPECT_EQ(reqs[1].session_id, "sess-1") << "the continuation resumes the session";
  EXPECT_EQ(reqs[1].worktree, reqs[0].worktree) << "in the same worktree";
  EXPECT_NE(reqs[1].prompt.find("turn limit"), std::string::npos) << reqs[1].prompt;
  Task failed = store.task(t.id);
  EXPECT_EQ(failed.attempts, 1) << "not retried: a new attempt would stop there again";
  EXPECT_EQ(failed.last_error,
            "Claude Code stopped at its turn limit (max_turns 2) before it finished (again after 1 continuation round with "
            "its session resumed) (attempt 1; not retried)");
  EXPECT_EQ(store.task(after.id).status, TaskStatus::kBlocked);
}

TEST_F(TaskWorkflowTest, AContinuationAfterMaxTurnsThatFinishesLands) {
  Task t = store.add("Big task");
  ScriptedAttempt stop{AttemptOutcome::kFailure, "stopped at its turn limit"};
  stop.stop_reason = "max_turns";
  agents.script(t.id, {stop});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 2);
  EXPECT_EQ(store.task(t.id).attempts, 1);
}

TEST_F(TaskWorkflowTest, MaxTurnsWithoutContinuationsFailsAtOnce) {
  config.max_turns_continuations = 0;
  Task t = store.add("Big task");
  ScriptedAttempt stop{AttemptOutcome::kFailure, "stopped at its turn limit"};
  stop.stop_reason = "max_turns";
  agents.script(t.id, {stop});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_EQ(store.task(t.id).last_error, "stopped at its turn limit (attempt 1; not retried)");
}

TEST_F(TaskWorkflowTest, CostIsNullUntilAnAgentReportsOne) {
  Task none = store.add("No cost");
  Task some = store.add("Some cost");
  ScriptedAttempt paid{AttemptOutcome::kSuccess};
  paid.cost_usd = 0.25;
  agents.script(some.id, {paid});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_FALSE(store.task(none.id).cost_usd.has_value()) << "not reported is not $0";
  ASSERT_TRUE(store.task(some.id).cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*store.task(some.id).cost_usd, 0.25);
  EXPECT_TRUE(to_json(store.task(none.id))["cost_usd"].is_null());
  auto sum = store.summary(std::nullopt);
  ASSERT_TRUE(sum.ok());
  EXPECT_DOUBLE_EQ(sum.value().cost_usd, 0.25);
}

TEST_F(TaskWorkflowTest, FailuresBackOffThenFailTheTaskAndBlockDependents) {
  Task t = store.add("Task");
  Task d1 = store.add("After", {t.id});
  Task d2 = store.add("After after", {d1.id});
  agents.script(t.id, {{AttemptOutcome::kFailure, "tests fail"},
                       {AttemptOutcome::kTimeout, "stopped by the task timeout"},
                       {AttemptOutcome::kCrashed, "exit 139"}});
  auto ctx = context("exec-a");
  int64_t previous_wait = 0;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    const int64_t start = clock.now_ms();
    EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
    Task w = store.task(t.id);
    EXPECT_EQ(w.wait.kind, WaitKind::kBackoff);
    EXPECT_GT(w.not_before_ms - start, previous_wait / 2) << "the delay grows";
    previous_wait = w.not_before_ms - start;
    clock.advance(w.not_before_ms - clock.now_ms());
  }
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  Task failed = store.task(t.id);
  EXPECT_EQ(failed.status, TaskStatus::kFailed);
  EXPECT_NE(failed.last_error.find("crashed: exit 139 (after 3 attempts)"), std::string::npos) << failed.last_error;
  EXPECT_EQ(store.task(d1.id).status, TaskStatus::kBlocked);
  EXPECT_EQ(store.task(d2.id).status, TaskStatus::kBlocked);
  auto prompts = agents.requests(t.id);
  ASSERT_EQ(prompts.size(), 3u);
  EXPECT_NE(prompts[1].prompt.find("tests fail"), std::string::npos) << "the failure is in the next prompt";
  EXPECT_EQ(workspace.count("build_landing", "t1"), 0);
}

TEST_F(TaskWorkflowTest, ABlockedAgentFailsAtOnce) {
  Task t = store.add("Task");
  agents.script(t.id, {{AttemptOutcome::kBlocked, "needs an API key"}});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_NE(store.task(t.id).last_error.find("not retried"), std::string::npos);
}

TEST_F(TaskWorkflowTest, AFailedVerifyOnTheBranchRetriesWithItsOutput) {
  config.verify = VerifyConfig{{"make", "test"}, std::chrono::minutes(1)};
  config.merge.verify_merged = false;
  Task t = store.add("Task");
  agents.script_verify(t.id, {false, true});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  EXPECT_EQ(workspace.count("commit", "t1"), 0) << "nothing is committed before verify passes";
  clock.advance(store.task(t.id).not_before_ms - clock.now_ms());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  auto prompts = agents.requests(t.id);
  ASSERT_EQ(prompts.size(), 2u);
  EXPECT_NE(prompts[1].prompt.find("FAILED: test_x"), std::string::npos);
}

TEST_F(TaskWorkflowTest, LocalChangesInTheWayWaitWithoutUsingAnAttempt) {
  Task t = store.add("Task");
  workspace.local_changes["t1"] = 2;
  auto ctx = context("exec-a");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
    Task w = store.task(t.id);
    EXPECT_EQ(w.wait.kind, WaitKind::kMerge);
    EXPECT_NE(w.wait.detail.find("README.md"), std::string::npos);
    EXPECT_EQ(w.wait.paths, std::vector<std::string>{"README.md"});
    EXPECT_EQ(w.not_before_ms, clock.now_ms() + 1000);
    clock.advance(1000);
  }
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 1) << "the wait replays to the merge; the agent does not run again";
  EXPECT_EQ(store.task(t.id).attempts, 1);
  EXPECT_EQ(events.count_lines("awaiting merge"), 1) << "reported once, not every second";
}

TEST_F(TaskWorkflowTest, NoChangesCompletesWithoutAMerge) {
  config.no_changes = NoChanges::kComplete;
  Task t = store.add("Task");
  workspace.no_changes.insert("t1");
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("build_landing", "t1"), 0);
  EXPECT_EQ(store.task(t.id).result_summary, "did t1");
}

TEST_F(TaskWorkflowTest, ACancelledTaskStopsWithoutRetry) {
  Task t = store.add("Task");
  agents.script(t.id, {{AttemptOutcome::kFailure, "killed"}});
  agents.before = [&](const AgentAttemptRequest&) { (void)store.reset_task(t.id, ResetMode::kCancel, clock.now_ms()); };
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  EXPECT_EQ(store.task(t.id).status, TaskStatus::kCancelled);
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_EQ(workspace.count("commit", "t1"), 0);
}

TEST_F(TaskWorkflowTest, AStopDuringTheAgentGivesTheTaskBackAsInterrupted) {
  Task t = store.add("Task");
  auto ctx = context("exec-a");
  agents.before = [&](const AgentAttemptRequest&) { ctx->stopping = true; };
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kAbandoned);
  Task w = store.task(t.id);
  EXPECT_EQ(w.status, TaskStatus::kReady);
  EXPECT_EQ(w.wait.kind, WaitKind::kInterrupted);
  EXPECT_EQ(store.step_names(TaskWorkflow::workflow_id(w)), std::vector<std::string>{"worktree#1"})
      << "the interrupted agent step is not recorded";
}

TEST_F(TaskWorkflowTest, ALostLeaseStopsTheCompletion) {
  Task t = store.add("Task");
  auto ctx = context("exec-a");
  workspace.before = [&](const std::string& op, const std::string&) {
    if (op == "build_landing") store.steal_lease(t.id, "exec-b", clock.now_ms() + 30'000);
  };
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kAbandoned);
  Task now = store.task(t.id);
  EXPECT_EQ(now.status, TaskStatus::kRunning);
  EXPECT_EQ(now.lease_owner, "exec-b") << "the other executor's claim stands";
  EXPECT_EQ(events.count_lines("could not complete"), 1);
}

TEST_F(TaskWorkflowTest, AStoreThatCannotReleaseIsWaitedOutUntilTheLeaseIsLost) {
  Task t = store.add("Task");
  agents.script(t.id, {{AttemptOutcome::kFailure, "no"}});
  std::atomic<int> tries{0};
  store.fault = [&](const std::string& op) {
    if (op != "release_task") return Status::Ok();
    ++tries;
    return Status::Unavailable("cannot reach the store");
  };
  LeaseBook leases(config.lease_duration);
  auto ctx = context("exec-a");
  ctx->leases = &leases;
  leases.claimed(t.id, clock.now_ms());
  std::thread fence([&] {
    while (tries.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    clock.advance(25'000);  // past lease - margin: the run loop's watch would fence it now
    EXPECT_EQ(leases.fence_due(clock.now_ms()), std::vector<std::string>{t.id});
    // Fenced, the workflow waits without touching the store; when the run
    // finds the task taken over, it lets go.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    leases.lost(t.id);
  });
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kAbandoned);
  fence.join();
  EXPECT_GE(tries.load(), 3) << "the release was retried while the lease held";
  EXPECT_EQ(events.count_lines("left for the next claim"), 0);
  EXPECT_EQ(events.count_lines("could not release"), 1);
}

// A partitioned machine's store call can be under way when its lease is
// fenced, and be written once the link is back — after another machine took
// the task over. The workflow must not start the next side effect (the
// commit, which also pushes the saved work) on the strength of that answer.
TEST_F(TaskWorkflowTest, AStepRecordedAsTheLeaseIsFencedStartsNoFurtherSideEffect) {
  Task t = store.add("Task");
  LeaseBook leases(config.lease_duration);
  auto ctx = context("exec-a");
  ctx->leases = &leases;
  leases.claimed(t.id, clock.now_ms());
  std::thread decide;
  store.applied_together = [&](const std::vector<StoreWrite>& writes) {
    if (writes.front().kind != StoreWrite::Kind::kRecordStep || writes.front().step.name != "agent#1") return;
    // The record is on its way; meanwhile the run's watch fences the lease...
    clock.advance(25'000);
    EXPECT_EQ(leases.fence_due(clock.now_ms()), std::vector<std::string>{t.id});
    // ...and, once the store answers again, finds the task taken over.
    decide = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      leases.lost(t.id);
    });
  };
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kAbandoned);
  if (decide.joinable()) decide.join();
  EXPECT_EQ(workspace.count("commit", "t1"), 0) << "no commit (and no push of the saved work) after the fence";
  EXPECT_EQ(store.step_names(TaskWorkflow::workflow_id(store.task(t.id))),
            (std::vector<std::string>{"worktree#1", "agent#1"}));
  EXPECT_EQ(events.count_lines("left for the next claim: another run took task"), 1);
}

}  // namespace
}  // namespace drover::testing
