// Writes an agent makes outside its worktree: into the user's checkout, or
// commits on the target branch. The attempt fails naming them, the files are
// left as they are, a commit the agent put on the target is taken back off
// (kept elsewhere), and a merge later blocked by the agent's file blames the
// agent, not the user.
#include <gtest/gtest.h>

#include "drover/engine/outside_writes.h"
#include "engine_fixture.h"

namespace drover::testing {
namespace {

class OutsideWritesTest : public EngineTest {
 protected:
  std::unique_ptr<EngineContext> watched(const std::string& executor) {
    auto c = context(executor);
    c->outside = &ledger;
    return c;
  }
  OutsideWriteLedger ledger;
};

CheckoutState state(std::map<std::string, std::string> entries, std::string head_ref = "refs/heads/main",
                    std::string head = "c1") {
  CheckoutState s;
  s.head_ref = std::move(head_ref);
  s.head_commit = std::move(head);
  s.target_tip = "c1";
  s.entries = std::move(entries);
  return s;
}

TEST(CheckoutChanges, NamesEveryPathThatDiffers) {
  auto changes = checkout_changes(state({{"a", "1"}, {"b", "1"}}), state({{"a", "2"}, {"c", "1"}}), "main");
  std::vector<std::string> texts;
  for (const auto& c : changes) texts.push_back(c.text());
  EXPECT_EQ(texts, (std::vector<std::string>{"a (changed)", "c (added)", "b (reverted)"}));
}

TEST(CheckoutChanges, DroversOwnDirectoryIsNeverAnAgentsWrite) {
  // A repository where `drover init` did not exclude .drover/: its logs show up.
  auto changes = checkout_changes(state({{"a", "1"}}), state({{"a", "1"}, {".drover/", "d1"}, {".drover/logs/t1/1.log", "x"},
                                                              {"sub/.drover/db", "y"}, {"b", "1"}}),
                                  "main");
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].text(), "b (added)");
}

TEST(CheckoutChanges, TheTargetMovingUnderACheckedOutHeadIsNotAChange) {
  // Drover's own merges move the checked-out target; target_moves judges those.
  EXPECT_TRUE(checkout_changes(state({}, "refs/heads/main", "c1"), state({}, "refs/heads/main", "c2"), "main").empty());
}

TEST(CheckoutChanges, HeadOnAnotherBranchOrThatBranchMovingIsAChange) {
  auto switched = checkout_changes(state({}, "refs/heads/main"), state({}, "refs/heads/other"), "main");
  ASSERT_EQ(switched.size(), 1u);
  EXPECT_EQ(switched[0].path, "HEAD");
  EXPECT_NE(switched[0].what.find("now on refs/heads/other"), std::string::npos);
  auto moved = checkout_changes(state({}, "refs/heads/topic", "c1"), state({}, "refs/heads/topic", "c9"), "main");
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_NE(moved[0].what.find("refs/heads/topic moved"), std::string::npos);
}

TEST_F(OutsideWritesTest, AWriteIntoTheUsersCheckoutFailsTheAttemptNamingThePath) {
  Task t = store.add("Task");
  config.max_attempts = 1;
  agents.before = [&](const AgentAttemptRequest&) { workspace.write_checkout("src/main.c", "appended"); };
  auto ctx = watched("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  const Task after = store.task(t.id);
  EXPECT_EQ(after.status, TaskStatus::kFailed);
  EXPECT_NE(after.last_error.find("the agent wrote outside its worktree: src/main.c (added)"), std::string::npos)
      << after.last_error;
  EXPECT_TRUE(workspace.target_history().empty()) << "nothing of that attempt is merged";
  EXPECT_EQ(ledger.writer_of("src/main.c"), std::optional<std::string>("t1"));
  EXPECT_GE(events.count_lines("the agent wrote outside its worktree"), 1);
}

TEST_F(OutsideWritesTest, TheNextAttemptIsToldAndAWriteIsBlamedOnlyOnce) {
  Task t = store.add("Task");
  int runs = 0;
  agents.before = [&](const AgentAttemptRequest&) {
    if (++runs == 1) workspace.write_checkout("notes.txt", "x");
  };
  auto ctx = watched("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded) << "the failed attempt is retried after a backoff";
  clock.advance(config.backoff_max.count());
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted) << "the file is still there, but it was there before";
  EXPECT_EQ(runs, 2);
  EXPECT_NE(agents.requests(t.id).back().prompt.find("wrote outside its worktree: notes.txt"), std::string::npos);
}

TEST_F(OutsideWritesTest, ACommitTheAgentPutOnTheTargetIsTakenOffAndKept) {
  Task t = store.add("Task");
  config.max_attempts = 1;
  agents.before = [&](const AgentAttemptRequest&) { workspace.commit_on_target("t1", "abc123"); };
  auto ctx = watched("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kFailed);
  const std::string error = store.task(t.id).last_error;
  EXPECT_NE(error.find("the agent committed to main itself: abc123"), std::string::npos) << error;
  EXPECT_NE(error.find("kept at refs/drover/archive/t1/target"), std::string::npos) << error;
  EXPECT_TRUE(workspace.foreign_target_commits().empty()) << "the target was put back";
  EXPECT_TRUE(workspace.target_history().empty()) << "nothing merged on top of it";
}

TEST_F(OutsideWritesTest, ACommitOfSomeoneElseOnTheTargetIsNotBlamedOnTheAgent) {
  Task t = store.add("Task");
  agents.before = [&](const AgentAttemptRequest&) { workspace.commit_on_target("user", "u1"); };
  auto ctx = watched("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(workspace.foreign_target_commits(), std::vector<std::string>{"u1"}) << "the user's commit stays";
  EXPECT_EQ(store.task(t.id).status, TaskStatus::kCompleted);
}

TEST_F(OutsideWritesTest, AMergeBlockedByAnAgentsFileBlamesTheAgent) {
  Task t = store.add("Task");
  ledger.blame("t7", {CheckoutChange{"README.md", "changed"}});
  workspace.local_changes["t1"] = 1;  // README.md in the way
  auto ctx = watched("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  EXPECT_EQ(events.count_lines("written outside its worktree by an agent (README.md by task t7's agent), not by you"), 1);
  EXPECT_EQ(events.count_lines("commit or stash them"), 0);
  (void)t;
}

TEST_F(OutsideWritesTest, AVcsWithoutCheckoutStatesIsSaidOnceAndTheRunGoesOn) {
  workspace.no_checkout_state = true;
  store.add("A");
  store.add("B");
  auto ctx = watched("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(events.count_lines("writes outside worktrees are not watched"), 1);
  EXPECT_FALSE(ledger.watching());
}

}  // namespace
}  // namespace drover::testing
