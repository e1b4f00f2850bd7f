// Terminals come and go: a closed terminal (SIGHUP) drains a run like the
// first Ctrl-C and leaves no agent behind; `status --watch` ends when nothing
// can change; `logs --follow` waits for a task that has not started.
#include <gtest/gtest.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e_project.h"

namespace drover::testing {
namespace {

// Waits up to `limit` for pid to end; returns its wait status, or -1 if it did not.
int wait_for_exit(pid_t pid, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

// The agent's pid from the file drover writes when it starts one (polled:
// the file may exist a moment before its content does); 0 if none came.
pid_t agent_pid(const E2EProject& p, const std::string& task) {
  const std::string pid_file = p.repo() + "/.drover/logs/" + task + "/agent.pid";
  for (int i = 0; i < 500; ++i) {
    pid_t agent = 0;
    std::ifstream(pid_file) >> agent;
    if (agent > 1) return agent;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// True once the agent's whole process group is gone (polled: reaping takes a moment).
bool group_gone(pid_t agent) {
  for (int i = 0; i < 200; ++i) {
    if (kill(-agent, 0) != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

// Each "start <task>" in the test agent's trace has its "end <task>".
void expect_every_agent_ended(const E2EProject& p) {
  std::ifstream in(p.dir() + "/trace");
  std::map<std::string, int> open;
  std::string what, task;
  long long ns;
  while (in >> what >> task >> ns) open[task] += what == "start" ? 1 : -1;
  for (const auto& [t, n] : open) EXPECT_EQ(n, 0) << "agent of " << t << " never ended";
}

// drover run in a real terminal (a pseudo-terminal it leads), which is then
// closed: the kernel hangs up on drover. The run drains: its agent finishes,
// nothing new starts, and no agent process is left behind.
TEST(Terminal, ClosingTheTerminalDrainsTheRunAndLeavesNoAgent) {
  E2EProject p("", 1);
  const std::string sleeper = p.add({"Sleeps a little [medium]", "--priority", "high"});
  const std::string next = p.add({"Would start next"});
  int master = -1;
  pid_t run = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(run, 0);
  if (run == 0) {
    if (chdir(p.repo().c_str()) != 0) _exit(127);
    execl(DROVER_BINARY, DROVER_BINARY, "run", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Keep reading the terminal so drover never blocks writing to it.
  std::atomic<bool> reading{true};
  std::string screen;
  std::thread reader([&] {
    char buf[4096];
    while (reading) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n <= 0) break;
      screen.append(buf, static_cast<size_t>(n));
    }
  });
  p.wait_until_running(1);
  const pid_t agent = agent_pid(p, sleeper);
  reading = false;
  close(master);  // the terminal goes away: SIGHUP to drover, its session leader
  reader.join();
  ASSERT_GT(agent, 1) << "the agent never started";
  const int status = wait_for_exit(run, std::chrono::seconds(60));
  ASSERT_NE(status, -1) << "drover did not end after its terminal closed";
  EXPECT_TRUE(WIFEXITED(status)) << "drover was killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
                                 << " instead of draining";
  EXPECT_TRUE(group_gone(agent)) << "the agent's processes outlived the run";
  expect_every_agent_ended(p);
  auto states = p.task_states();
  EXPECT_EQ(states[sleeper], "completed") << "the running agent should have finished";
  EXPECT_EQ(states[next], "ready") << "nothing new should start after the hangup";
  auto st = p.status_json();
  EXPECT_EQ(st["summary"]["counts"].value("running", 0), 0) << st.dump();
}

// SIGHUP counts like Ctrl-C: a second one stops the agents, and the summary
// calls the stopped task interrupted, not "not started".
TEST(Terminal, SecondHangupStopsTheAgentAndTheSummarySaysInterrupted) {
  E2EProject p("", 1);
  const std::string slow = p.add({"Sleeps a minute [slow]"});
  const std::string out_file = p.dir() + "/run.out";
  pid_t run = p.start_drover({"run"}, out_file);
  p.wait_until_running(1);
  const pid_t agent = agent_pid(p, slow);
  ASSERT_GT(agent, 1);
  // status names the agent as run does, not "default".
  auto status_text = p.drover({"status"});
  EXPECT_NE(status_text.out.find("(agent test, attempt 1, "), std::string::npos) << status_text.out;
  kill(run, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(run, SIGHUP);
  const int status = wait_for_exit(run, std::chrono::seconds(20));
  ASSERT_NE(status, -1) << "the second SIGHUP did not stop the run";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string out = read_text(out_file);
  EXPECT_NE(out.find("draining"), std::string::npos) << out;
  EXPECT_NE(out.find("interrupted: 1"), std::string::npos) << out;
  EXPECT_EQ(out.find("not started"), std::string::npos) << "the stopped task did start:\n" << out;
  EXPECT_TRUE(group_gone(agent));
  expect_every_agent_ended(p);
  EXPECT_EQ(p.task_states()[slow], "ready");
  auto watch = p.drover({"status", "--watch"});
  EXPECT_EQ(watch.exit_code, 0) << watch.err;
  EXPECT_NE(watch.err.find("1 task is ready but no `drover run` is active; start one with `drover run`"),
            std::string::npos)
      << watch.err;
}

// `nohup drover run` asked for SIGHUP to be ignored: the run carries on.
TEST(Terminal, NohupKeepsTheRunGoingOnHangup) {
  E2EProject p("", 1);
  p.add({"First [medium]"});
  p.add({"Second"});
  const std::string out_file = p.dir() + "/run.out";
  pid_t run = p.start_drover({"run"}, out_file, "nohup");
  p.wait_until_running(1);
  kill(run, SIGHUP);
  const int status = wait_for_exit(run, std::chrono::seconds(60));
  ASSERT_NE(status, -1);
  ASSERT_TRUE(WIFEXITED(status)) << "nohup'd drover was ended by a signal";
  EXPECT_EQ(WEXITSTATUS(status), 0) << read_text(out_file);
  EXPECT_EQ(read_text(out_file).find("draining"), std::string::npos) << read_text(out_file);
  for (const auto& [id, st] : p.task_states()) EXPECT_EQ(st, "completed") << id;
}

// A ready task and no run: watching would never end, so it says why and ends.
// With --json every look is one compact JSON object on its own line.
TEST(Terminal, StatusWatchEndsWhenNothingCanProgressAndPrintsJsonLines) {
  E2EProject p;
  p.add({"Never run"});
  auto start = std::chrono::steady_clock::now();
  auto r = p.drover({"status", "--watch", "--json"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("drover: 1 task is ready but no `drover run` is active"), std::string::npos) << r.err;
  std::istringstream lines(r.out);
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    auto j = json::parse(line);
    EXPECT_EQ(j["summary"]["total"], 1) << line;
  }
  EXPECT_EQ(n, 1);
}

// While a run is active, --watch keeps looking (one JSON line a second) and
// ends once the run has finished everything.
TEST(Terminal, StatusWatchFollowsAnActiveRunToTheEnd) {
  E2EProject p("", 1);
  p.add({"First [medium]"});
  p.add({"Second [medium]"});
  const std::string out_file = p.dir() + "/run.out";
  pid_t run = p.start_drover({"run"}, out_file);
  p.wait_until_running(1);
  auto watch = p.drover({"status", "--watch", "--json"});
  const int status = wait_for_exit(run, std::chrono::seconds(60));
  ASSERT_NE(status, -1);
  EXPECT_EQ(watch.exit_code, 0) << watch.err;
  std::istringstream lines(watch.out);
  std::vector<json> looks;
  for (std::string line; std::getline(lines, line);) looks.push_back(json::parse(line));
  ASSERT_GE(looks.size(), 2u) << watch.out;
  EXPECT_EQ(looks.back()["summary"]["counts"].value("completed", 0), 2) << looks.back().dump();
  EXPECT_NE(watch.err.find("drover: all 2 tasks are completed"), std::string::npos) << watch.err;
}

// `logs -f` on a task that has not started waits for it, then follows it.
TEST(Terminal, LogsFollowWaitsForTheTaskToStart) {
  E2EProject p("", 1);
  const std::string t = p.add({"Logged later"});
  auto early = p.drover({"logs", t});
  EXPECT_EQ(early.exit_code, 2);
  EXPECT_NE(early.err.find("task " + t + " has not run yet, so it has no log; `drover logs -f " + t + "` waits"),
            std::string::npos)
      << early.err;
  const std::string out_file = p.dir() + "/logs.out", err_file = p.dir() + "/logs.err";
  int out = open(out_file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  int err = open(err_file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  pid_t follow = spawn_process({DROVER_BINARY, "logs", "-f", t}, p.repo(), {{"NO_COLOR", "1"}}, out, err);
  close(out);
  close(err);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  int status = 0;
  EXPECT_EQ(waitpid(follow, &status, WNOHANG), 0) << "logs -f ended before the task started: " << read_text(err_file);
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  status = wait_for_exit(follow, std::chrono::seconds(20));
  ASSERT_NE(status, -1) << "logs -f did not end with the attempt";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(err_file);
  EXPECT_NE(read_text(err_file).find("task " + t + " has not started; waiting for it"), std::string::npos) << read_text(err_file);
  EXPECT_NE(read_text(out_file).find("\"status\":\"success\""), std::string::npos) << read_text(out_file);
}

// A cancelled task will never start: following it ends at once, saying so.
TEST(Terminal, LogsFollowOfATaskThatCannotStartEnds) {
  E2EProject p;
  const std::string t = p.add({"Cancelled before it ran"});
  ASSERT_EQ(p.drover({"cancel", t}).exit_code, 0);
  auto r = p.drover({"logs", "-f", t});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("task " + t + " is cancelled and has not run; there is no log to follow"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace drover::testing
