// The merge queue against the fakes: verify on the merged result, fix rounds,
// batches and their bisection, a target that moves under a landing.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

class LandingTest : public EngineTest {
 protected:
  LandingTest() { config.verify = VerifyConfig{{"make", "test"}, std::chrono::minutes(1)}; }

  // What a verify run sees: the tasks on the target plus those the verified
  // commit brings in.
  std::vector<std::string> verified_set(const VerifyRequest& r) {
    std::vector<std::string> all = workspace.target_history();
    for (const auto& k : FakeWorkspace::keys_in(r.worktree)) all.push_back(k);
    return all;
  }
  static bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  // Tasks t1..tn, each committed in its worktree, as if their agents finished.
  std::vector<LandingRequest> finished_tasks(int n) {
    std::vector<LandingRequest> out;
    for (int i = 1; i <= n; ++i) {
      Task t = store.add("Task " + std::to_string(i));
      WorktreeKey key{t.id, 1};
      (void)workspace.prepare(key, "main");
      (void)workspace.commit(key, CommitRequest{"m", "", ""});
      out.push_back(LandingRequest{key, t.title, 1, "Merge " + t.id, "/tmp/" + t.id + ".land.log"});
    }
    return out;
  }

  // Verify runs to land 16 finished tasks with these culprits at this batch size.
  int verify_runs_for(int batch, const std::vector<std::string>& culprits, std::vector<LandingVerdict>* verdicts = nullptr) {
    config.merge.batch = batch;
    agents.verify_rule = [&, culprits](const VerifyRequest& r) {
      for (const auto& c : culprits)
        if (has(FakeWorkspace::keys_in(r.worktree), c)) return false;
      return true;
    };
    auto ctx = context("exec-a");
    auto v = ctx->landing.land_together(finished_tasks(16));
    if (verdicts) *verdicts = v;
    return ctx->landing.verify_runs();
  }
};

TEST_F(LandingTest, TwoTasksGreenAloneButRedTogetherNeverMakeTheTargetRed) {
  config.merge.max_rounds = 1;
  config.max_attempts = 1;
  Task a = store.add("Add one file to dir/");
  Task b = store.add("Add another file to dir/");
  agents.verify_rule = [&](const VerifyRequest& r) {
    auto s = verified_set(r);
    return !(has(s, "t1") && has(s, "t2"));  // the gate allows one file in dir/
  };
  RunSummary summary = run_loop(2);
  EXPECT_EQ(workspace.target_history().size(), 1u) << "only one of them lands";
  const std::string landed = workspace.target_history().front();
  const std::string other = landed == a.id ? b.id : a.id;
  EXPECT_EQ(store.task(landed).status, TaskStatus::kCompleted);
  Task failed = store.task(other);
  EXPECT_EQ(failed.status, TaskStatus::kFailed);
  EXPECT_NE(failed.last_error.find("verify failed on the merge with main"), std::string::npos) << failed.last_error;
  auto requests = agents.requests(other);
  ASSERT_EQ(requests.size(), 2u) << "its work round, then one fix round";
  EXPECT_EQ(requests[1].round, "fix");
  EXPECT_NE(requests[1].prompt.find("FAILED: test_x"), std::string::npos) << requests[1].prompt;
  EXPECT_EQ(failed.attempts, 1) << "the fix round used no attempt";
  EXPECT_EQ(summary.rounds["fix"], 1);
  EXPECT_EQ(workspace.count("scratch_removed", "landing"), 1) << "the scratch worktree goes at the end of the run";
}

TEST_F(LandingTest, AFixRoundThatMakesItGreenLands) {
  Task t = store.add("Task");
  agents.script_verify(t.id, {false, true});
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
  EXPECT_EQ(workspace.count("sync", "t1"), 1) << "the worktree is brought to the merge first";
  auto requests = agents.requests(t.id);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].round, "fix");
  EXPECT_EQ(store.task(t.id).attempts, 1);
  EXPECT_EQ(store.step_names(TaskWorkflow::workflow_id(store.task(t.id))),
            (std::vector<std::string>{"worktree#1", "agent#1", "commit#1", "land#1", "sync#1.2", "agent#1.2", "commit#1.2",
                                      "land#1.2", "complete", "cleanup"}));
}

TEST_F(LandingTest, TheTargetMovingUnderALandingIsBuiltAndVerifiedAgain) {
  Task t = store.add("Task");
  workspace.moves_before_publish = 1;
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.target_history(), (std::vector<std::string>{"(someone else)", "t1"}));
  EXPECT_EQ(agents.verify_count(), 2) << "what landed was verified on the tip it landed on";
  EXPECT_EQ(agents.runs(t.id), 1);
}

TEST_F(LandingTest, ATargetThatKeepsMovingMakesTheTaskWaitAndLandLaterWithoutUsingAnAttempt) {
  // Executors on other machines land first every time this landing is built.
  Task t = store.add("Task");
  workspace.moves_before_publish = 8;
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  EXPECT_NE(store.task(t.id).status_reason.find("waiting to land: main kept moving"), std::string::npos)
      << store.task(t.id).status_reason;
  clock.advance(1001);
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(agents.runs(t.id), 1) << "the agent's work is not redone";
  EXPECT_EQ(store.task(t.id).attempts, 1);
  EXPECT_EQ(workspace.target_history().back(), "t1");
}

TEST_F(LandingTest, AGreenBatchLandsWithOneVerifyRunAndOneCommitPerTask) {
  std::vector<LandingVerdict> verdicts;
  EXPECT_EQ(verify_runs_for(8, {}, &verdicts), 2);
  EXPECT_EQ(workspace.target_history().size(), 16u);
  for (const auto& v : verdicts) {
    EXPECT_EQ(v.outcome, Landing::kLanded);
    EXPECT_TRUE(v.verified);
    EXPECT_EQ(v.batch.size(), 8u);
  }
}

TEST_F(LandingTest, ARedBatchIsBisectedToItsCulpritAndTheOthersLand) {
  std::vector<LandingVerdict> verdicts;
  const int runs = verify_runs_for(8, {"t5"}, &verdicts);
  EXPECT_LE(runs, 2 + 2 * 3) << "O(log N) runs per culprit";
  EXPECT_EQ(workspace.target_history().size(), 15u);
  EXPECT_FALSE(has(workspace.target_history(), "t5"));
  for (size_t i = 0; i < verdicts.size(); ++i)
    EXPECT_EQ(verdicts[i].outcome, i == 4 ? Landing::kVerifyFailed : Landing::kLanded) << "t" << i + 1;
  EXPECT_EQ(verdicts[4].output, "FAILED: test_x\n");
}

TEST_F(LandingTest, BatchingSavesVerifyRuns) {
  // The figures the bench prints, held to their bounds.
  EXPECT_EQ(verify_runs_for(1, {}), 16);
}

TEST_F(LandingTest, TwoCulpritsInABatchAreBothFound) {
  std::vector<LandingVerdict> verdicts;
  verify_runs_for(4, {"t2", "t11"}, &verdicts);
  EXPECT_EQ(workspace.target_history().size(), 14u);
  EXPECT_EQ(verdicts[1].outcome, Landing::kVerifyFailed);
  EXPECT_EQ(verdicts[10].outcome, Landing::kVerifyFailed);
}

TEST_F(LandingTest, ATaskWhoseLeaseRunsOutDuringVerifyIsNotPublishedAndTheOthersLandWithoutIt) {
  // A partitioned executor: the renewals of t2's lease failed for a while
  // before the landing, and while its batch is verified the lease comes
  // within the fencing margin of its expiry. Another executor may take t2 over
  // any moment, so this run must not publish it.
  config.merge.batch = 3;
  LeaseBook leases(std::chrono::milliseconds(30'000));
  auto ctx = context("exec-a");
  ctx->leases = &leases;
  auto requests = finished_tasks(3);
  leases.claimed("t1", clock.now_ms());
  leases.claimed("t2", clock.now_ms() - 15'000);  // assured for 5 s more
  leases.claimed("t3", clock.now_ms());
  std::vector<std::vector<std::string>> verified;
  agents.verify_rule = [&](const VerifyRequest& r) {
    verified.push_back(FakeWorkspace::keys_in(r.worktree));
    clock.advance(6'000);
    return true;
  };
  auto v = ctx->landing.land_together(requests);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].outcome, Landing::kLanded);
  EXPECT_EQ(v[1].outcome, Landing::kUnassured) << v[1].why;
  EXPECT_NE(v[1].why.find("could not renew its lease on t2"), std::string::npos) << v[1].why;
  EXPECT_EQ(v[2].outcome, Landing::kLanded);
  EXPECT_EQ(workspace.target_history(), (std::vector<std::string>{"t1", "t3"})) << "t2 is not on the target";
  ASSERT_EQ(verified.size(), 2u) << "the batch without t2 is verified again before it is published";
  EXPECT_FALSE(has(verified[1], "t2"));
  EXPECT_TRUE(has(verified[0], "t2"));
  EXPECT_TRUE(v[0].verified);
}

TEST_F(LandingTest, AFencedOrLostTaskIsNeverPublished) {
  LeaseBook leases(std::chrono::milliseconds(30'000));
  auto ctx = context("exec-a");
  ctx->leases = &leases;
  auto requests = finished_tasks(2);
  leases.claimed("t1", clock.now_ms() - 25'000);
  leases.claimed("t2", clock.now_ms() - 25'000);
  ASSERT_EQ(leases.fence_due(clock.now_ms()).size(), 2u);
  leases.lost("t2");
  auto v = ctx->landing.land_together(requests);
  EXPECT_EQ(v[0].outcome, Landing::kUnassured);
  EXPECT_EQ(v[1].outcome, Landing::kUnassured);
  EXPECT_TRUE(workspace.target_history().empty());
  // Regained (the store answered, nobody took it): it lands.
  leases.regained("t1", clock.now_ms());
  EXPECT_EQ(ctx->landing.land(requests[0]).outcome, Landing::kLanded);
}

TEST_F(LandingTest, WithoutVerifyTasksLandWithoutAScratchWorktree) {
  config.verify.reset();
  Task t = store.add("Task");
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.count("scratch", "landing"), 0);
  EXPECT_EQ(agents.verify_count(), 0);
}

TEST_F(LandingTest, AConflictsPathsAreLearnedOnBothTasks) {
  config.verify.reset();
  Task a = store.add("First");
  Task b = store.add("Second");
  workspace.conflicts[b.id] = 1;
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(store.task(b.id).learned_touches, std::vector<std::string>{"shared.txt"});
  EXPECT_EQ(store.task(a.id).learned_touches, std::vector<std::string>{"shared.txt"}) << "the task it collided with learns too";
}

}  // namespace
}  // namespace drover::testing
