// tasks.on_interrupted: an attempt cut short (here: the process dies while its
// agent runs) is restarted from the worktree's commit at its start, its files
// kept under a private ref (restart, the default); or re-run on top of what it
// left (continue).
#include <gtest/gtest.h>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

class InterruptedAttemptTest : public EngineTest {
 protected:
  // The first agent run leaves half its work in the worktree, then the
  // process dies; a new executor takes the task over once the lease expired.
  TaskOutcome crash_mid_agent_then_resume(const std::string& id) {
    int runs = 0;
    agents.before = [&](const AgentAttemptRequest&) {
      if (++runs == 1) {
        workspace.leave_partial_work(id);
        throw Crash();
      }
    };
    auto first = context("exec-dead");
    EXPECT_THROW(claim_and_run(*first), Crash);
    clock.advance(config.lease_duration.count() + 1);
    auto second = context("exec-new");
    TaskOutcome out = claim_and_run(*second);
    agents.before = nullptr;
    return out;
  }
};

TEST_F(InterruptedAttemptTest, RestartPutsTheWorktreeBackAndKeepsTheInterruptedWork) {
  Task t = store.add("Append a line");
  EXPECT_EQ(crash_mid_agent_then_resume(t.id), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("reset", "t1"), 1);
  ASSERT_EQ(workspace.kept_refs().size(), 1u);
  EXPECT_EQ(workspace.kept_refs()[0].rfind("refs/drover/interrupted/t1/1-", 0), 0u) << workspace.kept_refs()[0];
  EXPECT_EQ(events.count_lines("restarting interrupted attempt 1"), 1);
  EXPECT_EQ(store.task(t.id).attempts, 1) << "the restarted attempt is the same attempt";
}

TEST_F(InterruptedAttemptTest, ContinueRunsOnTopOfWhatTheAttemptLeft) {
  config.restart_interrupted = false;
  Task t = store.add("Append a line");
  EXPECT_EQ(crash_mid_agent_then_resume(t.id), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("reset", "t1"), 0);
  EXPECT_TRUE(workspace.kept_refs().empty());
}

TEST_F(InterruptedAttemptTest, AFirstRunAndARetryAfterAFailureAreNotRestarts) {
  Task t = store.add("Flaky");
  agents.script(t.id, {ScriptedAttempt(AttemptOutcome::kFailure, "tests failed")});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  clock.advance(config.backoff_max.count());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("reset", "t1"), 0) << "attempt 2 is new: it continues from attempt 1's files";
}

TEST_F(InterruptedAttemptTest, ACrashBeforeTheAgentStartedRestartsNothing) {
  Task t = store.add("Task");
  store.crash_after_steps = 1;  // worktree#1 recorded, agent#1 never began
  auto first = context("exec-dead");
  EXPECT_THROW(claim_and_run(*first), Crash);
  store.crash_after_steps = 0;
  clock.advance(config.lease_duration.count() + 1);
  auto second = context("exec-new");
  EXPECT_EQ(claim_and_run(*second), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("reset", "t1"), 0) << "the store never counted attempt 1 as begun";
  (void)t;
}

}  // namespace
}  // namespace drover::testing
