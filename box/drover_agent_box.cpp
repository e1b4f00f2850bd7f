// drover-agent-box: the small program Drover puts in front of every agent and
// verify command (posix_spawn cannot run code between fork and exec, and the
// agent must not be able to undo what is done there).
//
//   drover-agent-box [--landlock ABI --write PATH...] [--cgroup DIR]
//                    [--max-processes N] [--max-memory BYTES] [--report FILE]
//                    -- PROGRAM ARGS...
//
// It makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so every process
// the agent leaves behind — after setsid, a double fork, a daemon() — becomes
// its child instead of init's; joins the attempt's cgroup when Drover made
// one; forks the agent in its own process group (Drover's signals to the group
// reach both); in the child sets no_new_privs and the Landlock ruleset
// (writes beneath the --write paths only), then execs PROGRAM (an absolute
// path: Drover resolved it). When the agent exits it ends every remaining
// descendant (SIGTERM, SIGKILL 500 ms later; at once when it was itself asked
// to stop), reaps them, writes a JSON report and exits as the agent did (same
// code, or the same signal).
//
// Limits: with --max-processes/--max-memory it counts the tree's processes and
// resident memory every 100 ms (the cgroup's pids.max / memory.max are set by
// Drover as hard caps where those controllers exist); over a limit, the whole
// tree is killed and the report says which limit.
//
// Exit codes of its own: 125 bad usage or a sandbox that could not be applied
// (the report and stderr say why), 127 PROGRAM could not be executed.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drover/sandbox/landlock.h"
#include "drover/sandbox/process_tree.h"

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

volatile sig_atomic_t g_stop_requested = 0;
void on_stop_signal(int) { g_stop_requested = 1; }
void on_child(int) {}  // only to interrupt waitpid/sleep

struct Options {
  int landlock_abi = 0;
  std::vector<std::string> write_paths;
  std::string cgroup;
  long max_processes = 0;
  unsigned long long max_memory = 0;
  std::string report;
  std::vector<char*> program;  // argv of the agent, null-terminated
};

[[noreturn]] void usage(const std::string& what) {
  std::fprintf(stderr, "drover-agent-box: %s\n", what.c_str());
  std::exit(125);
}

Options parse(int argc, char** argv) {
  Options o;
  int i = 1;
  auto value = [&](const char* flag) -> std::string {
    if (i + 1 >= argc) usage(std::string(flag) + " needs a value");
    return argv[++i];
  };
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--landlock") o.landlock_abi = std::atoi(value("--landlock").c_str());
    else if (a == "--write") o.write_paths.push_back(value("--write"));
    else if (a == "--cgroup") o.cgroup = value("--cgroup");
    else if (a == "--max-processes") o.max_processes = std::atol(value("--max-processes").c_str());
    else if (a == "--max-memory") o.max_memory = std::strtoull(value("--max-memory").c_str(), nullptr, 10);
    else if (a == "--report") o.report = value("--report");
    else usage("unknown option " + a);
  }
  if (i >= argc) usage("no program given after --");
  for (; i < argc; ++i) o.program.push_back(argv[i]);
  o.program.push_back(nullptr);
  return o;
}

struct Report {
  json j = json::object();
  int fd = -1;
  void write() {
    if (fd < 0) return;
    std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    if (::ftruncate(fd, 0) == 0) {
      (void)!::pwrite(fd, text.data(), text.size(), 0);
    }
  }
};

[[noreturn]] void fail(Report& report, const std::string& what) {
  std::fprintf(stderr, "drover-agent-box: %s\n", what.c_str());
  report.j["error"] = what;
  report.write();
  std::exit(125);
}

// The child, before exec: default signals, the sandbox, the program.
[[noreturn]] void exec_agent(const Options& o, int error_pipe) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  std::string error;
  if (o.landlock_abi > 0) {
    drover::Status st = drover::restrict_writes_to(o.write_paths, o.landlock_abi);
    if (!st.ok()) error = st.message();
  }
  if (error.empty()) {
    ::execv(o.program[0], o.program.data());
    error = std::string("cannot execute ") + o.program[0] + ": " + std::strerror(errno);
  }
  (void)!::write(error_pipe, error.data(), error.size());
  ::_exit(error.rfind("cannot execute", 0) == 0 ? 127 : 125);
}

// Reaps every child that ended; the agent's status is kept.
void reap_all(pid_t agent, std::optional<int>& agent_status) {
  int status = 0;
  for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;)
    if (pid == agent) agent_status = status;
}

[[noreturn]] void exit_like(int status) {
  if (WIFEXITED(status)) std::exit(WEXITSTATUS(status));
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(sig);
  std::_Exit(128 + sig);
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  Report report;
  if (!o.report.empty()) {
    report.fd = ::open(o.report.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (report.fd < 0) usage("cannot write the report " + o.report + ": " + std::strerror(errno));
  }
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    fail(report, std::string("cannot become a child subreaper: ") + std::strerror(errno));
  if (!o.cgroup.empty()) {
    int fd = ::open((o.cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) report.j["cgroup_error"] = std::string("cannot join ") + o.cgroup + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
  }
  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;  // no SA_RESTART: waitpid returns EINTR
  sigemptyset(&stop.sa_mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &stop, nullptr);
  struct sigaction child {};
  child.sa_handler = on_child;
  sigemptyset(&child.sa_mask);
  ::sigaction(SIGCHLD, &child, nullptr);

  int errors[2];
  if (::pipe2(errors, O_CLOEXEC) != 0) fail(report, std::string("cannot create a pipe: ") + std::strerror(errno));
  const pid_t agent = ::fork();
  if (agent < 0) fail(report, std::string("cannot fork: ") + std::strerror(errno));
  if (agent == 0) exec_agent(o, errors[1]);
  ::close(errors[1]);
  std::string exec_error;
  char buf[512];
  for (ssize_t n; (n = ::read(errors[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    exec_error.append(buf, static_cast<size_t>(n));
  }
  ::close(errors[0]);
  if (!exec_error.empty()) {
    report.j["error"] = exec_error;
    std::fprintf(stderr, "drover-agent-box: %s\n", exec_error.c_str());
  }

  const pid_t self = ::getpid();
  auto tree = [self] { return drover::descendants_of(self); };
  std::optional<int> agent_status;
  auto reap = [&] { reap_all(agent, agent_status); };
  const bool limited = o.max_processes > 0 || o.max_memory > 0;
  std::string limit_hit;
  while (!agent_status) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, limited ? WNOHANG : 0);
    if (pid == agent) {
      agent_status = status;
      break;
    }
    if (pid > 0) continue;  // an adopted orphan ended
    if (pid < 0 && errno == ECHILD) break;
    if (limited) {
      std::vector<drover::ProcessInfo> procs = tree();
      if (o.max_processes > 0 && static_cast<long>(procs.size()) > o.max_processes) {
        limit_hit = "processes";
        report.j["limit_detail"] = std::to_string(procs.size()) + " processes running, more than the limit of " +
                                   std::to_string(o.max_processes);
      } else if (o.max_memory > 0 && drover::resident_bytes(procs) > o.max_memory) {
        limit_hit = "memory";
        report.j["limit_detail"] = "resident memory " + std::to_string(drover::resident_bytes(procs) >> 20) +
                                   " MiB, more than the limit of " + std::to_string(o.max_memory >> 20) + " MiB";
      }
      if (!limit_hit.empty()) break;
      std::this_thread::sleep_for(100ms);
    }
  }
  if (!limit_hit.empty()) {
    report.j["limit"] = limit_hit;
    drover::end_processes(tree, reap, 0ms, 5s);
  }
  // What the agent left behind: polite first, unless Drover is already stopping
  // us. As a subreaper we have no child at all exactly when nothing is left
  // (an orphan would have become ours), so the common case skips /proc.
  reap();
  siginfo_t any{};
  const bool childless = ::waitid(P_ALL, 0, &any, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD;
  const auto grace = g_stop_requested ? 0ms : 500ms;
  std::vector<std::string> leftovers;
  if (!childless) leftovers = drover::end_processes(tree, reap, grace, 5s);
  reap();
  if (!leftovers.empty()) report.j["leftovers"] = leftovers;
  if (agent_status && WIFEXITED(*agent_status)) report.j["exit_code"] = WEXITSTATUS(*agent_status);
  if (agent_status && WIFSIGNALED(*agent_status)) report.j["signal"] = WTERMSIG(*agent_status);
  report.j["finished"] = true;
  report.write();
  exit_like(agent_status.value_or(W_EXITCODE(125, 0)));
}
