// A VCS that lands on a shared remote (several machines, one history): a
// remote that cannot be reached pauses the task like a store outage, without
// using an attempt; a remote that refuses the landing fails the task at once;
// a task taken over by another machine goes on from its committed work, and
// the agent works again when the machine that ran it died before committing.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

class RemoteVcsTest : public EngineTest {
 protected:
  // The first executor dies (kill -9) when it is about to commit: its agent's
  // step is recorded, the commit is not.
  void die_before_the_commit() {
    bool crash = true;
    workspace.before = [&crash](const std::string& op, const std::string&) {
      if (op == "commit" && crash) {
        crash = false;
        throw Crash();
      }
    };
    auto dead = context("exec-dead");
    EXPECT_THROW(claim_and_run(*dead), Crash);
    workspace.before = nullptr;
    clock.advance(config.lease_duration.count() + 1);
  }
};

TEST_F(RemoteVcsTest, AnUnreachableRemoteWhilePreparingPausesTheTaskWithoutUsingAnAttempt) {
  Task t = store.add("T");
  workspace.unreachable["prepare"] = 2;
  auto ctx = context("exec-a");
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
    const Task now = store.task(t.id);
    EXPECT_EQ(now.attempts, 0) << "no attempt used";
    EXPECT_NE(now.status_reason.find("waiting for the repository's remote"), std::string::npos) << now.status_reason;
    EXPECT_NE(now.status_reason.find("cannot reach remote 'origin'"), std::string::npos) << now.status_reason;
    EXPECT_EQ(agents.runs(t.id), 0);
    EXPECT_FALSE(claim("exec-b").has_value()) << "it waits a few seconds before anyone tries again";
    clock.advance(5001);
  }
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(store.task(t.id).attempts, 1);
  EXPECT_EQ(agents.runs(t.id), 1);
}

TEST_F(RemoteVcsTest, AnUnreachableRemoteWhileCommittingOrLandingIsWaitedForAndLandsOnce) {
  Task t = store.add("T");
  workspace.unreachable["commit"] = 1;
  workspace.unreachable["publish_landing"] = 1;
  workspace.unreachable["build_landing"] = 1;
  auto ctx = context("exec-a");
  int yields = 0;
  TaskOutcome out;
  while ((out = claim_and_run(*ctx)) == TaskOutcome::kYielded && yields < 10) {
    ++yields;
    clock.advance(5001);
  }
  EXPECT_EQ(out, TaskOutcome::kCompleted);
  EXPECT_EQ(yields, 3) << "one pause for each";
  EXPECT_EQ(agents.runs(t.id), 1) << "the agent's work is not redone";
  EXPECT_EQ(store.task(t.id).attempts, 1);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
}

TEST_F(RemoteVcsTest, ALandingTheRemoteRefusesFailsTheTaskAtOnce) {
  Task t = store.add("T");
  workspace.refuse_publish = "pre-receive hook declined";
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  const Task now = store.task(t.id);
  EXPECT_EQ(now.status, TaskStatus::kFailed);
  EXPECT_NE(now.last_error.find("remote refused the landing"), std::string::npos) << now.last_error;
  EXPECT_NE(now.last_error.find("pre-receive hook declined"), std::string::npos) << now.last_error;
  EXPECT_NE(now.last_error.find("not retried"), std::string::npos) << now.last_error;
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_TRUE(workspace.target_history().empty());
}

// The executor dies after its agent finished (recorded) and before the
// commit: another machine makes the worktree again from what the remote
// keeps, where the agent's uncommitted work is not, so the agent works again.
TEST_F(RemoteVcsTest, AMachineLostBeforeItCommittedHasItsRoundRedoneByTheNext) {
  Task t = store.add("T");
  die_before_the_commit();
  workspace.forget_worktrees_here();
  auto next = context("exec-other-machine");
  EXPECT_EQ(claim_and_run(*next), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 2) << "the lost round is run again";
  EXPECT_EQ(events.count_lines("made again here"), 1);
  EXPECT_EQ(events.count_lines("the agent works again"), 1);
  EXPECT_EQ(store.task(t.id).attempts, 1) << "no attempt used";
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});

  // Replayed once more (a third executor), the same path is taken from the record.
  auto steps = store.get_workflow("task/" + t.id + "/" + std::to_string(store.task(t.id).generation));
  ASSERT_TRUE(steps.ok());
  std::vector<std::string> names;
  for (const auto& s : steps.value().second) names.push_back(s.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "lost#1"), names.end()) << ::testing::PrintToString(names);
}

// Dead after its commit: the work is on the remote and nothing is redone.
TEST_F(RemoteVcsTest, AMachineLostAfterItCommittedIsContinuedWithoutRunningTheAgentAgain) {
  Task t = store.add("T");
  store.crash_after_steps = 3;  // worktree#1, agent#1, commit#1
  auto dead = context("exec-dead");
  EXPECT_THROW(claim_and_run(*dead), Crash);
  store.crash_after_steps = 0;
  workspace.forget_worktrees_here();
  clock.advance(config.lease_duration.count() + 1);
  auto next = context("exec-other-machine");
  EXPECT_EQ(claim_and_run(*next), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_EQ(events.count_lines("made again here"), 1);
  EXPECT_EQ(events.count_lines("the agent works again"), 0);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
}

// Resumed on the same machine, the worktree is there: nothing is redone.
TEST_F(RemoteVcsTest, AResumeOnTheSameMachineFindsItsWorktreeAndRedoesNothing) {
  Task t = store.add("T");
  die_before_the_commit();
  auto next = context("exec-same-machine");
  EXPECT_EQ(claim_and_run(*next), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_EQ(events.count_lines("made again here"), 0);
}

}  // namespace
}  // namespace drover::testing
