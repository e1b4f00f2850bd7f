// End to end: the real drover binary, a real git repository, the exec agent
// running a real script per task.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e_project.h"

namespace drover::testing {
namespace {

// A 20-task plan: a chain, a diamond, sub-tasks, independent tasks.
std::vector<std::string> add_twenty_task_plan(E2EProject& p) {
  std::vector<std::string> ids;
  auto add = [&](std::vector<std::string> args) {
    ids.push_back(p.add(std::move(args)));
    return ids.back();
  };
  std::string a = add({"Chain 1"});
  std::string b = add({"Chain 2", "--blocked-by", a});
  std::string c = add({"Chain 3", "--blocked-by", b});
  std::string top = add({"Diamond top"});
  std::string l = add({"Diamond left", "--blocked-by", top});
  std::string r = add({"Diamond right", "--blocked-by", top});
  std::string bottom = add({"Diamond bottom", "--blocked-by", l + "," + r});
  std::string parent = add({"Parent with sub-tasks"});
  add({"Sub-task one", "--parent", parent});
  add({"Sub-task two", "--parent", parent});
  add({"Sub-task three", "--parent", parent});
  for (int i = 0; i < 8; ++i) add({"Independent " + std::to_string(i), "--priority", std::to_string(i % 3)});
  add({"Final", "--blocked-by", c + "," + bottom + "," + parent});
  return ids;
}

void expect_all_merged_once(const E2EProject& p, const std::vector<std::string>& ids) {
  auto merged = p.merged_task_commits();
  for (const auto& id : ids) {
    EXPECT_EQ(merged[id], 1) << "task " << id << " should be on main exactly once";
    EXPECT_TRUE(std::filesystem::exists(p.repo() + "/changes/" + id + ".txt")) << id;
  }
  EXPECT_EQ(merged.size(), ids.size());
}

TEST(EndToEnd, TwentyTaskPlanAtFourWorkersAllMerged) {
  E2EProject p;
  auto ids = add_twenty_task_plan(p);
  ASSERT_EQ(ids.size(), 20u);
  auto run = p.drover({"run", "--workers", "4"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("completed: 20"), std::string::npos) << run.out;
  for (const auto& [id, st] : p.task_states()) EXPECT_EQ(st, "completed") << id;
  expect_all_merged_once(p, ids);
  int conc = p.max_concurrency();
  EXPECT_LE(conc, 4) << "more agents ran at once than --workers";
  EXPECT_GE(conc, 2) << "independent tasks should run in parallel";
  // No worktree or task branch is left, and the user's checkout is clean.
  auto wt = p.drover({"worktree", "list"});
  EXPECT_NE(wt.out.find("no task worktrees"), std::string::npos) << wt.out;
  auto branches = p.git({"branch", "--list", "drover/*"});
  EXPECT_EQ(branches.out, "");
  auto st = p.git({"status", "--porcelain", "--untracked-files=no"});
  EXPECT_EQ(st.out, "");
  // Each dependent was built on its blockers' merges: the chain in order,
  // sub-tasks in order and before their parent, the final task last.
  EXPECT_TRUE(p.built_on(ids[1], ids[0]));
  EXPECT_TRUE(p.built_on(ids[2], ids[1]));
  EXPECT_TRUE(p.built_on(ids[6], ids[4]));
  EXPECT_TRUE(p.built_on(ids[6], ids[5]));
  EXPECT_TRUE(p.built_on(ids[9], ids[8]));
  EXPECT_TRUE(p.built_on(ids[10], ids[9]));
  EXPECT_TRUE(p.built_on(ids[7], ids[10]));
  EXPECT_TRUE(p.built_on(ids[19], ids[6]));
  EXPECT_TRUE(p.built_on(ids[19], ids[7]));
}

TEST(EndToEnd, WorkerCapOfOneRunsByPriority) {
  E2EProject p("", 1);
  std::string low = p.add({"Low one", "--priority", "low"});
  std::string crit = p.add({"Critical one", "--priority", "critical"});
  std::string normal = p.add({"Normal one"});
  std::string high = p.add({"High one", "--priority", "high"});
  auto run = p.drover({"run"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(p.max_concurrency(), 1);
  EXPECT_EQ(p.merged_task_order(), (std::vector<std::string>{crit, high, normal, low}));
}

TEST(EndToEnd, FailureBlocksDependentsThenRetryFinishes) {
  E2EProject p;
  std::string bad = p.add({"Flaky [fail]"});
  std::string dep = p.add({"Needs the flaky one", "--blocked-by", bad});
  std::string dep2 = p.add({"Needs that too", "--blocked-by", dep});
  std::string ok = p.add({"Unrelated"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto states = p.task_states();
  EXPECT_EQ(states[bad], "failed");
  EXPECT_EQ(states[dep], "blocked");
  EXPECT_EQ(states[dep2], "blocked");
  EXPECT_EQ(states[ok], "completed");
  EXPECT_NE(run.out.find("failed " + bad + ": failure: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("blocked " + dep + ": blocked by failed task " + bad), std::string::npos) << run.out;
  auto status = p.drover({"status"});
  EXPECT_NE(status.out.find("blocked " + dep + ": blocked by failed task " + bad), std::string::npos) << status.out;
  auto info = p.drover({"info", bad});
  EXPECT_NE(info.out.find("attempts: 2 of 2"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("  attempt started  attempt 1 with agent 'test'"), std::string::npos) << info.out;
  EXPECT_EQ(info.out.find("attempt_started"), std::string::npos) << "the kind reads as words: " << info.out;

  std::ofstream(p.dir() + "/fixed-" + bad) << "";
  auto retry = p.drover({"retry", bad});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  states = p.task_states();
  EXPECT_EQ(states[bad], "ready");
  EXPECT_EQ(states[dep], "waiting");
  auto again = p.drover({"run"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  for (const auto& [id, st] : p.task_states()) EXPECT_EQ(st, "completed") << id;
  expect_all_merged_once(p, {bad, dep, dep2, ok});
}

TEST(EndToEnd, CancelStopsARunningAgent) {
  E2EProject p;
  std::string slow = p.add({"Takes forever [slow]"});
  std::string after = p.add({"After the slow one", "--blocked-by", slow});
  pid_t run = p.start_drover({"run"}, p.dir() + "/run.out");
  // Wait until the agent runs.
  for (int i = 0; i < 200 && p.task_states()[slow] != "running"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto cancel = p.drover({"cancel", slow});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  auto start = std::chrono::steady_clock::now();
  int status = 0;
  waitpid(run, &status, 0);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(30)) << "the cancelled agent was not stopped";
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  auto states = p.task_states();
  EXPECT_EQ(states[slow], "cancelled");
  EXPECT_EQ(states[after], "blocked");
}

TEST(EndToEnd, EpicFilterRunsOnlyThatEpic) {
  E2EProject p;
  auto e = p.drover({"epic", "add", "Backend"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::string epic = e.out.substr(0, e.out.find('\n'));
  std::string in1 = p.add({"In the epic", "--epic", epic});
  std::string in2 = p.add({"Also in it", "--epic", epic, "--blocked-by", in1});
  std::string out = p.add({"Not in the epic"});
  auto run = p.drover({"run", "--epic", epic});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto states = p.task_states();
  EXPECT_EQ(states[in1], "completed");
  EXPECT_EQ(states[in2], "completed");
  EXPECT_EQ(states[out], "ready");
  auto list = p.drover({"epic", "list", "--json"});
  auto epics = json::parse(list.out);
  ASSERT_EQ(epics.size(), 1u);
  EXPECT_EQ(epics[0]["counts"]["completed"], 2);
}

TEST(EndToEnd, QuotaPausesWithoutBurningAnAttempt) {
  E2EProject p;
  std::string q = p.add({"Hits a limit [quota]", "--max-attempts", "1"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(p.task_states()[q], "completed");
  EXPECT_NE(run.out.find("usage limit"), std::string::npos) << run.out;
}

TEST(EndToEnd, ARateLimitThatStaysBacksOffThenEndsTheRunAfterGiveUpAfter) {
  // No reset time, every time (issue 14: relaunched for ever): growing
  // pauses, then the run gives up on the agent, exit code 1, naming it.
  E2EProject p("", 2, "quota: { backoff: { initial: 200ms, max: 800ms }, give_up_after: 3s }\n");
  std::string q = p.add({"Always limited [ratelimit]", "--max-attempts", "1"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("gave up on agent 'test'"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("quota.give_up_after (3.0s)"), std::string::npos) << run.out;
  EXPECT_EQ(p.task_states()[q], "ready") << "left for the next run, no attempt used";
  std::vector<long long> starts;
  std::istringstream trace(read_text(p.dir() + "/trace"));
  for (std::string word, task; trace >> word >> task;) {
    long long ns = 0;
    trace >> ns;
    if (word == "start" && task == q) starts.push_back(ns);
  }
  ASSERT_GE(starts.size(), 4u) << run.out;
  EXPECT_LE(starts.size(), 10u) << "never a relaunch storm: " << run.out;
  EXPECT_GT(starts.back() - starts[starts.size() - 2], starts[1] - starts[0]) << "the pauses grew: " << run.out;
  EXPECT_NE(run.out.find("rate limit in a row"), std::string::npos) << run.out;
  auto status = p.drover({"status"});
  EXPECT_NE(status.out.find("agent test"), std::string::npos) << status.out;
}

TEST(EndToEnd, VerifyGateFailureOnTheMergeFeedsAFixRound) {
  // The gate (run on the merged result in .drover/worktrees/+landing) passes
  // only once a marker from a first failure exists.
  E2EProject p("", 2,
               "verify: { command: [\"bash\", \"-c\", \"test -e ../../../../gate-ok || { touch ../../../../gate-ok; "
               "echo gate says no; exit 1; }\"], timeout: 1m }\n");
  std::string t = p.add({"Gated"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(p.task_states()[t], "completed");
  const std::string fix_prompt = read_text(p.repo() + "/.drover/logs/" + t + "/1.r2.prompt.md");
  EXPECT_NE(fix_prompt.find("gate says no"), std::string::npos) << "the fix round's prompt:\n" << fix_prompt;
  EXPECT_NE(read_text(p.repo() + "/.drover/logs/" + t + "/1.land.log").find("gate says no"), std::string::npos);
}

TEST(EndToEnd, PostgresStoreRunsThePlanToo) {
  const std::string storage = postgres_storage_yaml("e2e_");
  if (storage.empty()) GTEST_SKIP() << "DROVER_TEST_POSTGRES_URL is not set";
  E2EProject p(storage);
  auto ids = add_twenty_task_plan(p);
  auto run = p.drover({"run", "--workers", "4"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  for (const auto& [id, st] : p.task_states()) EXPECT_EQ(st, "completed") << id;
  expect_all_merged_once(p, ids);
  EXPECT_LE(p.max_concurrency(), 4);
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

TEST(EndToEnd, MergeWaitsWhileTheUsersCheckoutIsInTheWay) {
  E2EProject p;
  std::string t = p.add({"Writes changes/t1.txt"});
  ASSERT_EQ(t, "t1");
  // An untracked file of the user's sits where the task's change would land.
  std::filesystem::create_directories(p.repo() + "/changes");
  std::ofstream(p.repo() + "/changes/t1.txt") << "the user's own notes\n";
  std::ofstream(p.repo() + "/unrelated.txt") << "untouched\n";
  std::thread user([&] {
    // Wait until Drover reports the wait, then move the file out of the way.
    for (int i = 0; i < 200; ++i) {
      auto st = p.status_json();
      bool waiting = false;
      for (const auto& task : st["tasks"])
        waiting = waiting || (task["wait"].is_object() && task["wait"].value("kind", "") == "merge");
      if (waiting) {
        // status says it in words, not as the stored reason's tag.
        auto text = p.drover({"status"});
        EXPECT_NE(text.out.find("awaiting merge t1: local changes in the way of the merge: changes/t1.txt"),
                  std::string::npos)
            << text.out;
        EXPECT_EQ(text.out.find("awaiting_merge"), std::string::npos) << text.out;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream in(p.repo() + "/changes/t1.txt");
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, "the user's own notes") << "the user's file was touched while waiting";
    std::filesystem::rename(p.repo() + "/changes/t1.txt", p.dir() + "/saved-notes.txt");
  });
  auto run = p.drover({"run"});
  user.join();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("awaiting merge"), std::string::npos) << run.out;
  if (std::getenv("E2E_SHOW")) std::cerr << run.out;
  EXPECT_EQ(p.task_states()[t], "completed");
  auto info = p.drover({"info", t, "--json"});
  EXPECT_EQ(json::parse(info.out)["task"]["attempts"], 1) << "waiting must not use attempts";
  std::ifstream merged(p.repo() + "/changes/t1.txt");
  std::string line;
  std::getline(merged, line);
  EXPECT_EQ(line, "t1");
  std::ifstream unrelated(p.repo() + "/unrelated.txt");
  std::getline(unrelated, line);
  EXPECT_EQ(line, "untouched");
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

TEST(EndToEnd, BlockedAgentFailsTheTaskWithoutRetrying) {
  E2EProject p;
  std::string t = p.add({"Needs a secret [blocked]", "--max-attempts", "3"});
  std::string dep = p.add({"After it", "--blocked-by", t});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto states = p.task_states();
  EXPECT_EQ(states[t], "failed");
  EXPECT_EQ(states[dep], "blocked");
  auto info = json::parse(p.drover({"info", t, "--json"}).out);
  EXPECT_EQ(info["task"]["attempts"], 1);
  EXPECT_NE(info["task"]["last_error"].get<std::string>().find("the agent is blocked: needs the staging database password"),
            std::string::npos)
      << info["task"]["last_error"];
}

TEST(EndToEnd, RunRefusesABrokenAgentConfigBeforeStarting) {
  E2EProject p;
  p.add({"Anything"});
  std::ifstream in(p.repo() + "/drover.yaml");
  std::stringstream cfg;
  cfg << in.rdbuf();
  std::string text = cfg.str();
  text.replace(text.find("agents:\n"), 8, "agents:\n  broken:\n    plugin: exec\n    config: { comand: [\"true\"] }\n");
  std::ofstream(p.repo() + "/drover.yaml") << text;
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("agents.broken.config"), std::string::npos) << run.err;
  EXPECT_EQ(p.task_states()["t1"], "ready") << "nothing may start";
}

}  // namespace
}  // namespace drover::testing
