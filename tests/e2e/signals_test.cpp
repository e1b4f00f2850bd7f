// Ctrl-C: the first SIGINT drains (nothing new starts, running agents finish),
// the second stops the agents; either way `drover resume` finishes the work.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e_project.h"

namespace drover::testing {
namespace {

pid_t start_run(const E2EProject& p, const std::string& out_file, const std::string& workers = "2") {
  return p.start_drover({"run", "--workers", workers}, out_file);
}

TEST(Signals, FirstInterruptDrainsRunningAgentsFinish) {
  E2EProject p("", 2);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(p.add({"Medium task " + std::to_string(i) + " [medium]"}));
  pid_t run = start_run(p, p.dir() + "/run.out");
  p.wait_until_running(2);
  kill(run, SIGINT);
  int status = 0;
  waitpid(run, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::string out = read_text(p.dir() + "/run.out");
  EXPECT_NE(out.find("draining"), std::string::npos) << out;
  EXPECT_NE(out.find("interrupted: run `drover resume` to continue"), std::string::npos) << out;
  int completed = 0, ready = 0;
  for (const auto& [id, st] : p.task_states()) {
    completed += st == "completed";
    ready += st == "ready";
  }
  EXPECT_EQ(completed, 2) << "the two running agents should have finished";
  EXPECT_EQ(ready, 2) << "nothing new should have started";
  auto resume = p.drover({"resume"});
  EXPECT_EQ(resume.exit_code, 0) << resume.out << resume.err;
  for (const auto& [id, st] : p.task_states()) EXPECT_EQ(st, "completed") << id;
  EXPECT_EQ(p.merged_task_commits().size(), 4u);
}

TEST(Signals, SecondInterruptStopsAgentsAndResumeFinishes) {
  E2EProject p("", 2);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(p.add({"Slow task " + std::to_string(i) + " [slow]"}));
  pid_t run = start_run(p, p.dir() + "/run.out");
  p.wait_until_running(2);
  auto start = std::chrono::steady_clock::now();
  kill(run, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(run, SIGINT);
  int status = 0;
  waitpid(run, &status, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << "agents were not stopped";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::string out = read_text(p.dir() + "/run.out");
  EXPECT_NE(out.find("stopping: terminating running agents"), std::string::npos) << out;
  for (const auto& [id, st] : p.task_states()) EXPECT_EQ(st, "ready") << id << " should be given back";
  // The interrupted attempts do not count against the task.
  for (const auto& id : ids) {
    auto info = p.drover({"info", id, "--json"});
    json j = json::parse(info.out);
    EXPECT_EQ(j["task"]["status"], "ready");
    EXPECT_EQ(j["task"]["last_error"], "") << id << ": a stopped attempt must not be recorded as a failure";
    for (const auto& e : j["events"]) EXPECT_NE(e["kind"], "attempt_finished") << id;
  }
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

TEST(Signals, AgentLeftByAKilledRunIsStoppedOnResume) {
  E2EProject p("", 1);
  std::string t = p.add({"Outlives its drover [slow]"});
  pid_t run = start_run(p, p.dir() + "/run.out");
  p.wait_until_running(1);
  const std::string pid_file = p.repo() + "/.drover/logs/" + t + "/agent.pid";
  for (int i = 0; i < 100 && !std::filesystem::exists(pid_file); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(std::filesystem::exists(pid_file));
  pid_t agent = 0;
  std::ifstream(pid_file) >> agent;
  ASSERT_GT(agent, 1);
  kill(run, SIGKILL);
  waitpid(run, nullptr, 0);
  EXPECT_EQ(kill(agent, 0), 0) << "the agent should have outlived the killed drover";

  pid_t resume = start_run(p, p.dir() + "/resume.out");
  bool stopped = false;
  for (int i = 0; i < 200 && !stopped; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stopped = read_text(p.dir() + "/resume.out").find("stopped an agent left running by an interrupted run") != std::string::npos;
  }
  EXPECT_TRUE(stopped) << read_text(p.dir() + "/resume.out");
  // The old agent's whole group is gone (a zombie until its parent, init, reaps it, so poll).
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = kill(-agent, 0) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone);
  kill(resume, SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(resume, SIGINT);
  waitpid(resume, nullptr, 0);
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

TEST(Signals, QuotaPauseOfAnAgentSurvivesARestart) {
  E2EProject p("", 1);
  std::string limited = p.add({"Hits the limit [quota-30s]", "--priority", "high"});
  std::string other = p.add({"Same agent, waits too"});
  auto run_until_paused = [&](const std::string& out_file) {
    pid_t run = start_run(p, out_file, "1");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    kill(run, SIGINT);
    int status = 0;
    waitpid(run, &status, 0);
    return read_text(out_file);
  };
  std::string first = run_until_paused(p.dir() + "/first.out");
  EXPECT_NE(first.find(limited + ": agent 'test' hit a usage limit"), std::string::npos) << first;
  EXPECT_EQ(first.find(other + ": started"), std::string::npos) << "the paused agent's other task must wait:\n" << first;
  // A new drover process knows about the pause without hitting the limit again.
  std::string second = run_until_paused(p.dir() + "/second.out");
  EXPECT_EQ(second.find(": started:"), std::string::npos) << second;
  auto info = json::parse(p.drover({"info", limited, "--json"}).out);
  EXPECT_EQ(info["task"]["attempts"], 1) << "a quota pause uses no attempt";
  EXPECT_EQ(p.task_states()[other], "ready");
  auto status = p.drover({"status"});
  EXPECT_NE(status.out.find("waiting " + limited + ": agent 'test' paused by a usage limit: usage limit reached (again in"),
            std::string::npos)
      << status.out;
}

}  // namespace
}  // namespace drover::testing
