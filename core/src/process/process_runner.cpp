// ProcessRunner: one Boost.Asio event loop on a background thread watches every
// child. This is the only translation unit that includes Asio for processes.
//
// Life of a run:
//   start()   (caller's thread) resolves argv[0], checks cwd, opens the log,
//             creates pipes and posix_spawn()s the child as the leader of a new
//             process group with default signal dispositions and an empty mask.
//   setup()   (loop thread) starts async reads of stdout/stderr, the async
//             write of the prompt to stdin, the timers, and waits on a pidfd
//             (readable when the child exits; polled with waitid() when the
//             kernel has no pidfd_open).
//   exit      the leader is detected with waitid(WNOWAIT), so it stays a zombie
//             and its pid/pgid cannot be reused while we still signal the
//             group. Leftover members of the group (background jobs the agent
//             forgot) are killed then. Output is drained until both pipes reach
//             EOF, or for at most kDrainLimit if a process that left the group
//             still holds them.
//   finish()  reaps the leader, closes everything, fulfils the promise.
//
// No signal handlers are installed (the engine owns SIGINT/SIGTERM); SIGPIPE is
// blocked on the loop thread only, so writing to a child that closed its stdin
// yields EPIPE instead of killing Drover.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <spdlog/spdlog.h>

#include "drover/process/process_runner.h"

#include "drover/process/leftover_process.h"
#include "capped_log.h"

namespace drover {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// How long output may keep arriving after the leader exited and its group was
// killed (only a process that escaped the group with setsid can hold the pipes).
constexpr std::chrono::milliseconds kDrainLimit{2000};
// Poll interval for exit detection when pidfd_open is unavailable.
constexpr std::chrono::milliseconds kExitPollInterval{50};
// Linux limit for a single argv/env string (MAX_ARG_STRLEN, 32 pages).
constexpr std::size_t kMaxArgBytes = 32 * 4096;
constexpr std::size_t kReadChunk = 64 * 1024;

int pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

std::string errno_text(int err) { return std::strerror(err); }

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

// Resolves argv[0] the way execvp would, but against the child's PATH, so a
// missing program is reported by name before anything is forked.
Result<std::string> resolve_program(const ProcessSpec& spec) {
  const std::string& name = spec.argv[0];
  if (name.empty()) return Status::InvalidArgument("cannot start a process: argv[0] is empty");
  if (name.find('/') != std::string::npos) {
    std::filesystem::path p(name);
    if (p.is_relative() && !spec.cwd.empty()) p = std::filesystem::path(spec.cwd) / p;
    if (!is_executable_file(p.string())) {
      int err = errno;
      return Status::NotFound("cannot start '" + name + "': " +
                              (::access(p.c_str(), F_OK) == 0 ? "not an executable file" : errno_text(err)));
    }
    return name;
  }
  std::string path;
  if (auto it = spec.env.find("PATH"); it != spec.env.end()) {
    path = it->second;
  } else if (const char* p = std::getenv("PATH"); p != nullptr) {
    path = p;
  } else {
    path = "/usr/local/bin:/usr/bin:/bin";
  }
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    // A relative PATH entry means relative to Drover's directory, not the child's cwd.
    std::string candidate = (std::filesystem::absolute(dir) / name).string();
    if (is_executable_file(candidate)) return candidate;
    begin = end + 1;
  }
  return Status::NotFound("cannot start '" + name + "': not found in PATH (" + path +
                          "); install it or configure its full path");
}

namespace {

struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() { close_both(); }
  void close_both() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
    read = write = -1;
  }
  int take_read() { return std::exchange(read, -1); }
  int take_write() { return std::exchange(write, -1); }
};

Status make_pipe(Pipe& p) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Unavailable("cannot create a pipe: " + errno_text(errno));
  p.read = fds[0];
  p.write = fds[1];
  return Status::Ok();
}

// RAII for the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

// One child process and everything the loop needs to watch it.
struct ChildRun : std::enable_shared_from_this<ChildRun> {
  struct Stream {
    explicit Stream(asio::io_context& io, int number) : fd(io), stream(number) {}
    asio::posix::stream_descriptor fd;
    int stream;
    std::vector<char> buffer = std::vector<char>(kReadChunk);
    std::string pending;  // the incomplete last line, never above max_line_bytes
    bool eof = false;
  };

  ChildRun(asio::io_context& io, ProcessRunner::RunId run_id)
      : id(run_id), out(io, 1), err(io, 2), in(io), pidfd(io), wall_timer(io), idle_timer(io),
        grace_timer(io), drain_timer(io), poll_timer(io) {}

  ProcessRunner::RunId id;
  pid_t pid = -1;
  std::chrono::milliseconds timeout{0}, inactivity_timeout{0}, kill_grace{0};
  std::size_t max_line_bytes = 1;
  LineHandler on_line;
  std::promise<ProcessResult> done;
  std::string stdin_data;
  bool has_stdin = false;
  std::unique_ptr<CappedLog> log;
  bool log_failed = false;

  Stream out, err;
  asio::posix::stream_descriptor in, pidfd;
  asio::steady_timer wall_timer, idle_timer, grace_timer, drain_timer, poll_timer;
  Clock::time_point started, last_output;

  std::string process_file;  // removed when the child has been reaped
  bool exited = false;
  bool terminating = false;
  bool finished = false;
  ProcessResult result;
};

struct ProcessRunner::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::thread thread;
  std::map<RunId, std::shared_ptr<ChildRun>> runs;  // touched on the loop thread only
  std::atomic<RunId> next_id{1};
  std::atomic<std::size_t> count{0};
  std::mutex mutex;
  std::condition_variable idle;

  Impl() {
    thread = std::thread([this] {
      sigset_t block;
      sigemptyset(&block);
      sigaddset(&block, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &block, nullptr);
      // A handler that throws must not take the loop (and every child) down.
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("process runner: event loop handler failed: {}", e.what());
        }
      }
    });
  }

  // ---- loop-thread operations ----

  void setup(const std::shared_ptr<ChildRun>& run, int out_fd, int err_fd, int in_fd, int pid_fd) {
    runs[run->id] = run;
    run->out.fd.assign(out_fd);
    run->err.fd.assign(err_fd);
    read_more(run, run->out);
    read_more(run, run->err);
    if (in_fd >= 0) {
      run->in.assign(in_fd);
      asio::async_write(run->in, asio::buffer(run->stdin_data),
                        [run](const boost::system::error_code& ec, std::size_t) {
                          if (ec == asio::error::broken_pipe) consume_pending_sigpipe();
                          boost::system::error_code ignored;
                          run->in.close(ignored);
                          std::string().swap(run->stdin_data);
                        });
    }
    if (run->timeout.count() > 0) {
      run->wall_timer.expires_after(run->timeout);
      run->wall_timer.async_wait([this, run](const boost::system::error_code& ec) {
        if (ec || run->exited) return;
        run->result.timed_out = true;
        terminate(run);
      });
    }
    if (run->inactivity_timeout.count() > 0) arm_idle_timer(run, run->inactivity_timeout);
    if (pid_fd >= 0) {
      run->pidfd.assign(pid_fd);
      wait_exit_pidfd(run);
    } else {
      poll_exit(run);
    }
  }

  static void consume_pending_sigpipe() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
    }
  }

  void arm_idle_timer(const std::shared_ptr<ChildRun>& run, std::chrono::milliseconds after) {
    run->idle_timer.expires_after(after);
    run->idle_timer.async_wait([this, run](const boost::system::error_code& ec) {
      if (ec || run->exited || run->terminating) return;
      auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - run->last_output);
      if (quiet >= run->inactivity_timeout) {
        run->result.inactive = true;
        terminate(run);
      } else {
        arm_idle_timer(run, run->inactivity_timeout - quiet);
      }
    });
  }

  void read_more(const std::shared_ptr<ChildRun>& run, ChildRun::Stream& s) {
    s.fd.async_read_some(asio::buffer(s.buffer), [this, run, &s](const boost::system::error_code& ec, std::size_t n) {
      if (n > 0) {
        run->last_output = Clock::now();
        on_data(*run, s, s.buffer.data(), n);
      }
      if (ec) {
        if (!s.pending.empty()) emit(*run, s, s.pending, true);
        std::string().swap(s.pending);
        s.eof = true;
        maybe_finish(run);
        return;
      }
      read_more(run, s);
    });
  }

  // Splits a chunk into lines; a line longer than max_line_bytes goes out in pieces.
  void on_data(ChildRun& run, ChildRun::Stream& s, const char* p, std::size_t n) {
    const std::size_t max = run.max_line_bytes;
    while (n > 0) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', n));
      std::size_t segment = nl != nullptr ? static_cast<std::size_t>(nl - p) : n;
      std::size_t room = max - s.pending.size();
      if (segment > room) {
        s.pending.append(p, room);
        emit(run, s, s.pending, false);
        s.pending.clear();
        p += room;
        n -= room;
        continue;
      }
      s.pending.append(p, segment);
      p += segment;
      n -= segment;
      if (nl != nullptr) {
        emit(run, s, s.pending, true);
        s.pending.clear();
        ++p;
        --n;
      }
    }
  }

  void emit(ChildRun& run, ChildRun::Stream& s, const std::string& text, bool line_complete) {
    if (run.log && !run.log_failed) {
      if (!run.log->append(text.data(), text.size()) || (line_complete && !run.log->append("\n", 1))) {
        run.log_failed = true;
        spdlog::warn("process {}: writing its log failed ({}); further output is not logged", run.pid,
                     errno_text(errno));
      }
    }
    if (!run.on_line) return;
    try {
      run.on_line(s.stream, text);
    } catch (const std::exception& e) {
      spdlog::error("process {}: output handler threw: {}", run.pid, e.what());
    } catch (...) {
      spdlog::error("process {}: output handler threw an unknown exception", run.pid);
    }
  }

  void wait_exit_pidfd(const std::shared_ptr<ChildRun>& run) {
    run->pidfd.async_wait(asio::posix::stream_descriptor::wait_read,
                          [this, run](const boost::system::error_code& ec) {
                            if (ec || run->finished) return;
                            if (!check_exited(run)) wait_exit_pidfd(run);
                          });
  }

  void poll_exit(const std::shared_ptr<ChildRun>& run) {
    run->poll_timer.expires_after(kExitPollInterval);
    run->poll_timer.async_wait([this, run](const boost::system::error_code& ec) {
      if (ec || run->finished) return;
      if (!check_exited(run)) poll_exit(run);
    });
  }

  // Looks at the child without reaping it; returns true once it has exited.
  bool check_exited(const std::shared_ptr<ChildRun>& run) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(run->pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno == EINTR) return false;
      spdlog::error("process {}: waitid failed: {}", run->pid, errno_text(errno));
      info.si_pid = run->pid;
      info.si_code = CLD_KILLED;
      info.si_status = SIGKILL;
    }
    if (info.si_pid == 0) return false;
    run->exited = true;
    run->result.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - run->started).count();
    if (info.si_code == CLD_EXITED) {
      run->result.exit_code = info.si_status;
    } else {
      run->result.signal = info.si_status;
    }
    // The leader is a zombie, so its pgid is still ours: sweep what it left behind.
    ::kill(-run->pid, SIGKILL);
    run->wall_timer.cancel();
    run->idle_timer.cancel();
    run->grace_timer.cancel();
    if (run->out.eof && run->err.eof) {
      finish(run);
    } else {
      run->drain_timer.expires_after(kDrainLimit);
      run->drain_timer.async_wait([this, run](const boost::system::error_code& ec) {
        if (!ec) finish(run);
      });
    }
    return true;
  }

  void maybe_finish(const std::shared_ptr<ChildRun>& run) {
    if (run->exited && run->out.eof && run->err.eof) finish(run);
  }

  // SIGTERM to the whole group now, SIGKILL after the grace period.
  void terminate(const std::shared_ptr<ChildRun>& run) {
    if (run->exited || run->terminating) return;
    run->terminating = true;
    ::kill(-run->pid, SIGTERM);
    run->grace_timer.expires_after(run->kill_grace);
    run->grace_timer.async_wait([run](const boost::system::error_code& ec) {
      if (!ec && !run->exited) ::kill(-run->pid, SIGKILL);
    });
  }

  void finish(const std::shared_ptr<ChildRun>& run) {
    if (run->finished) return;
    run->finished = true;
    if (!run->process_file.empty()) ::unlink(run->process_file.c_str());
    boost::system::error_code ignored;
    run->wall_timer.cancel();
    run->idle_timer.cancel();
    run->grace_timer.cancel();
    run->drain_timer.cancel();
    run->poll_timer.cancel();
    run->out.fd.close(ignored);
    run->err.fd.close(ignored);
    run->in.close(ignored);
    run->pidfd.close(ignored);
    // Deliver a partial line still buffered if the drain limit cut the stream.
    for (ChildRun::Stream* s : {&run->out, &run->err}) {
      if (!s->pending.empty()) emit(*run, *s, s->pending, true);
      std::string().swap(s->pending);
    }
    int status = 0;
    while (::waitpid(run->pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (run->log && !run->log->close() && !run->log_failed) {
      spdlog::warn("process {}: cutting its log to logs.max_size failed ({})", run->pid, errno_text(errno));
    }
    run->log.reset();
    runs.erase(run->id);
    {
      std::lock_guard<std::mutex> lock(mutex);
      count.fetch_sub(1);
    }
    idle.notify_all();
    run->done.set_value(run->result);  // last: the waiter may destroy the runner
  }
};

ProcessRunner::ProcessRunner() : impl_(std::make_unique<Impl>()) {}

ProcessRunner::~ProcessRunner() {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    for (auto& [id, run] : impl->runs) {
      if (!run->exited) {
        run->result.cancelled = true;
        ::kill(-run->pid, SIGKILL);
      }
    }
  });
  {
    std::unique_lock<std::mutex> lock(impl->mutex);
    impl->idle.wait_for(lock, kDrainLimit + std::chrono::seconds(3), [impl] { return impl->count.load() == 0; });
  }
  impl->work.reset();
  impl->io.stop();
  impl->thread.join();
  for (auto& [id, run] : impl->runs) {  // only if a child refused to die: answer its waiter anyway
    run->result.cancelled = true;
    run->done.set_value(run->result);
  }
}

Result<ProcessRunner::RunId> ProcessRunner::start(ProcessSpec spec, LineHandler on_line,
                                                  std::promise<ProcessResult> done) {
  if (spec.argv.empty()) return Status::InvalidArgument("cannot start a process: argv is empty");
  const std::string program = spec.argv[0];
  for (std::size_t i = 0; i < spec.argv.size(); ++i) {
    if (spec.argv[i].size() >= kMaxArgBytes) {
      return Status::InvalidArgument("cannot start '" + program + "': argument " + std::to_string(i) + " is " +
                                     std::to_string(spec.argv[i].size()) +
                                     " bytes; Linux limits one argument to " + std::to_string(kMaxArgBytes - 1) +
                                     " bytes (pass large text on stdin or in a file)");
    }
  }
  if (!spec.cwd.empty()) {
    struct stat st {};
    if (::stat(spec.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Status::NotFound("cannot start '" + program + "': working directory '" + spec.cwd +
                              "' does not exist or is not a directory");
    }
  }
  Result<std::string> path = resolve_program(spec);
  if (!path.ok()) return path.status();
  if (!spec.wrapper.empty()) {
    if (!is_executable_file(spec.wrapper[0]))
      return Status::NotFound("cannot start '" + program + "': its wrapper " + spec.wrapper[0] +
                              " is not an executable file; reinstall drover");
    std::vector<std::string> argv = std::move(spec.wrapper);
    argv.push_back(std::filesystem::absolute(*path).string());
    argv.insert(argv.end(), std::make_move_iterator(spec.argv.begin() + 1), std::make_move_iterator(spec.argv.end()));
    spec.argv = std::move(argv);
    path = spec.argv[0];
  }

  std::unique_ptr<CappedLog> log;
  if (!spec.log_path.empty()) {
    auto opened = CappedLog::open(spec.log_path, spec.log_max_bytes);
    if (!opened.ok()) return opened.status().WithContext("cannot start '" + program + "'");
    log = std::move(opened.value());
  }
  auto close_log = [&] { log.reset(); };

  Pipe out, err, in;
  Status st = make_pipe(out);
  if (st.ok()) st = make_pipe(err);
  if (st.ok() && spec.stdin_data) st = make_pipe(in);
  if (!st.ok()) {
    close_log();
    return st.WithContext("cannot start '" + program + "'");
  }

  std::vector<std::string> env_strings;
  env_strings.reserve(spec.env.size());
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (std::string& a : spec.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  SpawnSetup setup;
  if (spec.stdin_data) {
    posix_spawn_file_actions_adddup2(&setup.actions, in.read, 0);
  } else {
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&setup.actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&setup.actions, err.write, 2);
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&setup.actions, spec.cwd.c_str());
  sigset_t all, none;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setpgroup(&setup.attr, 0);  // the child leads its own group
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, path->c_str(), &setup.actions, &setup.attr, argv.data(), envp.data());
  if (rc != 0) {
    close_log();
    return Status::Unavailable("cannot start '" + program + "' (" + *path + "): " + errno_text(rc));
  }
  // The child has its copies; close ours so EOF arrives when it exits.
  ::close(out.take_write());
  ::close(err.take_write());
  if (spec.stdin_data) ::close(in.take_read());
  // DROVER_PROCESS_NO_PIDFD=1 forces the polling fallback (used by its test).
  const char* no_pidfd_env = std::getenv("DROVER_PROCESS_NO_PIDFD");
  bool no_pidfd = no_pidfd_env != nullptr && std::string_view(no_pidfd_env) == "1";
  int pid_fd = no_pidfd ? -1 : pidfd_open(pid);

  RunId id = impl_->next_id.fetch_add(1);
  auto run = std::make_shared<ChildRun>(impl_->io, id);
  run->pid = pid;
  if (!spec.process_file.empty()) {
    write_process_file(spec.process_file, pid, spec.process_note);
    run->process_file = spec.process_file;
  }
  run->timeout = spec.timeout;
  run->inactivity_timeout = spec.inactivity_timeout;
  run->kill_grace = spec.kill_grace;
  run->max_line_bytes = std::max<std::size_t>(spec.max_line_bytes, 1);
  run->on_line = std::move(on_line);
  run->done = std::move(done);
  run->log = std::move(log);
  run->started = run->last_output = Clock::now();
  if (spec.stdin_data) run->stdin_data = std::move(*spec.stdin_data);
  impl_->count.fetch_add(1);

  Impl* impl = impl_.get();
  int out_fd = out.take_read(), err_fd = err.take_read(), in_fd = spec.stdin_data ? in.take_write() : -1;
  asio::post(impl->io, [impl, run, out_fd, err_fd, in_fd, pid_fd] {
    try {
      impl->setup(run, out_fd, err_fd, in_fd, pid_fd);
    } catch (const std::exception& e) {
      // Cannot watch it, so do not let it run unwatched.
      spdlog::error("process {}: cannot watch it ({}); killing it", run->pid, e.what());
      ::kill(-run->pid, SIGKILL);
      auto close_unowned = [](int fd, asio::posix::stream_descriptor& d) {
        if (fd >= 0 && (!d.is_open() || d.native_handle() != fd)) ::close(fd);
      };
      close_unowned(out_fd, run->out.fd);
      close_unowned(err_fd, run->err.fd);
      close_unowned(in_fd, run->in);
      close_unowned(pid_fd, run->pidfd);
      run->exited = true;
      run->result.signal = SIGKILL;
      impl->finish(run);
    }
  });
  return id;
}

Result<ProcessResult> ProcessRunner::run(ProcessSpec spec, LineHandler on_line) {
  std::promise<ProcessResult> done;
  std::future<ProcessResult> result = done.get_future();
  Result<RunId> id = start(std::move(spec), std::move(on_line), std::move(done));
  if (!id.ok()) return id.status();
  return result.get();
}

void ProcessRunner::cancel(RunId id, std::optional<std::chrono::milliseconds> kill_after) {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl, id, kill_after] {
    auto it = impl->runs.find(id);
    if (it == impl->runs.end() || it->second->exited) return;
    it->second->result.cancelled = true;
    if (kill_after) it->second->kill_grace = std::min(it->second->kill_grace, *kill_after);
    impl->terminate(it->second);
  });
}

void ProcessRunner::terminate_all(std::optional<std::chrono::milliseconds> kill_after) {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl, kill_after] {
    for (auto& [id, run] : impl->runs) {
      if (run->exited) continue;
      run->result.cancelled = true;
      if (kill_after) run->kill_grace = std::min(run->kill_grace, *kill_after);
      impl->terminate(run);
    }
  });
}

std::size_t ProcessRunner::running() const { return impl_->count.load(); }

}  // namespace drover
