// drover run / drover resume.
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli_support.h"
#include "drover/common/duration.h"
#include "drover/agent/process_agent_runner.h"
#include "drover/engine/run_loop.h"
#include "drover/engine/signal_watcher.h"
#include "run_presence.h"

namespace drover::cli {
namespace {

struct RunArgs {
  int workers = 0;
  std::string epic;
  std::string on_disk_full = "wait";
  bool wait_for_review = false;
};

// The filesystems a run writes to: the repository with the user's checkout,
// .drover (the SQLite store, logs, prompts) and the task worktrees.
FilesystemSpace disk_space_of(const Config& c) {
  std::string worktrees = c.worktree_dir.empty() ? c.drover_dir() + "/worktrees" : c.worktree_dir;
  if (!worktrees.empty() && worktrees[0] != '/') worktrees = c.project_root + "/" + worktrees;
  return FilesystemSpace({{c.project_root, "repository"}, {c.drover_dir(), "store and logs"}, {worktrees, "worktrees"}},
                         c.disk_min_free);
}

std::string clock_prefix() {
  std::string t = format_time(wall_ms());
  return t.size() >= 19 ? t.substr(11, 8) : t;
}

// On a terminal (and without NO_COLOR) a progress line stays at the bottom,
// redrawn in place under the log lines; otherwise only plain log lines.
class ProgressLine {
 public:
  explicit ProgressLine(Project& p, std::string epic) : project_(p), epic_(std::move(epic)), live_(color_enabled()) {
    if (live_) ticker_ = std::thread([this] { tick(); });
  }
  ~ProgressLine() { stop(); }
  // Ends the live line; later prints are plain lines.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_) return;
      done_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    std::lock_guard<std::mutex> lock(mu_);
    if (live_) std::cout << "\r\033[K" << std::flush;
    live_ = false;
  }
  void print(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    if (live_) std::cout << "\r\033[K";
    std::cout << paint(clock_prefix(), "2") << " " << escape_control_chars(line) << "\n";
    if (live_) std::cout << status_;
    std::cout << std::flush;
  }

 private:
  void tick() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!done_) {
      lock.unlock();
      std::string line = render();
      lock.lock();
      if (done_) break;
      status_ = line;
      std::cout << "\r\033[K" << status_ << std::flush;
      cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return done_; });
    }
  }
  std::string render() {
    std::optional<std::string> epic;
    if (!epic_.empty()) epic = epic_;
    auto store = project_.store();
    if (!store.ok()) return "";
    auto sum = store.value()->summary(epic);
    auto running = store.value()->list_tasks(TaskFilter{epic, {TaskStatus::kRunning}, {}});
    if (!sum.ok() || !running.ok()) return "";
    int total = sum.value().total;
    int done = sum.value().count(TaskStatus::kCompleted);
    int failed = sum.value().count(TaskStatus::kFailed);
    const int width = 20;
    int filled = total == 0 ? 0 : done * width / total;
    std::string bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
    std::string s = paint(bar, "32") + " " + std::to_string(done) + "/" + std::to_string(total) + " done";
    if (failed > 0) s += ", " + paint(std::to_string(failed) + " failed", "31");
    const int64_t now = wall_ms();
    std::string tasks;
    for (const auto& t : running.value()) {
      tasks += " " + t.id + "(" + format_duration(std::chrono::milliseconds(now - (t.started_ms > 0 ? t.started_ms : now))) + ")";
      if (tasks.size() > 60) {
        tasks += " …";
        break;
      }
    }
    if (!tasks.empty()) s += " · running" + tasks;
    return s;
  }

  Project& project_;
  std::string epic_;
  bool live_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string status_;
  std::thread ticker_;
};

// The second signal promises an exit within 2 s whatever the store or the
// disk is doing: if the orderly stop has not finished by then, the process
// ends here. That is no worse than a kill: every finished step is recorded,
// and the next run takes this run's tasks back at once.
void exit_soon(std::chrono::milliseconds after) {
  std::thread([after] {
    std::this_thread::sleep_for(after);
    std::cout.flush();
    std::fputs("drover: stopped without waiting any longer; `drover resume` continues\n", stderr);
    std::_Exit(kExitRunIncomplete);
  }).detach();
}

int run(const GlobalOptions& g, const RunArgs& a, bool resume) {
  auto project = open_project(g);
  // Every plugin's own config is checked before anything starts, so a typo in
  // an agent's settings is a usage error now, not a failed attempt later; so
  // are an agent CLI that is not installed and a target branch that is missing.
  check_plugin_configs(*project, PreflightScope::kRunnableTasks);
  RunOptions opts;
  opts.workers = a.workers;
  opts.epic = a.epic;
  opts.on_disk_full = a.on_disk_full == "stop" ? OnDiskFull::kStop : OnDiskFull::kWait;
  opts.wait_for_review = a.wait_for_review;
  ProgressLine progress(*project, a.epic);
  opts.print = [&](const std::string& line) { progress.print(line); };
  TaskStore& store = open_store(*project);
  if (!a.epic.empty()) require_epic(store, a.epic);
  Workspace& workspace = open_workspace(*project);
  // Decided once: the sandbox mode, containment and where the box is; said once.
  std::vector<std::string> announcements;
  auto boxes = make_box_policy(project->config(), &announcements);
  check(boxes.status());
  // Under enforce the kernel keeps agents out of the checkout and the target
  // branch, so a change there is the user's own: only detect looks for them.
  opts.watch_outside_writes = boxes.value().sandbox.mode == SandboxMode::kDetect;
  ProcessAgentRunner agents([&project](const std::string& name) { return project->agent(name); },
                            project->config().log_max_bytes, std::move(boxes.value()));
  SystemClock clock;
  FilesystemSpace disk = disk_space_of(project->config());
  RunLoop loop(EnginePorts{&project->config(), &store, &workspace, &agents, &clock, &disk}, opts);
  // `status --watch` sees this run while it lasts.
  RunPresence presence(project->config().drover_dir());
  // Output to a pipe whose reader went away (`drover run | less`, then q)
  // fails with EPIPE instead of ending drover without its agents' supervisor.
  // Agents start with default signal dispositions, so they still get SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  // Ctrl-C, SIGTERM and SIGHUP (the terminal was closed): the first drains,
  // the second stops the agents, a third exits at once.
  SignalWatcher signals([&](int count) {
    if (count == 1) {
      loop.request_drain();
    } else if (count == 2) {
      loop.request_stop();
      exit_soon(std::chrono::milliseconds(1500));
    } else {
      exit_soon(std::chrono::milliseconds(0));
    }
  });
  int workers = a.workers > 0 ? a.workers : project->config().workers;
  for (const std::string& line : announcements) opts.print(line);
  opts.print(std::string(resume ? "resuming" : "running") + " with up to " + std::to_string(workers) + " worker" +
             (workers == 1 ? "" : "s") + (a.epic.empty() ? "" : " on epic " + a.epic));
  auto result = loop.run();
  progress.stop();
  check(result.status());
  const RunSummary& s = result.value();

  std::cout << "\n" << paint("Summary", "1") << " (" << format_duration(std::chrono::milliseconds(s.duration_ms)) << ")\n";
  std::cout << "  completed: " << s.completed << "   failed: " << s.failed << "   blocked: " << s.blocked;
  if (s.waiting) std::cout << "   waiting: " << s.waiting;
  if (s.stopped) std::cout << "   interrupted: " << s.stopped;
  if (!s.awaiting_review.empty()) std::cout << "   awaiting review: " << s.awaiting_review.size();
  if (s.ready) std::cout << "   not started: " << s.ready;
  if (s.running) std::cout << "   running elsewhere: " << s.running;
  if (s.cancelled) std::cout << "   cancelled: " << s.cancelled;
  std::cout << "\n";
  if (s.cost_usd > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", s.cost_usd);
    std::cout << "  agent cost: $" << buf << "\n";
  }
  if (!s.rounds.empty() || s.verify_runs_on_merge > 0) {
    // The merge queue's work: rounds given back to agents, and verify runs.
    auto count = [&](const char* kind) {
      auto it = s.rounds.find(kind);
      return it == s.rounds.end() ? 0 : it->second;
    };
    auto plural = [](int n, const std::string& what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
    std::cout << "  landing: " << plural(count("resolve"), "resolve round") << ", " << plural(count("fix"), "fix round")
              << ", " << plural(count("redo"), "redo") << " from the tip, "
              << plural(s.verify_runs_on_merge, "verify run") << " on merged results\n";
  }
  for (const auto& [id, why] : s.failures) std::cout << "  " << paint("failed", "31") << " " << id << ": " << escape_control_chars(why) << "\n";
  for (const auto& [id, why] : s.blocked_tasks) std::cout << "  " << paint("blocked", "33") << " " << id << ": " << escape_control_chars(why) << "\n";
  for (const auto& [id, what] : s.awaiting_review)
    std::cout << "  " << paint("review", "36") << " " << id << ": " << escape_control_chars(what) << "\n";
  if (!s.awaiting_review.empty())
    std::cout << "  awaiting your review: `drover show <id>` and `drover diff <id>`, then `drover approve <id>` or "
                 "`drover reject <id> -m \"...\"`; the next `drover run` lands what you approved\n";
  if (!s.stop_reason.empty()) std::cout << "  " << escape_control_chars(s.stop_reason) << "\n";
  if (s.interrupted) std::cout << "  interrupted: run `drover resume` to continue\n";
  return s.all_completed() ? kExitOk : kExitRunIncomplete;
}

}  // namespace

void add_run_commands(CLI::App& app, GlobalOptions& g) {
  for (const char* name : {"run", "resume"}) {
    const bool resume = std::string(name) == "resume";
    auto* args = new RunArgs();
    auto* cmd = app.add_subcommand(name, resume ? "Continue an interrupted run (same as run: recorded steps are not repeated)"
                                                : "Run every ready task with agents until nothing runnable is left");
    cmd->add_option("-w,--workers", args->workers, "agents at once (default: workers in drover.yaml)")
        ->check(CLI::Range(1, 256));
    cmd->add_option("--epic", args->epic, "only tasks of this epic");
    cmd->add_option("--on-disk-full", args->on_disk_full,
                    "when a disk it writes to is full: wait (default; no new work until there is space) or stop")
        ->check(CLI::IsMember({"wait", "stop"}));
    cmd->add_flag("--wait-for-review", args->wait_for_review,
                  "keep running while tasks await review, and land each as soon as it is approved");
    cmd->callback([&g, args, resume] {
      int code = run(g, *args, resume);
      if (code != kExitOk) throw CommandError{code, ""};
    });
  }
}

}  // namespace drover::cli
