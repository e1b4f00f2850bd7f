// Overlap-aware dispatch (merge.overlap: hold) and paused tasks, through the
// RunLoop with the fakes: a ready task whose touches overlap a running one's
// waits for it; under `ignore` both run at once; a held task starts anyway
// when only another run's task is in the way; a paused task is never claimed.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

class OverlapDispatchTest : public EngineTest {
 protected:
  Task add(const std::string& title, std::vector<std::string> touches) {
    NewTask n;
    n.title = title;
    n.touches = std::move(touches);
    auto r = store.create_task(n, 1);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : Task{};
  }
  bool said(const std::string& needle) { return events.count_lines(needle) > 0; }
};

TEST_F(OverlapDispatchTest, AReadyTaskWaitsWhileAnOverlappingTaskRuns) {
  Task parser = add("parser", {"src/parser/**"});
  Task lexer = add("lexer", {"src/parser/lexer.cc"});
  Task docs = add("docs", {"docs/**"});
  agents.script(parser.id, {ScriptedAttempt::until_finished()});
  bool lexer_ran_beside_parser = false;
  agents.before = [&](const AgentAttemptRequest& r) {
    if (r.task_id != lexer.id) return;
    auto running = agents.running_tasks();
    lexer_ran_beside_parser = std::find(running.begin(), running.end(), parser.id) != running.end();
  };
  RunSummary s = run_loop(3, [&](RunLoop&) {
    ASSERT_TRUE(agents.wait_running(parser.id));
    // docs overlaps nothing and runs beside the parser task; lexer waits.
    for (int i = 0; i < 200 && store.task(docs.id).status != TaskStatus::kCompleted; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(store.task(docs.id).status, TaskStatus::kCompleted);
    EXPECT_EQ(agents.runs(lexer.id), 0);
    agents.finish(parser.id);
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_FALSE(lexer_ran_beside_parser);
  EXPECT_TRUE(said(lexer.id + ": held: overlaps " + parser.id + " on src/parser/lexer.cc"));
  EXPECT_EQ(events.count_lines(lexer.id + ": held:"), 1) << "said once";
}

TEST_F(OverlapDispatchTest, LearnedPathsHoldTasksDeclaringThem) {
  Task a = add("a", {});
  Task b = add("b", {"*.txt"});
  TaskUpdate u;
  u.learned_touches = std::vector<std::string>{"notes.txt"};
  ASSERT_TRUE(store.update_task(a.id, u, 1).ok());
  agents.script(a.id, {ScriptedAttempt::until_finished()});
  RunSummary s = run_loop(2, [&](RunLoop&) {
    ASSERT_TRUE(agents.wait_running(a.id));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(agents.runs(b.id), 0);
    agents.finish(a.id);
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_TRUE(said(b.id + ": held: overlaps " + a.id + " on *.txt"));
}

TEST_F(OverlapDispatchTest, IgnoreRunsOverlappingTasksTogether) {
  config.merge.overlap_hold = false;
  Task a = add("a", {"src/**"});
  Task b = add("b", {"src/x.cc"});
  agents.script(a.id, {ScriptedAttempt::until_finished()});
  agents.script(b.id, {ScriptedAttempt::until_finished()});
  RunSummary s = run_loop(2, [&](RunLoop&) {
    ASSERT_TRUE(agents.wait_running(a.id));
    ASSERT_TRUE(agents.wait_running(b.id));
    agents.finish(a.id);
    agents.finish(b.id);
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_FALSE(said("held:"));
}

TEST_F(OverlapDispatchTest, AHeldTaskStartsWhenOnlyAnotherRunsTaskIsInTheWay) {
  Task a = add("a", {"src/**"});
  Task b = add("b", {"src/x.cc"});
  // Another executor runs a (its lease runs for a while); this run has
  // nothing else to do, so it starts b rather than sit idle.
  ClaimRequest other{"other-run", 60'000, clock.now_ms(), std::nullopt, {}, config.default_agent};
  auto claimed = store.claim_task(other);
  ASSERT_TRUE(claimed.ok() && claimed.value() && claimed.value()->id == a.id);
  RunSummary s = run_loop(1);
  EXPECT_EQ(store.task(b.id).status, TaskStatus::kCompleted);
  EXPECT_TRUE(said(b.id + ": starting although it overlaps " + a.id + " on src/x.cc"));
  EXPECT_GE(s.completed, 1);
}

TEST_F(OverlapDispatchTest, APausedTaskIsNotClaimedAndDoesNotKeepTheRunAlive) {
  Task a = store.add("a");
  Task b = store.add("b");
  ASSERT_TRUE(store.set_paused(a.id, true, 1).ok());
  RunSummary s = run_loop(2);
  EXPECT_EQ(agents.runs(a.id), 0);
  EXPECT_EQ(store.task(a.id).status, TaskStatus::kReady);
  EXPECT_EQ(store.task(b.id).status, TaskStatus::kCompleted);
  EXPECT_EQ(s.ready, 1);
  EXPECT_FALSE(s.all_completed());
}

TEST_F(OverlapDispatchTest, ARunningTaskPausedFinishesItsAttemptAndIsNotClaimedAgain) {
  Task a = store.add("a");
  agents.script(a.id, {ScriptedAttempt(AttemptOutcome::kFailure, "first attempt fails")});
  agents.before = [&](const AgentAttemptRequest& r) {
    if (r.task_id == a.id) ASSERT_TRUE(store.set_paused(a.id, true, clock.now_ms()).ok());
  };
  run_loop(1);
  EXPECT_EQ(agents.runs(a.id), 1) << "its retry is not claimed while paused";
  EXPECT_EQ(store.task(a.id).status, TaskStatus::kReady);
  EXPECT_TRUE(store.task(a.id).paused);
}

}  // namespace
}  // namespace drover::testing
