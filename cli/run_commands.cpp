// drover run / drover resume.
#include <cstdio>
#include <iostream>
#include <mutex>

#include "cli_support.h"
#include "drover/common/duration.h"
#include "drover/engine/run_loop.h"
#include "drover/engine/signal_watcher.h"

namespace drover::cli {
namespace {

struct RunArgs {
  int workers = 0;
  std::string epic;
};

std::string clock_prefix() {
  std::string t = format_time(wall_ms());
  return t.size() >= 19 ? t.substr(11, 8) : t;
}

int run(const GlobalOptions& g, const RunArgs& a, bool resume) {
  auto project = open_project(g);
  std::mutex out_mu;
  RunOptions opts;
  opts.workers = a.workers;
  opts.epic = a.epic;
  opts.print = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(out_mu);
    std::cout << paint(clock_prefix(), "2") << " " << line << "\n" << std::flush;
  };
  RunLoop loop(*project, opts);
  SignalWatcher signals([&](int count) {
    if (count == 1) loop.request_drain();
    else loop.request_stop();
  });
  int workers = a.workers > 0 ? a.workers : project->config().workers;
  opts.print(std::string(resume ? "resuming" : "running") + " with up to " + std::to_string(workers) + " worker" +
             (workers == 1 ? "" : "s") + (a.epic.empty() ? "" : " on epic " + a.epic));
  auto result = loop.run();
  check(result.status());
  const RunSummary& s = result.value();

  std::cout << "\n" << paint("Summary", "1") << " (" << format_duration(std::chrono::milliseconds(s.duration_ms)) << ")\n";
  std::cout << "  completed: " << s.completed << "   failed: " << s.failed << "   blocked: " << s.blocked;
  if (s.waiting) std::cout << "   waiting: " << s.waiting;
  if (s.ready) std::cout << "   not started: " << s.ready;
  if (s.running) std::cout << "   running elsewhere: " << s.running;
  if (s.cancelled) std::cout << "   cancelled: " << s.cancelled;
  std::cout << "\n";
  if (s.cost_usd > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", s.cost_usd);
    std::cout << "  agent cost: $" << buf << "\n";
  }
  for (const auto& [id, why] : s.failures) std::cout << "  " << paint("failed", "31") << " " << id << ": " << why << "\n";
  for (const auto& [id, why] : s.blocked_tasks) std::cout << "  " << paint("blocked", "33") << " " << id << ": " << why << "\n";
  if (!s.stop_reason.empty()) std::cout << "  " << s.stop_reason << "\n";
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
    cmd->callback([&g, args, resume] {
      int code = run(g, *args, resume);
      if (code != kExitOk) throw CommandError{code, ""};
    });
  }
}

}  // namespace drover::cli
