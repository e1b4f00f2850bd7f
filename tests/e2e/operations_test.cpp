// Day-to-day commands around a run: the cost budget, logs, reset, worktree
// listing and pruning (which never discards unmerged work without --force).
#include <gtest/gtest.h>

#include <fstream>

#include "e2e_project.h"

namespace drover::testing {
namespace {

TEST(Operations, BudgetStopsNewAgentRuns) {
  // Each test agent run reports $0.01; the budget allows two.
  E2EProject p("", 1, "budget_usd: 0.02\n");
  for (int i = 0; i < 4; ++i) p.add({"Costs a cent " + std::to_string(i)});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("$0.02 of the $0.02 budget spent; no new agent runs start"), std::string::npos) << run.out;
  int completed = 0;
  for (const auto& [id, st] : p.task_states()) completed += st == "completed";
  EXPECT_EQ(completed, 2);
  auto status = p.drover({"status"});
  EXPECT_NE(status.out.find("cost so far: $0.0200"), std::string::npos) << status.out;
}

TEST(Operations, LogsShowTheAgentsOutput) {
  E2EProject p;
  std::string t = p.add({"Logged"});
  ASSERT_EQ(p.drover({"run"}).exit_code, 0);
  auto logs = p.drover({"logs", t});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("\"summary\":\"wrote changes/" + t + ".txt\""), std::string::npos) << logs.out;
  auto first = p.drover({"logs", t, "--attempt", "1", "--follow"});
  EXPECT_EQ(first.out, logs.out) << "--follow on a finished attempt prints it and ends";
  auto none = p.drover({"logs", t, "--attempt", "7"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("task " + t + " has had 1 attempt, not 7; leave out --attempt for the latest"),
            std::string::npos)
      << none.err;
  auto never = p.drover({"logs", t, "--attempt", "7", "--follow"});
  EXPECT_EQ(never.exit_code, 2) << "a completed task will not run attempt 7";
  EXPECT_NE(never.err.find("task " + t + " is completed and has not run attempt 7"), std::string::npos) << never.err;
}

TEST(Operations, ResetFailedPutsFailedTasksBack) {
  E2EProject p;
  std::string bad = p.add({"Fails [fail]", "--max-attempts", "1"});
  std::string ok = p.add({"Works"});
  EXPECT_EQ(p.drover({"run"}).exit_code, 1);
  auto reset = p.drover({"reset", "--failed"});
  EXPECT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_NE(reset.out.find(bad + ": ready"), std::string::npos) << reset.out;
  auto states = p.task_states();
  EXPECT_EQ(states[bad], "ready");
  EXPECT_EQ(states[ok], "completed") << "--failed leaves completed tasks alone";
  auto retry_done = p.drover({"retry", ok});
  EXPECT_EQ(retry_done.exit_code, 2);
  EXPECT_NE(retry_done.err.find("task " + ok + " is completed; `drover reset " + ok + "` runs it again"), std::string::npos)
      << retry_done.err;
  auto nothing = p.drover({"reset"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("reset: name task ids, or --failed, or --all"), std::string::npos) << nothing.err;
}

TEST(Operations, WorktreePruneKeepsUnmergedWorkUnlessForced) {
  E2EProject p;
  std::string bad = p.add({"Leaves work behind [fail]", "--max-attempts", "1"});
  EXPECT_EQ(p.drover({"run"}).exit_code, 1);
  // A failed task's worktree stays for inspection. Leave uncommitted work in
  // it, as an agent that gave up half-way would.
  const std::string wt = p.repo() + "/.drover/worktrees/" + bad;
  ASSERT_TRUE(std::filesystem::exists(wt));
  std::ofstream(wt + "/precious.txt") << "half-done work\n";
  auto list = p.drover({"worktree", "list"});
  EXPECT_NE(list.out.find(bad + "  failed  "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("uncommitted changes"), std::string::npos) << list.out;
  auto prune = p.drover({"worktree", "prune"});
  EXPECT_EQ(prune.exit_code, 0) << prune.err;
  EXPECT_NE(prune.out.find(bad + ": kept"), std::string::npos) << prune.out;
  EXPECT_TRUE(std::filesystem::exists(wt + "/precious.txt"));
  auto forced = p.drover({"worktree", "prune", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.out.find(bad + ": removed; discarded:"), std::string::npos) << forced.out;
  EXPECT_NE(forced.out.find("precious.txt"), std::string::npos) << "it says what is discarded: " << forced.out;
  EXPECT_FALSE(std::filesystem::exists(wt));
}

}  // namespace
}  // namespace drover::testing
