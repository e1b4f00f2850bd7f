// ProcessRunner against real children: argv and stdin arrive verbatim, the
// environment is clean, timeouts kill the whole process group, output is
// streamed with bounded memory and logged, failures are explained.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "drover/process/process_runner.h"

#include "temp_dir.h"

namespace drover {
namespace {

using testing::TempDir;

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* kPython = DROVER_TEST_PYTHON;


std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Collects output lines from the loop thread.
struct Lines {
  std::mutex mutex;
  std::vector<std::pair<int, std::string>> lines;
  LineHandler handler() {
    return [this](int stream, std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex);
      lines.emplace_back(stream, std::string(line));
    };
  }
  std::vector<std::string> of(int stream) {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::string> out;
    for (auto& [s, l] : lines)
      if (s == stream) out.push_back(l);
    return out;
  }
};

ProcessSpec python(const std::string& code, std::vector<std::string> args = {}) {
  ProcessSpec spec;
  spec.argv = {kPython, "-c", code};
  for (auto& a : args) spec.argv.push_back(std::move(a));
  spec.env = build_child_environment(default_environment_allow_list(), {});
  return spec;
}

// True once pid no longer exists (or is a zombie waiting for init).
bool process_gone(pid_t pid, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    std::size_t close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

pid_t read_pid(const fs::path& p, std::chrono::milliseconds wait = 5s) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string s = read_file(p);
    if (!s.empty() && s.back() == '\n') return static_cast<pid_t>(std::stol(s));
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

TEST(ProcessRunner, ExitCodeAndOutputLines) {
  ProcessRunner runner;
  Lines lines;
  auto r = runner.run(python("import sys\nprint('one')\nprint('two')\nsys.stderr.write('err\\n')\nsys.exit(3)"),
                      lines.handler());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->signal);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(lines.of(1), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(lines.of(2), (std::vector<std::string>{"err"}));
  EXPECT_EQ(runner.running(), 0u);
}

TEST(ProcessRunner, ArgvArrivesVerbatimAndNothingIsExecuted) {
  TempDir dir;
  fs::path marker = dir.path() / "pwned";
  fs::path out = dir.path() / "argv.txt";
  std::vector<std::string> tricky = {
      "it's \"quoted\"",
      "$(touch " + marker.string() + ")",
      "`touch " + marker.string() + "`",
      "line1\nline2\n",
      "; touch " + marker.string(),
      "",
      "  spaces  ",
      "*",
      "tab\there",
  };
  std::string code =
      "import sys\n"
      "open(sys.argv[1], 'wb').write('\\0'.join(sys.argv[2:]).encode('utf-8', 'surrogateescape'))\n";
  std::vector<std::string> args = {out.string()};
  args.insert(args.end(), tricky.begin(), tricky.end());
  ProcessRunner runner;
  auto r = runner.run(python(code, args), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->exit_code, 0);
  std::string expected;
  for (std::size_t i = 0; i < tricky.size(); ++i) expected += (i ? std::string(1, '\0') : "") + tricky[i];
  EXPECT_EQ(read_file(out), expected);
  EXPECT_FALSE(fs::exists(marker));
}

TEST(ProcessRunner, LargeArgvElementArrivesIntact) {
  TempDir dir;
  fs::path out = dir.path() / "arg.txt";
  std::string big;
  for (int i = 0; big.size() < 120 * 1024; ++i) big += "line " + std::to_string(i) + " 'q' \"d\" $(x) `y`\n";
  ProcessRunner runner;
  auto r = runner.run(python("import sys\nopen(sys.argv[1],'w').write(sys.argv[2])", {out.string(), big}), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(read_file(out), big);
}

TEST(ProcessRunner, OversizedArgvElementIsAClearError) {
  ProcessRunner runner;
  auto r = runner.run(python("pass", {std::string(1 << 20, 'x')}), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("argument 3 is 1048576 bytes"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("stdin"), std::string::npos);
}

TEST(ProcessRunner, OneMegabytePromptOnStdinArrivesIntact) {
  TempDir dir;
  fs::path out = dir.path() / "stdin.txt";
  std::string prompt;
  for (int i = 0; prompt.size() < (1 << 20); ++i) prompt += "say \"hi\" 'there' $(rm -rf /) `id` \\n " + std::to_string(i) + "\n";
  ProcessSpec spec = python("import sys\nopen(sys.argv[1],'wb').write(sys.stdin.buffer.read())", {out.string()});
  spec.stdin_data = prompt;
  ProcessRunner runner;
  auto r = runner.run(std::move(spec), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(read_file(out), prompt);
}

TEST(ProcessRunner, NoDeadlockWhenTheChildWritesBeforeReadingAHugeStdin) {
  // Both directions exceed the pipe buffers: only fully asynchronous I/O finishes.
  ProcessSpec spec = python(
      "import sys\n"
      "sys.stdout.write(('o' * 99 + '\\n') * 100000)\n"
      "sys.stdout.flush()\n"
      "data = sys.stdin.buffer.read()\n"
      "print(len(data))\n");
  spec.stdin_data = std::string(4 << 20, 'i');
  spec.timeout = 30s;
  ProcessRunner runner;
  std::atomic<std::size_t> count{0};
  std::string last;
  auto r = runner.run(std::move(spec), [&](int, std::string_view l) {
    count++;
    last = std::string(l);
  });
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(count.load(), 100001u);
  EXPECT_EQ(last, std::to_string(4 << 20));
}

TEST(ProcessRunner, StdinIsDevNullByDefault) {
  ProcessRunner runner;
  Lines lines;
  auto r = runner.run(python("import sys\nprint(repr(sys.stdin.read()))"), lines.handler());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(lines.of(1), (std::vector<std::string>{"''"}));
}

TEST(ProcessRunner, ChildThatIgnoresStdinDoesNotHurtTheRunner) {
  ProcessSpec spec = python("pass");
  spec.stdin_data = std::string(8 << 20, 'x');  // far more than a pipe buffer
  ProcessRunner runner;
  auto r = runner.run(std::move(spec), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
}

TEST(ProcessRunner, EnvironmentIsOnlyTheAllowListPlusExtras) {
  ::setenv("DROVER_TEST_SECRET_TOKEN", "s3cret", 1);
  ::setenv("DROVER_TEST_PASSED", "yes", 1);
  std::vector<std::string> allow = default_environment_allow_list();
  allow.push_back("DROVER_TEST_PASSED");
  ProcessSpec spec = python("import os\nfor k in sorted(os.environ): print(k + '=' + os.environ[k])");
  spec.env = build_child_environment(allow, {{"EXTRA_VAR", "a b $(c)"}});
  ProcessRunner runner;
  Lines lines;
  auto r = runner.run(std::move(spec), lines.handler());
  ASSERT_TRUE(r.ok());
  auto out = lines.of(1);
  auto has = [&](const std::string& prefix) {
    for (auto& l : out)
      if (l.rfind(prefix, 0) == 0) return true;
    return false;
  };
  EXPECT_TRUE(has("PATH="));
  EXPECT_TRUE(has("DROVER_TEST_PASSED=yes"));
  EXPECT_TRUE(has("EXTRA_VAR=a b $(c)"));
  EXPECT_FALSE(has("DROVER_TEST_SECRET_TOKEN"));
}

TEST(ProcessRunner, WorkingDirectoryIsUsed) {
  TempDir dir;
  ProcessSpec spec = python("import os\nprint(os.getcwd())");
  spec.cwd = dir.path().string();
  ProcessRunner runner;
  Lines lines;
  ASSERT_TRUE(runner.run(std::move(spec), lines.handler()).ok());
  EXPECT_EQ(lines.of(1), (std::vector<std::string>{fs::canonical(dir.path()).string()}));
}

TEST(ProcessRunner, RelativePathEntriesAreRelativeToDroverNotTheChildCwd) {
  TempDir dir, elsewhere;
  fs::create_directories(dir.path() / "bin");
  fs::path tool = dir.path() / "bin" / "drover-test-tool";
  std::ofstream(tool) << "#!/bin/sh\necho found\n";
  fs::permissions(tool, fs::perms::owner_all);
  fs::path old_cwd = fs::current_path();
  fs::current_path(dir.path());
  ProcessSpec spec;
  spec.argv = {"drover-test-tool"};
  spec.env = {{"PATH", "bin:/usr/bin:/bin"}};
  spec.cwd = elsewhere.path().string();
  ProcessRunner runner;
  Lines lines;
  auto r = runner.run(spec, lines.handler());
  fs::current_path(old_cwd);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(lines.of(1), (std::vector<std::string>{"found"}));
}

TEST(ProcessRunner, ChildLeadsItsOwnProcessGroup) {
  ProcessRunner runner;
  Lines lines;
  ASSERT_TRUE(runner.run(python("import os\nprint(os.getpgid(0) == os.getpid())"), lines.handler()).ok());
  EXPECT_EQ(lines.of(1), (std::vector<std::string>{"True"}));
}

TEST(ProcessRunner, TimeoutKillsTheWholeGroupIncludingGrandchildren) {
  TempDir dir;
  fs::path pidfile = dir.path() / "grandchild.pid";
  ProcessSpec spec;
  spec.argv = {"bash", "-c", "sleep 300 & echo $! > \"$1\"; wait", "bash", pidfile.string()};
  spec.env = build_child_environment(default_environment_allow_list(), {});
  spec.timeout = 400ms;
  spec.kill_grace = 1s;
  ProcessRunner runner;
  auto t0 = std::chrono::steady_clock::now();
  auto r = runner.run(std::move(spec), {});
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->inactive);
  EXPECT_EQ(r->signal, SIGTERM);
  EXPECT_LT(took, 5s);
  pid_t grandchild = read_pid(pidfile);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(process_gone(grandchild, 3s)) << "grandchild " << grandchild << " survived";
}

TEST(ProcessRunner, TimeoutEscalatesToSigkillAfterGrace) {
  TempDir dir;
  fs::path pidfile = dir.path() / "grandchild.pid";
  ProcessSpec spec;
  // Both the child and its grandchild ignore SIGTERM.
  spec.argv = {"bash", "-c", "trap '' TERM; bash -c \"trap '' TERM; sleep 300\" & echo $! > \"$1\"; while :; do sleep 0.05; done",
               "bash", pidfile.string()};
  spec.env = build_child_environment(default_environment_allow_list(), {});
  spec.timeout = 300ms;
  spec.kill_grace = 300ms;
  ProcessRunner runner;
  auto r = runner.run(std::move(spec), {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGKILL);
  pid_t grandchild = read_pid(pidfile);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(process_gone(grandchild, 3s));
}

TEST(ProcessRunner, InactivityTimeoutKillsASilentChild) {
  ProcessSpec spec = python("import sys,time\nprint('hello', flush=True)\ntime.sleep(60)");
  spec.inactivity_timeout = 500ms;
  spec.timeout = 30s;
  ProcessRunner runner;
  Lines lines;
  auto t0 = std::chrono::steady_clock::now();
  auto r = runner.run(std::move(spec), lines.handler());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->inactive);
  EXPECT_FALSE(r->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_EQ(lines.of(1), (std::vector<std::string>{"hello"}));
}

TEST(ProcessRunner, SteadyOutputKeepsAChildAlive) {
  ProcessSpec spec = python("import time\nfor i in range(8):\n  print(i, flush=True)\n  time.sleep(0.1)");
  spec.inactivity_timeout = 400ms;
  ProcessRunner runner;
  auto r = runner.run(std::move(spec), {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->inactive);
  EXPECT_EQ(r->exit_code, 0);
}

TEST(ProcessRunner, BackgroundJobsLeftBehindAreKilledWhenTheLeaderExits) {
  TempDir dir;
  fs::path pidfile = dir.path() / "bg.pid";
  ProcessSpec spec;
  spec.argv = {"bash", "-c", "sleep 300 & echo $! > \"$1\"; echo started", "bash", pidfile.string()};
  spec.env = build_child_environment(default_environment_allow_list(), {});
  ProcessRunner runner;
  auto t0 = std::chrono::steady_clock::now();
  auto r = runner.run(std::move(spec), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  pid_t bg = read_pid(pidfile);
  ASSERT_GT(bg, 0);
  EXPECT_TRUE(process_gone(bg, 3s));
}

TEST(ProcessRunner, LongLinesAreDeliveredInPieces) {
  ProcessSpec spec = python("import sys\nsys.stdout.write('a'*25 + '\\n' + 'b'*10 + '\\n' + 'tail')");
  spec.max_line_bytes = 10;
  ProcessRunner runner;
  Lines lines;
  ASSERT_TRUE(runner.run(std::move(spec), lines.handler()).ok());
  EXPECT_EQ(lines.of(1), (std::vector<std::string>{"aaaaaaaaaa", "aaaaaaaaaa", "aaaaa", "bbbbbbbbbb", "tail"}));
}

TEST(ProcessRunner, LogFileGetsBothStreamsAndParentDirectoriesAreCreated) {
  TempDir dir;
  fs::path log = dir.path() / "a" / "b" / "run.log";
  ProcessSpec spec = python(
      "import sys, time\nprint('out1', flush=True)\ntime.sleep(0.1)\nsys.stderr.write('err1\\n')\nsys.stderr.flush()\n"
      "time.sleep(0.1)\nprint('out2')");
  spec.log_path = log.string();
  ProcessRunner runner;
  ASSERT_TRUE(runner.run(spec, {}).ok());
  EXPECT_EQ(read_file(log), "out1\nerr1\nout2\n");
  ASSERT_TRUE(runner.run(spec, {}).ok());  // appends
  EXPECT_EQ(read_file(log), "out1\nerr1\nout2\nout1\nerr1\nout2\n");
}

// What a child writes: numbered lines, so any byte's place in the output is known.
std::string numbered_lines(int count) {
  std::string out;
  char line[32];
  for (int i = 0; i < count; ++i) out.append(line, static_cast<size_t>(std::snprintf(line, sizeof line, "line %07d\n", i)));
  return out;
}

TEST(ProcessRunner, LogOverItsCapKeepsTheHeadAndTheTailAndSaysWhatWasCut) {
  TempDir dir;
  fs::path log = dir.path() / "capped.log";
  const int count = 300000;  // 3.9 MB through a 256 KiB cap, several cuts on the way
  const std::string output = numbered_lines(count);
  ProcessSpec spec = python("import sys\nfor i in range(" + std::to_string(count) +
                            "):\n  sys.stdout.write('line %07d\\n' % i)\n");
  spec.log_path = log.string();
  spec.log_max_bytes = 256 << 10;
  ProcessRunner runner;
  auto r = runner.run(std::move(spec), {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->exit_code, 0);

  const std::string text = read_file(log);
  EXPECT_LE(text.size(), 256u << 10);
  const std::string::size_type at = text.find("\n[drover: ");
  ASSERT_NE(at, std::string::npos) << "the log must say where it was cut";
  unsigned long long cut = 0, head = 0, tail = 0;
  ASSERT_EQ(std::sscanf(text.c_str() + at, "\n[drover: %llu bytes of output were cut here; logs.max_size keeps the first "
                                           "%llu and the last %llu bytes]", &cut, &head, &tail), 3)
      << text.substr(at, 200);
  EXPECT_EQ(head, at);
  EXPECT_EQ(head + cut + tail, output.size());
  EXPECT_EQ(text.substr(0, head), output.substr(0, head));
  EXPECT_EQ(text.substr(text.size() - tail), output.substr(output.size() - tail)) << "the tail is the last output";
  const std::string::size_type line_end = text.find('\n', at + 1);
  EXPECT_EQ(line_end + 1, text.size() - tail) << "one line between head and tail";
}

TEST(ProcessRunner, LogUnderItsCapIsWhole) {
  TempDir dir;
  fs::path log = dir.path() / "small.log";
  ProcessSpec spec = python("import sys\nfor i in range(100):\n  sys.stdout.write('line %07d\\n' % i)\n");
  spec.log_path = log.string();
  spec.log_max_bytes = 4096;
  ProcessRunner runner;
  ASSERT_TRUE(runner.run(std::move(spec), {}).ok());
  EXPECT_EQ(read_file(log), numbered_lines(100));
}

TEST(ProcessRunner, LogAndItsNewDirectoriesArePrivateWhateverTheUmask) {
  TempDir dir;
  fs::path log = dir.path() / "logs" / "t1" / "1.log";
  ProcessSpec spec = python("print('secret')");
  spec.log_path = log.string();
  mode_t old = ::umask(0);
  ProcessRunner runner;
  auto r = runner.run(std::move(spec), {});
  ::umask(old);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(fs::status(log).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(log.parent_path()).permissions(), fs::perms::owner_all);
  EXPECT_EQ(fs::status(dir.path() / "logs").permissions(), fs::perms::owner_all);
}

TEST(ProcessRunner, SpawnFailuresNameTheProgramAndReason) {
  ProcessRunner runner;
  ProcessSpec missing;
  missing.argv = {"drover-no-such-program-xyz", "arg"};
  missing.env = {{"PATH", "/usr/bin:/bin"}};
  auto r = runner.run(missing, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'drover-no-such-program-xyz'"), std::string::npos);
  EXPECT_NE(r.status().message().find("not found in PATH (/usr/bin:/bin)"), std::string::npos);

  ProcessSpec bad_cwd = python("pass");
  bad_cwd.cwd = "/nonexistent/drover/dir";
  r = runner.run(bad_cwd, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("working directory '/nonexistent/drover/dir'"), std::string::npos);

  TempDir dir;
  fs::path not_exec = dir.path() / "script.sh";
  std::ofstream(not_exec) << "echo hi\n";
  ProcessSpec no_x;
  no_x.argv = {not_exec.string()};
  r = runner.run(no_x, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not an executable file"), std::string::npos) << r.status().message();

  ProcessSpec empty;
  r = runner.run(empty, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(runner.running(), 0u);
}

TEST(ProcessRunner, CancelTerminatesOneRun) {
  ProcessRunner runner;
  std::promise<ProcessResult> p1, p2;
  auto f1 = p1.get_future(), f2 = p2.get_future();
  ProcessSpec sleeper = python("import time\ntime.sleep(60)");
  auto id1 = runner.start(sleeper, {}, std::move(p1));
  auto id2 = runner.start(python("import time\ntime.sleep(1)"), {}, std::move(p2));
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_EQ(runner.running(), 2u);
  runner.cancel(*id1);
  ASSERT_EQ(f1.wait_for(10s), std::future_status::ready);
  ProcessResult r1 = f1.get();
  EXPECT_TRUE(r1.cancelled);
  EXPECT_EQ(r1.signal, SIGTERM);
  ProcessResult r2 = f2.get();
  EXPECT_FALSE(r2.cancelled);
  EXPECT_EQ(r2.exit_code, 0);
  runner.cancel(*id1);  // already finished: harmless
  runner.cancel(12345);
}

TEST(ProcessRunner, TerminateAllStopsEveryRun) {
  ProcessRunner runner;
  std::vector<std::future<ProcessResult>> futures;
  for (int i = 0; i < 4; ++i) {
    std::promise<ProcessResult> p;
    futures.push_back(p.get_future());
    ASSERT_TRUE(runner.start(python("import time\ntime.sleep(60)"), {}, std::move(p)).ok());
  }
  std::this_thread::sleep_for(100ms);
  runner.terminate_all();
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    EXPECT_TRUE(f.get().cancelled);
  }
  EXPECT_EQ(runner.running(), 0u);
}

TEST(ProcessRunner, DestructorKillsRunningChildren) {
  TempDir dir;
  fs::path pidfile = dir.path() / "child.pid";
  std::future<ProcessResult> f;
  {
    ProcessRunner runner;
    std::promise<ProcessResult> p;
    f = p.get_future();
    ProcessSpec spec;
    spec.argv = {"bash", "-c", "echo $$ > \"$1\"; sleep 300", "bash", pidfile.string()};
    spec.env = build_child_environment(default_environment_allow_list(), {});
    ASSERT_TRUE(runner.start(spec, {}, std::move(p)).ok());
    ASSERT_GT(read_pid(pidfile), 0);
  }
  ASSERT_EQ(f.wait_for(1s), std::future_status::ready);
  EXPECT_TRUE(f.get().cancelled);
  EXPECT_TRUE(process_gone(read_pid(pidfile), 3s));
}

TEST(ProcessRunner, ManyConcurrentRuns) {
  ProcessRunner runner;
  constexpr int kRuns = 40;
  std::vector<std::future<ProcessResult>> futures;
  std::vector<std::unique_ptr<Lines>> outputs;
  for (int i = 0; i < kRuns; ++i) {
    std::promise<ProcessResult> p;
    futures.push_back(p.get_future());
    outputs.push_back(std::make_unique<Lines>());
    ProcessSpec spec;
    spec.argv = {"bash", "-c", "for i in 1 2 3; do echo \"$1-$i\"; done; exit $(( $1 % 7 ))", "bash",
                 std::to_string(i)};
    spec.env = build_child_environment(default_environment_allow_list(), {});
    ASSERT_TRUE(runner.start(spec, outputs.back()->handler(), std::move(p)).ok());
  }
  for (int i = 0; i < kRuns; ++i) {
    ASSERT_EQ(futures[i].wait_for(30s), std::future_status::ready);
    ProcessResult r = futures[i].get();
    EXPECT_EQ(r.exit_code, i % 7);
    std::string n = std::to_string(i);
    EXPECT_EQ(outputs[i]->of(1), (std::vector<std::string>{n + "-1", n + "-2", n + "-3"}));
  }
  EXPECT_EQ(runner.running(), 0u);
}

TEST(ProcessRunner, ExitDetectionWorksWithoutPidfd) {
  ::setenv("DROVER_PROCESS_NO_PIDFD", "1", 1);
  ProcessRunner runner;
  Lines lines;
  auto r = runner.run(python("import sys\nprint('polled')\nsys.exit(4)"), lines.handler());
  ProcessSpec sleeper = python("import time\ntime.sleep(60)");
  sleeper.timeout = 300ms;
  auto t = runner.run(sleeper, {});
  ::unsetenv("DROVER_PROCESS_NO_PIDFD");
  ASSERT_TRUE(r.ok() && t.ok());
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_EQ(lines.of(1), (std::vector<std::string>{"polled"}));
  EXPECT_TRUE(t->timed_out);
  EXPECT_EQ(t->signal, SIGTERM);
}

long max_rss_kb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(ProcessRunnerSlow, MultiMegabyteOutputWithBoundedMemory) {
  TempDir dir;
  fs::path log = dir.path() / "big.log";
  // 64 MB of short lines plus one 16 MB line without a newline, on both streams.
  ProcessSpec spec = python(
      "import sys\n"
      "line = ('x' * 99 + '\\n') * 10000\n"
      "for i in range(64):\n"
      "  sys.stdout.write(line)\n"
      "  sys.stderr.write(line[:1000])\n"
      "sys.stdout.write('y' * (16 << 20))\n");
  spec.max_line_bytes = 1 << 20;
  spec.log_path = log.string();
  std::atomic<std::size_t> lines{0}, bytes{0}, longest{0};
  long before = max_rss_kb();
  ProcessRunner runner;
  auto t0 = std::chrono::steady_clock::now();
  auto r = runner.run(std::move(spec), [&](int, std::string_view l) {
    lines++;
    bytes += l.size();
    if (l.size() > longest) longest = l.size();
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(lines.load(), 64u * 10000 + 64u * 10 + 16);
  EXPECT_EQ(bytes.load(), 64u * 10000 * 99 + 64u * 10 * 99 + (16u << 20));
  EXPECT_EQ(longest.load(), std::size_t(1) << 20);
  EXPECT_EQ(fs::file_size(log), 64u * 10000 * 100 + 64u * 10 * 100 + (16u << 20) + 1);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  long grown_mb = (max_rss_kb() - before) / 1024;
  std::printf("[ measure  ] 80 MB of output (640,656 lines and pieces, one 16 MB line) streamed and logged in %lld ms; "
              "max RSS grew %ld MB\n", static_cast<long long>(ms), grown_mb);
  EXPECT_LT(grown_mb, 24) << "max RSS grew by " << grown_mb << " MB for 80 MB of output";
}

// drover-agent-box is put in front this way: the wrapper runs the resolved
// program; a missing program is still named, and so is a missing wrapper.
TEST(ProcessRunner, WrapperRunsTheResolvedProgram) {
  ProcessRunner runner;
  Lines lines;
  ProcessSpec spec;
  spec.argv = {"echo", "wrapped"};
  spec.env = build_child_environment(default_environment_allow_list(), {});
  spec.wrapper = {"/usr/bin/env", "WRAPPED=1"};
  auto r = runner.run(spec, lines.handler());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(lines.of(1), std::vector<std::string>{"wrapped"});

  spec.argv = {"no-such-program-drover-test"};
  auto missing = runner.run(spec, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no-such-program-drover-test"), std::string::npos);

  spec.argv = {"echo"};
  spec.wrapper = {"/no/such/wrapper"};
  auto no_wrapper = runner.run(spec, {});
  ASSERT_FALSE(no_wrapper.ok());
  EXPECT_NE(no_wrapper.status().message().find("/no/such/wrapper"), std::string::npos) << no_wrapper.status().message();
}

}  // namespace
}  // namespace drover
