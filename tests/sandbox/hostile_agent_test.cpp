// Hostile exec agents under a real `drover run` (issue 12): whatever an agent
// starts ends with its attempt, and under sandbox: enforce (the default where
// the kernel has Landlock) its writes outside its worktree, its git files,
// temp and its state directories are denied. Each test scans /proc for the
// agent's marker and compares the user's checkout with its state before.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "drover/sandbox/landlock.h"
#include "sandbox_project.h"

namespace drover::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The agent's log of its first attempt (its stdout and stderr).
std::string agent_log(const SandboxProject& p, const std::string& task) {
  return read_file(fs::path(p.repo()) / ".drover" / "logs" / task / "1.log");
}

bool file_anywhere_below(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->path().filename() == name) return true;
  return false;
}

#define REQUIRE_LANDLOCK() \
  if (landlock_abi_version() == 0) GTEST_SKIP() << "no Landlock on this kernel: enforce cannot be tested"

TEST(HostileAgent, SetsidDaemonEndsWithItsAttempt) {
  // (The pause lets the daemon leave the group before the agent exits, as a
  // real one would have long done.)
  SandboxProject p("setsid sleep 301 </dev/null >/dev/null 2>&1 &\nsleep 0.5\necho done > daemon.txt\nexit 0\n");
  p.add_task("Start a daemon");
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  p.expect_no_process_left();
}

TEST(HostileAgent, DoubleForkAndSigtermIgnorerEndWithTheirAttempt) {
  SandboxProject p(
      "( (sleep 302 </dev/null >/dev/null 2>&1 &) & )\n"
      "nohup bash -c 'trap \"\" TERM HUP; while :; do sleep 1; done' </dev/null >/dev/null 2>&1 &\n"
      "echo done > fork.txt\nexit 1\n");
  p.add_task("Double fork");
  auto run = p.drover({"run"});
  EXPECT_NE(run.exit_code, 0) << "the agent failed on purpose";
  p.expect_no_process_left();
  EXPECT_NE(agent_log(p, "t1").find("ended what the agent left running"), std::string::npos) << agent_log(p, "t1");
}

// Claude Code's and opencode's Bash tool: a command in its own session that
// outlives a task timeout and then writes into the failed task's worktree.
TEST(HostileAgent, NewSessionWriterDoesNotWriteAfterATimeout) {
  SandboxProject p(
      "setsid bash -c 'sleep 3; echo late > \"$DROVER_WORKTREE/late.txt\"' </dev/null >/dev/null 2>&1 &\n"
      "sleep 60\n",
      "tasks: { timeout: 1s, max_attempts: 1 }\n");
  p.add_task("Time out");
  const auto start = std::chrono::steady_clock::now();
  auto run = p.drover({"run"});
  EXPECT_NE(run.exit_code, 0) << run.out << run.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  p.expect_no_process_left();
  std::this_thread::sleep_for(4s);  // past the writer's 3 s
  EXPECT_FALSE(file_anywhere_below(fs::path(p.repo()) / ".drover", "late.txt"));
  p.expect_no_process_left();
}

TEST(HostileAgent, WritesIntoTheUsersCheckoutAndHomeAreDenied) {
  REQUIRE_LANDLOCK();
  const char* home = std::getenv("HOME");
  ASSERT_NE(home, nullptr);
  SandboxProject p(
      "try() { if eval \"$2\" 2>/dev/null; then echo \"WROTE $1\"; else echo \"denied $1\"; fi; }\n"
      "try relative 'echo x > ../../../escape-relative.txt'\n"
      "try absolute 'echo x > \"$CHECKOUT/escape-absolute.txt\"'\n"
      "try append 'echo x >> \"$CHECKOUT/README.md\"'\n"
      "try remove 'rm \"$CHECKOUT/README.md\"'\n"
      "try symlink 'ln -s \"$CHECKOUT\" link && echo x > link/escape-symlink.txt'\n"
      "rm -f link\n"
      "try hook 'echo x > \"$CHECKOUT/.git/hooks/pre-commit\"'\n"
      "try home 'echo x > \"$HOME/drover-escape-$TEST_MARK\"'\n"
      "try out 'echo x > \"$OUT/escape.txt\"'\n"
      "exit 1\n");
  p.add_task("Escape");
  auto run = p.drover({"run"});
  const std::string log = agent_log(p, "t1");
  for (const char* what : {"relative", "absolute", "append", "remove", "symlink", "hook", "home", "out"})
    EXPECT_NE(log.find(std::string("denied ") + what), std::string::npos) << what << ":\n" << log;
  p.expect_checkout_unchanged();
  EXPECT_FALSE(fs::exists(p.repo() + "/.git/hooks/pre-commit"));
  const fs::path home_file = fs::path(home) / ("drover-escape-" + p.mark());
  EXPECT_FALSE(fs::exists(home_file));
  fs::remove(home_file);
  EXPECT_FALSE(fs::exists(p.out() + "/escape.txt"));
  p.expect_no_process_left();
}

TEST(HostileAgent, CommitsOnItsBranchButCannotMoveTheTargetBranch) {
  REQUIRE_LANDLOCK();
  SandboxProject p(
      "echo work > work.txt && git add work.txt && git commit -qm 'task work' && echo COMMITTED\n"
      "git update-ref refs/heads/main HEAD 2>/dev/null && echo MOVED-update-ref\n"
      "git push -q . HEAD:main 2>/dev/null && echo MOVED-push\n"
      "git branch -f main HEAD 2>/dev/null && echo MOVED-branch\n"
      "git tag hostile 2>/dev/null && echo MOVED-tag\n"
      "exit 1\n");
  p.add_task("Move main");
  p.drover({"run"});
  const std::string log = agent_log(p, "t1");
  EXPECT_NE(log.find("COMMITTED"), std::string::npos) << log;
  EXPECT_EQ(log.find("MOVED"), std::string::npos) << log;
  p.expect_checkout_unchanged();
  EXPECT_NE(p.git({"rev-parse", "-q", "--verify", "refs/tags/hostile"}).exit_code, 0);
}

// A well-behaved agent under enforce, with the project outside the temp dir
// (so temp is shared): files, a commit, /tmp, $TMPDIR, its state directory.
TEST(HostileAgent, NormalAgentWorksUnderEnforce) {
  REQUIRE_LANDLOCK();
  fs::create_directories(DROVER_SANDBOX_TEST_WORK_DIR);
  SandboxProject p(
      "set -e\n"
      "mkdir -p src && echo 'int main() {}' > src/main.c\n"
      "git add src && git commit -qm 'agent commit'\n"
      "echo more > more.txt\n"
      "f=$(mktemp) && echo tmp > \"$f\" && rm \"$f\"\n"
      "echo x > /tmp/drover-sandbox-$TEST_MARK && rm /tmp/drover-sandbox-$TEST_MARK\n"
      "mkdir -p @ROOT@/state/sessions && echo state > @ROOT@/state/sessions/1.json\n"
      "echo to-stderr >&2 && echo to-dev-stderr > /dev/stderr && echo x > /dev/null\n"
      "echo piped | cat > piped.txt\n"
      "echo ALL-OK\n",
      "", "    sandbox: { write_paths: [\"@ROOT@/state\"] }\n", DROVER_SANDBOX_TEST_WORK_DIR);
  const std::string state = p.root() + "/state";
  fs::create_directories(state);
  p.add_task("Behave");
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << agent_log(p, "t1");
  EXPECT_NE(run.out.find("sandbox: enforce"), std::string::npos) << run.out;
  EXPECT_NE(agent_log(p, "t1").find("ALL-OK"), std::string::npos) << agent_log(p, "t1");
  EXPECT_EQ(read_file(state + "/sessions/1.json"), "state\n");
  EXPECT_EQ(p.git({"show", "main:src/main.c"}).out, "int main() {}\n");
  EXPECT_EQ(p.git({"show", "main:more.txt"}).out, "more\n");
  p.expect_no_process_left();
}

// A real agent plugin's defaults: the claude plugin names ~/.claude and
// ~/.claude.json, so a CLI (here a stand-in replaying Claude Code's output)
// keeps its state there under enforce, and nothing else in ~.
TEST(HostileAgent, ClaudePluginStateDirectoriesAreWritable) {
  REQUIRE_LANDLOCK();
  SandboxProject p("");
  const std::string home = p.root() + "/home";
  fs::create_directories(home);
  std::ofstream(home + "/.claude.json") << "{}\n";
  const std::string fake = p.root() + "/claude";
  std::ofstream(fake) << "#!/bin/bash\n"
                      << "if [ \"$1\" = --version ]; then echo 'fake 2.1.197 (Claude Code)'; exit 0; fi\n"  // preflight
                      << "mkdir -p \"$HOME/.claude/projects\" && echo turn >> \"$HOME/.claude/projects/s.jsonl\" || exit 3\n"
                      << "echo '{\"numStartups\":2}' > \"$HOME/.claude.json\" || exit 4\n"
                      << "if echo x > \"$HOME/elsewhere.txt\" 2>/dev/null; then exit 5; fi\n"
                      << "echo work > work.txt\n"
                      << "cat " << DROVER_SANDBOX_CLAUDE_FIXTURE << "\n";
  fs::permissions(fake, fs::perms::owner_all);
  std::ofstream(p.repo() + "/drover.yaml") << "target_branch: main\n"
                                           << "default_agent: claude\n"
                                           << "agents:\n"
                                           << "  claude:\n"
                                           << "    plugin: claude\n"
                                           << "    config: { binary: \"" << fake << "\" }\n"
                                           << "tasks: { max_attempts: 1 }\n";
  p.add_task("Keep state");
  auto run = p.drover({"run"}, {{"HOME", home}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << agent_log(p, "t1");
  EXPECT_EQ(read_file(home + "/.claude/projects/s.jsonl"), "turn\n");
  EXPECT_EQ(read_file(home + "/.claude.json"), "{\"numStartups\":2}\n");
  EXPECT_FALSE(fs::exists(home + "/elsewhere.txt"));
}

// The project lies beneath the temp dir: the agent gets a private TMPDIR, and
// the rest of the temp dir (which holds the checkout) stays closed.
TEST(HostileAgent, ProjectBeneathTempGetsAPrivateTmpdir) {
  REQUIRE_LANDLOCK();
  SandboxProject p(
      "set -e\n"
      "case \"$TMPDIR\" in */drover-tmp-*) ;; *) echo \"shared TMPDIR $TMPDIR\"; exit 3 ;; esac\n"
      "f=$(mktemp) && echo tmp > \"$f\"\n"
      "if echo x > \"$CHECKOUT/../escape.txt\" 2>/dev/null; then echo WROTE; fi\n"
      "echo done > done.txt\n");
  p.add_task("Temp");
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err << agent_log(p, "t1");
  EXPECT_EQ(agent_log(p, "t1").find("WROTE"), std::string::npos);
  EXPECT_FALSE(fs::exists(p.root() + "/escape.txt"));
  EXPECT_NE(agent_log(p, "t1").find("gets its own TMPDIR"), std::string::npos) << "the log says why";
}

TEST(HostileAgent, ProcessLimitFailsTheAttemptWithTheReason) {
  SandboxProject p("for i in $(seq 30); do sleep 313 & done\nwait\n", "", "    limits: { processes: 8 }\n");
  p.add_task("Fork a lot");
  auto run = p.drover({"run"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.out.find("agents.hostile.limits.processes"), std::string::npos) << run.out << run.err;
  p.expect_no_process_left();
}

// The verify gate gets the same containment: a test server it leaves running ends with it.
TEST(HostileAgent, VerifyCommandLeavesNothingRunning) {
  SandboxProject p("echo done > done.txt\n",
                   "verify: { command: [\"bash\", \"-c\", \"TEST_MARK=@MARK@ setsid sleep 315 </dev/null >/dev/null "
                   "2>&1 & sleep 0.5\"] }\n");
  p.add_task("Verify leaves a server");
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  p.expect_no_process_left();
}

// The second Ctrl-C stops running agents: their escaped processes end too.
TEST(HostileAgent, SecondInterruptEndsTheEscapedProcesses) {
  SandboxProject p("setsid sleep 316 </dev/null >/dev/null 2>&1 &\nsleep 60\n");
  p.add_task("Interrupted");
  pid_t drover = spawn_process({drover_binary(), "run"}, p.repo(), {{"NO_COLOR", "1"}}, -1, -1);
  const auto until = std::chrono::steady_clock::now() + 20s;
  auto sleepers = [&] {
    int n = 0;
    for (const std::string& proc : processes_marked(p.mark())) n += proc.find(":sleep") != std::string::npos;
    return n;
  };
  while (sleepers() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(sleepers(), 2) << joined(processes_marked(p.mark()));
  ::kill(drover, SIGINT);
  std::this_thread::sleep_for(200ms);
  ::kill(drover, SIGINT);
  int status = 0;
  waitpid(drover, &status, 0);
  p.expect_no_process_left();
}

// kill -9 of Drover, then resume: the attempt's box (still alive) or, when the
// box was killed too, the marker and the cgroup lead to what must end.
void killed_then_resumed(bool kill_box_too) {
  SandboxProject p(
      "if [ ! -e \"$OUT/resumed\" ]; then\n"
      "  setsid sleep 314 </dev/null >/dev/null 2>&1 &\n"
      "  sleep 60\n"
      "fi\n"
      "echo done > done.txt\n");
  p.add_task("Survive a crash");
  const std::string log = p.root() + "/run.out";
  int fd = open(log.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  pid_t drover = spawn_process({drover_binary(), "run"}, p.repo(), {{"NO_COLOR", "1"}}, fd, fd);
  close(fd);
  const auto until = std::chrono::steady_clock::now() + 20s;
  auto sleepers = [&] {
    int n = 0;
    for (const std::string& proc : processes_marked(p.mark())) n += proc.find(":sleep") != std::string::npos;
    return n;
  };
  auto has_sleeper = [&] { return sleepers() > 0; };
  // Both sleeps running (the setsid one exec'd, so out of the box's group),
  // then a moment for the agent to settle.
  while (sleepers() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(sleepers(), 2) << read_file(log);
  std::this_thread::sleep_for(100ms);
  ::kill(drover, SIGKILL);
  waitpid(drover, nullptr, 0);
  const std::string pid_file = p.repo() + "/.drover/logs/t1/agent.pid";
  ASSERT_TRUE(fs::exists(pid_file));
  // Its second line: the attempt's private TMPDIR (the project lies beneath temp).
  std::string private_tmp = read_file(pid_file);
  private_tmp = private_tmp.substr(private_tmp.find('\n') + 1);
  while (!private_tmp.empty() && private_tmp.back() == '\n') private_tmp.pop_back();
  if (landlock_abi_version() > 0) EXPECT_TRUE(fs::is_directory(private_tmp)) << private_tmp;
  if (kill_box_too) {
    pid_t box = std::atoi(read_file(pid_file).c_str());
    ASSERT_GT(box, 1);
    ::kill(-box, SIGKILL);  // the box's whole group: only the setsid sleeper survives
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(has_sleeper()) << "the setsid sleeper should outlive its box";
  }
  std::ofstream(p.out() + "/resumed") << "yes\n";
  auto resumed = p.drover({"resume"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  p.expect_no_process_left();
  if (!private_tmp.empty()) EXPECT_FALSE(fs::exists(private_tmp)) << "the killed attempt's TMPDIR is removed";
}

TEST(HostileAgent, ResumeAfterKill9EndsTheAttemptsProcesses) { killed_then_resumed(false); }
TEST(HostileAgent, ResumeAfterKill9OfDroverAndBoxEndsTheEscapedProcesses) { killed_then_resumed(true); }

}  // namespace
}  // namespace drover::testing
