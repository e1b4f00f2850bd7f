// drover-agent-box on its own: it ends everything its program started (setsid,
// double fork, SIGTERM ignored), mirrors the program's exit, applies the
// Landlock write rules without breaking pipes and device files, enforces the
// process and memory limits; and the host finds what a killed box left (by
// marker, by cgroup).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "command.h"
#include "drover/sandbox/attempt_box.h"
#include "drover/sandbox/attempt_cgroup.h"
#include "drover/sandbox/landlock.h"
#include "marked_processes.h"
#include "temp_dir.h"

namespace drover::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

class BoxTest : public ::testing::Test {
 protected:
  void TearDown() override { kill_marked(mark_); }

  // Runs `script` with bash inside the box; TEST_MARK and OUT are set.
  CommandResult boxed(const std::string& script, std::vector<std::string> options = {}) {
    std::vector<std::string> argv{DROVER_AGENT_BOX_PATH};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--report", report(), "--", "/bin/bash", "-c", script});
    return run_command(argv, dir_.path().string(), {{"TEST_MARK", mark_}, {"OUT", dir_.path().string()}});
  }
  std::string report() const { return (dir_.path() / "report.json").string(); }
  json read_report() const {
    std::ifstream in(report());
    return json::parse(in, nullptr, false);
  }
  std::vector<std::string> landlock(const std::vector<std::string>& writable) const {
    std::vector<std::string> o{"--landlock", std::to_string(landlock_abi_version())};
    for (const auto& w : writable) o.insert(o.end(), {"--write", w});
    return o;
  }

  TempDir dir_{"drover-box-test-"};
  std::string mark_ = fresh_mark();
};

TEST_F(BoxTest, EndsSetsidDaemonsDoubleForksAndSigtermIgnorers) {
  auto r = boxed(
      "setsid sleep 301 </dev/null >/dev/null 2>&1 &\n"
      "( (sleep 302 </dev/null >/dev/null 2>&1 &) & )\n"
      "bash -c 'trap \"\" TERM; sleep 303' </dev/null >/dev/null 2>&1 &\n"
      "sleep 0.2; exit 0\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(joined(processes_marked(mark_)), "") << "the box must end everything its program started";
  json rep = read_report();
  ASSERT_TRUE(rep.is_object());
  EXPECT_TRUE(rep.value("finished", false));
  EXPECT_GE(rep["leftovers"].size(), 3u) << rep.dump();
}

TEST_F(BoxTest, ExitsAsItsProgramDid) {
  EXPECT_EQ(boxed("exit 7").exit_code, 7);
  auto r = boxed("kill -USR1 $$");
  EXPECT_EQ(r.signal, SIGUSR1);
  auto missing = run_command({DROVER_AGENT_BOX_PATH, "--", (dir_.path() / "no-such-program").string()});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("cannot execute"), std::string::npos) << missing.err;
}

TEST_F(BoxTest, StopSignalEndsTheProgramAndItsEscapedChildrenAtOnce) {
  const std::string script = "setsid sleep 304 </dev/null >/dev/null 2>&1 & echo started; exec sleep 305";
  std::vector<std::string> argv{DROVER_AGENT_BOX_PATH, "--", "/bin/bash", "-c", script};
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t box = spawn_process(argv, dir_.path().string(), {{"TEST_MARK", mark_}}, out[1], -1, true);
  close(out[1]);
  char buf[16];
  ASSERT_GT(read(out[0], buf, sizeof buf), 0);
  close(out[0]);
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  ::kill(-box, SIGTERM);  // what Drover does on a timeout or cancel
  int status = 0;
  waitpid(box, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(joined(processes_marked(mark_)), "");
}

TEST_F(BoxTest, LandlockAllowsTheWorktreeDevicesAndPipesOnly) {
  if (landlock_abi_version() == 0) GTEST_SKIP() << "no Landlock on this kernel";
  fs::create_directories(dir_.path() / "work");
  fs::create_directories(dir_.path() / "outside");
  const std::string work = (dir_.path() / "work").string();
  auto r = boxed(
      "cd work && echo in > inside.txt && mkdir sub && mv inside.txt sub/ && rm -r sub && echo ok1\n"
      "echo to-null > /dev/null && echo ok2\n"
      "echo to-stderr > /dev/stderr && echo ok3\n"
      "echo piped | cat > piped.txt && echo ok4\n"
      "echo out > ../outside/x.txt 2>/dev/null || echo denied1\n"
      "echo out > \"$OUT/outside/y.txt\" 2>/dev/null || echo denied2\n"
      "ln -s \"$OUT/outside\" link && { echo out > link/z.txt 2>/dev/null || echo denied3; }\n"
      "mv piped.txt ../outside/ 2>/dev/null || echo denied4\n",
      landlock({work, "/dev/null"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* want : {"ok1", "ok2", "ok3", "ok4", "denied1", "denied2", "denied3", "denied4"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << " missing in: " << r.out << r.err;
  EXPECT_NE(r.err.find("to-stderr"), std::string::npos) << "/dev/stderr (a pipe) must stay writable";
  EXPECT_TRUE(fs::is_empty(dir_.path() / "outside"));
}

TEST_F(BoxTest, ProcessLimitStopsTheWholeTree) {
  auto r = boxed("for i in $(seq 20); do sleep 306 & done; wait", {"--max-processes", "5"});
  EXPECT_EQ(r.signal, SIGKILL) << r.out << r.err;
  json rep = read_report();
  EXPECT_EQ(rep.value("limit", ""), "processes") << rep.dump();
  EXPECT_EQ(joined(processes_marked(mark_)), "");
}

TEST_F(BoxTest, MemoryLimitStopsTheWholeTree) {
  auto r = boxed("exec " DROVER_TEST_PYTHON " -c 'import time; b = b\"x\" * (300 << 20); time.sleep(30)'",
                 {"--max-memory", std::to_string(100 << 20)});
  EXPECT_EQ(r.signal, SIGKILL) << r.out << r.err;
  EXPECT_EQ(read_report().value("limit", ""), "memory") << read_report().dump();
}

// The host's recovery: the box was SIGKILLed (grace ran out, or Drover and the
// box were killed), so its daemon now belongs to init; the marker finds it.
TEST_F(BoxTest, MarkerFindsWhatAKilledBoxLeft) {
  const std::string marker = "box-test." + mark_;
  std::vector<std::string> argv{DROVER_AGENT_BOX_PATH, "--", "/bin/bash", "-c",
                                "setsid sleep 307 </dev/null >/dev/null 2>&1 & exec sleep 308"};
  pid_t box = spawn_process(argv, dir_.path().string(), {{"TEST_MARK", mark_}, {kAttemptMarkerVariable, marker}},
                            -1, -1, true);
  std::this_thread::sleep_for(300ms);
  ::kill(-box, SIGKILL);
  waitpid(box, nullptr, 0);
  ASSERT_FALSE(processes_marked(mark_).empty()) << "the setsid sleeper should have survived the box";
  EXPECT_GE(end_attempt_processes(marker, ""), 1);
  EXPECT_EQ(joined(processes_marked(mark_)), "");
}

TEST_F(BoxTest, CgroupFindsWhatAKilledBoxLeftEvenWithoutTheMarker) {
  std::string why;
  const std::string parent = attempt_cgroup_parent(&why);
  if (parent.empty()) GTEST_SKIP() << "no usable cgroup v2 here: " << why;
  auto cg = create_attempt_cgroup(parent, "drover-test-" + mark_, 0, 0);
  ASSERT_TRUE(cg.ok()) << cg.status().message();
  // The daemon drops every variable but TEST_MARK: only the cgroup can find it.
  std::vector<std::string> argv{DROVER_AGENT_BOX_PATH, "--cgroup", cg.value(), "--", "/bin/bash", "-c",
                                "setsid env -i TEST_MARK=\"$TEST_MARK\" sleep 309 </dev/null >/dev/null 2>&1 & exec sleep 310"};
  pid_t box = spawn_process(argv, dir_.path().string(), {{"TEST_MARK", mark_}}, -1, -1, true);
  std::this_thread::sleep_for(300ms);
  ::kill(-box, SIGKILL);
  waitpid(box, nullptr, 0);
  ASSERT_FALSE(processes_marked(mark_).empty());
  EXPECT_GE(kill_and_remove_cgroup(cg.value()), 1);
  EXPECT_EQ(joined(processes_marked(mark_)), "");
  EXPECT_FALSE(fs::exists(cg.value()));
}

}  // namespace
}  // namespace drover::testing
