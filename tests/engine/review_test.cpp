// Review before landing, the agent's verdict line and tasks.no_changes: a
// task whose work waits for a person is given back (not claimable, no time
// runs out), a decision makes it claimable, and the workflow replays to the
// review step and reads the decision: an approval lands (or completes a task
// with no changes), a rejection's feedback is the next round's prompt.
#include "engine_fixture.h"

namespace drover::testing {
namespace {

class ReviewTest : public EngineTest {
 protected:
  ScriptedAttempt says(const std::string& message) {
    ScriptedAttempt a;
    a.summary = message;
    return a;
  }
};

TEST_F(ReviewTest, RequiredReviewHoldsTheWorkUntilApprovedThenItLands) {
  config.review_required = true;
  Task t = store.add("Change");
  Task dependent = store.add("After", {t.id});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  Task w = store.task(t.id);
  EXPECT_TRUE(w.awaiting_review());
  EXPECT_EQ(w.not_before_ms, kNoTimeMs);
  EXPECT_EQ(workspace.count("build_landing", "t1"), 0) << "nothing lands before the approval";
  EXPECT_EQ(events.count_lines("awaiting review"), 1);
  clock.advance(24 * 3600 * 1000LL);
  EXPECT_FALSE(claim("exec-a").has_value()) << "a task awaiting review is never claimable by time";
  EXPECT_EQ(store.task(dependent.id).status, TaskStatus::kWaiting);

  ASSERT_TRUE(store.review_task(t.id, ReviewDecision::kApprove, "", clock.now_ms()).ok());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 1) << "the approval replays to the landing; the agent does not run again";
  EXPECT_EQ(workspace.count("build_landing", "t1"), 1);
  EXPECT_EQ(store.task(dependent.id).status, TaskStatus::kReady);
}

TEST_F(ReviewTest, ARejectionGivesTheAgentTheFeedbackInAnotherRoundWithItsSession) {
  Task t = store.add("Change");
  ASSERT_TRUE(store.edit_task(t.id, TaskEdit{.review = true}, clock.now_ms()).ok());
  ScriptedAttempt first = says("did it");
  first.session_id = "sess-1";
  agents.script(t.id, {first, says("fixed the naming")});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  ASSERT_TRUE(store.review_task(t.id, ReviewDecision::kReject, "use snake_case names", clock.now_ms()).ok());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded) << "the new round's work waits for review again";
  ASSERT_EQ(agents.runs(t.id), 2);
  const AgentAttemptRequest second = agents.requests(t.id).back();
  EXPECT_EQ(second.round, "review");
  EXPECT_EQ(second.session_id, "sess-1") << "the session is resumed";
  EXPECT_NE(second.prompt.find("use snake_case names"), std::string::npos);
  EXPECT_NE(second.prompt.find("A reviewer looked at your work"), std::string::npos);
  EXPECT_EQ(store.task(t.id).attempts, 1) << "a rejection uses no attempt";

  ASSERT_TRUE(store.review_task(t.id, ReviewDecision::kApprove, "", clock.now_ms()).ok());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 2);
}

TEST_F(ReviewTest, ADecisionOfAnEarlierGenerationIsNotTakenAgain) {
  config.review_required = true;
  Task t = store.add("Change");
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  ASSERT_TRUE(store.review_task(t.id, ReviewDecision::kApprove, "", clock.now_ms()).ok());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  ASSERT_TRUE(store.reset_task(t.id, ResetMode::kReset, clock.now_ms()).ok());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded) << "the reset task's new work waits for a new approval";
  EXPECT_TRUE(store.task(t.id).awaiting_review());
}

TEST_F(ReviewTest, NoChangesWithoutAVerdictWaitsForAPersonByDefault) {
  Task t = store.add("Task");
  Task dependent = store.add("After", {t.id});
  workspace.no_changes.insert("t1");
  agents.script(t.id, {says("I cannot proceed: I do not have the staging database credentials.")});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  Task w = store.task(t.id);
  ASSERT_TRUE(w.awaiting_review());
  EXPECT_NE(w.wait.detail.find("the agent changed nothing"), std::string::npos);
  EXPECT_NE(w.wait.detail.find("staging database credentials"), std::string::npos) << w.wait.detail;
  EXPECT_EQ(store.task(dependent.id).status, TaskStatus::kWaiting) << "dependents stay blocked";
  // Approving a held task with no changes completes it.
  ASSERT_TRUE(store.review_task(t.id, ReviewDecision::kApprove, "", clock.now_ms()).ok());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_TRUE(store.task(t.id).merge_commit.empty());
  EXPECT_EQ(store.task(dependent.id).status, TaskStatus::kReady);
}

TEST_F(ReviewTest, NoChangesWithADoneVerdictCompletes) {
  Task t = store.add("Task");
  workspace.no_changes.insert("t1");
  agents.script(t.id, {says("The option already exists; nothing to change.\n\n**DROVER-RESULT: done**")});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
}

TEST_F(ReviewTest, NoChangesFailsAtOnceWhenConfigured) {
  config.no_changes = NoChanges::kFail;
  Task t = store.add("Task");
  Task dependent = store.add("After", {t.id});
  workspace.no_changes.insert("t1");
  agents.script(t.id, {says("Please provide DATABASE_URL.")});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  Task f = store.task(t.id);
  EXPECT_EQ(f.status, TaskStatus::kFailed);
  EXPECT_NE(f.last_error.find("changed nothing"), std::string::npos) << f.last_error;
  EXPECT_NE(f.last_error.find("DATABASE_URL"), std::string::npos) << f.last_error;
  EXPECT_EQ(agents.runs(t.id), 1) << "not retried";
  EXPECT_EQ(store.task(dependent.id).status, TaskStatus::kBlocked);
}

TEST_F(ReviewTest, ABlockedVerdictFailsAtOnceWithTheReasonAndBlocksDependents) {
  Task t = store.add("Task");
  Task dependent = store.add("After", {t.id});
  agents.script(t.id, {says("I looked around.\nDROVER-RESULT: blocked: the staging DATABASE_URL")});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  Task f = store.task(t.id);
  EXPECT_NE(f.last_error.find("the agent is blocked: the staging DATABASE_URL"), std::string::npos) << f.last_error;
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_EQ(workspace.count("commit", "t1"), 0) << "blocked work is neither committed nor landed";
  EXPECT_EQ(store.task(dependent.id).status, TaskStatus::kBlocked);
}

TEST_F(ReviewTest, TheAgentsFinalWordsAreReported) {
  Task t = store.add("Task");
  agents.script(t.id, {says("\nAdded the --verbose flag and a test.\nDROVER-RESULT: done")});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(events.count_lines("the agent said: Added the --verbose flag and a test."), 1);
}

TEST_F(ReviewTest, ARunEndsWhenOnlyReviewsAreLeftAndSaysWhich) {
  config.review_required = true;
  store.add("One");
  store.add("Two");
  RunSummary s = run_loop(2);
  ASSERT_EQ(s.awaiting_review.size(), 2u);
  EXPECT_FALSE(s.all_completed());
  EXPECT_EQ(s.ready, 0);
}

TEST_F(ReviewTest, ARunWaitingForReviewLandsAnApprovalAtOnce) {
  config.review_required = true;
  Task t = store.add("One");
  RunOptions opts;
  opts.workers = 1;
  opts.executor = "loop-review";
  opts.wait_for_review = true;
  opts.print = [](const std::string&) {};
  RunLoop loop(ports(), opts);
  std::thread approver([&] {
    for (int i = 0; i < 500 && !store.task(t.id).awaiting_review(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(store.task(t.id).awaiting_review());
    ASSERT_TRUE(store.review_task(t.id, ReviewDecision::kApprove, "", clock.now_ms()).ok());
  });
  auto r = loop.run();
  approver.join();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().completed, 1);
  EXPECT_EQ(store.task(t.id).status, TaskStatus::kCompleted);
}

TEST_F(ReviewTest, OnlyATaskAwaitingReviewCanBeDecidedOn) {
  Task t = store.add("Task");
  auto r = store.review_task(t.id, ReviewDecision::kApprove, "", clock.now_ms());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace drover::testing
