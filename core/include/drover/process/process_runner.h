// ProcessRunner: starts agent (and verify) commands as child processes, the one
// place in Drover that does process hygiene: argv only (never a shell), own
// process group, stdin from /dev/null or a prompt written then closed, a clean
// environment, wall-clock and inactivity timeouts that terminate the whole
// group (SIGTERM, then SIGKILL after a grace period), output streamed line by
// line to a handler and to a log file with bounded memory.
//
// Children are watched by one Boost.Asio event loop on a background thread, so N
// concurrent runs do not need N threads blocked in the runner. Boost headers
// stay out of this file.
//
// Behaviour worth knowing (implementation: core/src/process/process_runner.cpp):
//   - With a wrapper (drover-agent-box), the wrapper leads the group and runs
//     the program; argv[0] is still resolved here, so a missing program is
//     reported the same way.
//   - argv[0] is resolved against the child's PATH before anything is spawned,
//     so a missing program is an error naming it; one argv string may not reach
//     128 KiB (Linux MAX_ARG_STRLEN): pass large text on stdin or in a file.
//   - The child leads a new process group, starts with default signal
//     dispositions and an empty signal mask, and inherits no other descriptor.
//   - When the child exits, whatever it left running in its process group is
//     killed (SIGKILL); output still in the pipes is delivered, waiting at most
//     2 s for a process that left the group but holds the pipes.
//   - No signal handler is installed (exits are seen through a pidfd, or by
//     polling when the kernel has none); SIGPIPE is blocked on the loop thread
//     only. Nobody else in the process may reap these children (do not set
//     SIGCHLD to SIG_IGN, do not call waitpid(-1)).
//   - The log keeps at most log_max_bytes: the first and the last half, with a
//     line between them saying how many bytes were cut, in constant memory (the
//     file may reach 1.5 x the cap while the child runs; see capped_log.h).
//   - LineHandler runs on the loop thread: keep it short, and never destroy the
//     runner from inside it.
#ifndef DROVER_PROCESS_PROCESS_RUNNER_H
#define DROVER_PROCESS_PROCESS_RUNNER_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drover/status.h"

namespace drover {

struct ProcessSpec {
  std::vector<std::string> argv;              // argv[0] searched in PATH if it has no '/'
  std::map<std::string, std::string> env;     // the complete environment of the child
  std::string cwd;                            // working directory (must exist)
  std::optional<std::string> stdin_data;      // written then closed; nullopt = /dev/null
  std::chrono::milliseconds timeout{0};       // 0 = none
  std::chrono::milliseconds inactivity_timeout{0};  // no output for this long = killed; 0 = none
  std::chrono::milliseconds kill_grace{5000}; // SIGTERM -> SIGKILL delay
  std::string log_path;                       // both streams appended here if non-empty (created 0600)
  std::uint64_t log_max_bytes = 0;            // cap of the log (head + tail kept, the cut said); 0 = none
  std::size_t max_line_bytes = 1 << 20;       // longer lines are delivered in pieces
  std::string process_file;                   // if set: holds "<pid> <start time>" while the child
                                              // runs (see leftover_process.h)
  std::string process_note;                   // written after them (the attempt marker and cgroup)
  // Put in front of argv once argv[0] is resolved: the child runs
  // wrapper... <absolute path of argv[0]> argv[1...] (drover-agent-box).
  std::vector<std::string> wrapper;
};

struct ProcessResult {
  std::optional<int> exit_code;  // set when the process exited normally
  std::optional<int> signal;     // set when it was killed by a signal
  bool timed_out = false;        // killed by the wall-clock timeout
  bool inactive = false;         // killed by the inactivity timeout
  bool cancelled = false;        // killed by cancel()/terminate_all()
  int64_t duration_ms = 0;
};

// Receives each output line (without '\n'); stream 1 = stdout, 2 = stderr.
// Called on the runner's event-loop thread, one line at a time per process.
using LineHandler = std::function<void(int stream, std::string_view line)>;

class ProcessRunner {
 public:
  ProcessRunner();
  ~ProcessRunner();  // terminates every running child
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  using RunId = uint64_t;

  // Starts the process. The future becomes ready when it has exited and all its
  // output was delivered. A spawn failure (missing binary, bad cwd) yields a
  // Status that names the program and the reason.
  Result<RunId> start(ProcessSpec spec, LineHandler on_line, std::promise<ProcessResult> done);

  // Starts and waits: convenience for callers that own a thread anyway.
  Result<ProcessResult> run(ProcessSpec spec, LineHandler on_line);

  // Terminates one run's process group (SIGTERM, then SIGKILL after its grace,
  // or after kill_after when that is given and shorter).
  void cancel(RunId id, std::optional<std::chrono::milliseconds> kill_after = std::nullopt);
  // Terminates every running process group (second Ctrl-C), killing it after
  // kill_after when that is given and shorter than its grace.
  void terminate_all(std::optional<std::chrono::milliseconds> kill_after = std::nullopt);
  // Number of children currently running.
  std::size_t running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The absolute path of spec.argv[0] as execvp would find it, but searched in
// the child's PATH (spec.env, else Drover's own): NotFound naming the program
// and what is wrong when it is missing or not an executable file. start() does
// this first; preflight checks use it to start nothing.
Result<std::string> resolve_program(const ProcessSpec& spec);

// Builds a child environment: the variables from the current environment named
// in allow_list (HOME, PATH, LANG, ... plus any the caller adds), then extra on
// top. Values of the parent not in the list are never passed on. An entry
// ending in '*' ("AWS_*") allows every variable with that prefix.
std::map<std::string, std::string> build_child_environment(const std::vector<std::string>& allow_list,
                                                           const std::map<std::string, std::string>& extra);

// The default allow-list for agent processes: HOME PATH LANG LC_ALL LC_CTYPE
// TERM TMPDIR USER LOGNAME SHELL TZ SSL_CERT_FILE SSL_CERT_DIR and the proxy
// variables. No credentials: an agent plugin names the variables its CLI needs
// (ANTHROPIC_API_KEY, OPENAI_API_KEY, AMP_API_KEY, ...) in its build_command
// response ("pass_env"), so each secret reaches only the agent that uses it.
// The parent's DROVER_* variables are not passed; the host sets its own.
const std::vector<std::string>& default_environment_allow_list();

}  // namespace drover

#endif
