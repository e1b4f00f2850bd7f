// Engine benchmark (prints figures; not a test):
//  1. 200 independent tasks, an agent that exits 0 at once (`true` through the
//     exec plugin), a real git repository and SQLite: wall time and per-task
//     orchestration overhead at 1, 4 and 16 workers.
//  2. Ready-to-start latency: chains of tasks; the time from a blocker's
//     completion to its dependent's agent start (p50, p99), from the event log.
//  3. A 10,000-task DAG with a fake VCS: scheduling throughput and peak memory,
//     twice, each in a process of its own (so each peak RSS is its own): with
//     the in-process no-op agent (NoopAgentRunner: no process, no file; what
//     the engine itself costs) and with the exec plugin running `true`.
// Usage: engine_bench [--tasks N] [--dag N] [--skip-dag] [--dag-only] [--dag-agent noop|exec]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include <spdlog/spdlog.h>

#include "command.h"
#include "drover/agent/process_agent_runner.h"
#include "drover/engine/run_loop.h"
#include "drover/engine/workflow_context.h"
#include "drover/project.h"
#include "noop_agent_runner.h"

using namespace drover;
namespace fs = std::filesystem;

namespace {

void sh(const std::vector<std::string>& argv, const fs::path& cwd) {
  auto r = drover::testing::run_command(argv, cwd.string());
  if (r.exit_code != 0) {
    std::cerr << "failed: " << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << ": " << r.err << "\n";
    std::exit(1);
  }
}

fs::path make_project(const std::string& vcs, int workers) {
  fs::path dir = fs::temp_directory_path() / ("drover-bench-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  sh({"git", "init", "-q", "-b", "main"}, dir);
  sh({"git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m", "init"}, dir);
  // What `drover init` does: Drover's own files are not the user's changes.
  std::ofstream(dir / ".git" / "info" / "exclude", std::ios::app) << ".drover/\n";
  std::ofstream(dir / "drover.yaml") << "workers: " << workers << "\ntarget_branch: main\n"
                                     << "storage: { plugin: sqlite }\n"
                                     << "vcs: { plugin: " << vcs << " }\n"
                                     << "plugin_dirs: [\"" << BENCH_FAKE_VCS_DIR << "\"]\n"
                                     << "default_agent: noop\n"
                                     << "agents: { noop: { plugin: exec, config: { command: [\"true\"] } } }\n"
                                     << "author: { name: bench, email: bench@drover.invalid }\n"
                                     // The no-op agent changes nothing and gives no verdict line: done.
                                     << "tasks: { no_changes: complete }\n";
  return dir;
}

std::unique_ptr<Project> open(const fs::path& dir) {
  auto p = Project::load((dir / "drover.yaml").string());
  if (!p.ok()) {
    std::cerr << p.status().message() << "\n";
    std::exit(1);
  }
  return std::move(p.value());
}

template <class T>
T must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::cerr << what << ": " << r.status().message() << "\n";
    std::exit(1);
  }
  return std::move(r.value());
}

std::string add_task(Project& p, const std::string& title, std::vector<std::string> blocked_by = {}) {
  NewTask t;
  t.title = title;
  t.blocked_by = std::move(blocked_by);
  return must(must(p.store(), "store")->create_task(t, now_ms()), "create_task").id;
}

std::vector<TaskEvent> events_of(Project& p, const std::string& id) {
  EventFilter f;
  f.task_id = id;
  return must(must(p.store(), "store")->list_events(f), "list_events");
}

double run(Project& p, int workers, bool noop_agent = false) {
  RunOptions o;
  o.workers = workers;
  ProcessAgentRunner processes([&p](const std::string& name) { return p.agent(name); });
  bench::NoopAgentRunner noop;
  AgentRunner& agents = noop_agent ? static_cast<AgentRunner&>(noop) : processes;
  SystemClock clock;
  RunLoop loop(EnginePorts{&p.config(), must(p.store(), "store"), must(p.workspace(), "workspace"), &agents, &clock}, o);
  auto t0 = std::chrono::steady_clock::now();
  auto s = loop.run();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!s.ok() || !s.value().all_completed()) {
    std::cerr << "run did not complete: " << (s.ok() ? "tasks left" : s.status().message()) << "\n";
    if (s.ok())
      std::cerr << "  completed " << s.value().completed << ", failed " << s.value().failed << ", ready "
                << s.value().ready << ", awaiting review " << s.value().awaiting_review.size()
                << (s.value().failures.empty() ? std::string() : "; " + s.value().failures.front().second) << "\n";
    std::exit(1);
  }
  return secs;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = 200, dag = 10000;
  bool skip_dag = false, dag_only = false;
  std::string dag_agent;  // "": both, each in a child process
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--tasks" && i + 1 < argc) tasks = std::atoi(argv[++i]);
    else if (a == "--dag" && i + 1 < argc) dag = std::atoi(argv[++i]);
    else if (a == "--skip-dag") skip_dag = true;
    else if (a == "--dag-only") dag_only = true;
    else if (a == "--dag-agent" && i + 1 < argc) dag_agent = argv[++i];
  }
  if (!dag_agent.empty() && dag_agent != "noop" && dag_agent != "exec") {
    std::cerr << "--dag-agent: noop or exec\n";
    return 2;
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is known, also into a file
  spdlog::set_level(spdlog::level::warn);

  // The cost of the agent process itself, to subtract from per-task time.
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) sh({"true"}, fs::temp_directory_path());
  double spawn_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 50;

  if (!dag_only) std::printf("== %d independent tasks, no-op agent, git + sqlite ==\n", tasks);
  for (int workers : {1, 4, 16}) {
    if (dag_only) break;
    fs::path dir = make_project("git", workers);
    auto p = open(dir);
    for (int i = 0; i < tasks; ++i) add_task(*p, "task " + std::to_string(i));
    double secs = run(*p, workers);
    // Busy time per task across the workers, less the agent process itself:
    // what Drover spends around each agent run (worktree, commit, merge, store).
    std::printf("workers %2d: %6.2f s total, %6.1f ms per task (wall), %6.1f ms orchestration per task\n", workers, secs,
                secs * 1000 / tasks, secs * 1000 * workers / tasks - spawn_ms);
    fs::remove_all(dir);
  }

  for (const char* vcs : {"git", "fake"}) {
    if (dag_only) break;
    std::printf("\n== ready-to-start latency (blocker completed -> dependent's agent started), 4 chains x 25, %s VCS ==\n", vcs);
    fs::path dir = make_project(vcs, 4);
    auto p = open(dir);
    std::vector<std::pair<std::string, std::string>> edges;
    for (int c = 0; c < 4; ++c) {
      std::string prev;
      for (int i = 0; i < 25; ++i) {
        std::string id = add_task(*p, "chain " + std::to_string(c) + "." + std::to_string(i),
                                  prev.empty() ? std::vector<std::string>{} : std::vector<std::string>{prev});
        if (!prev.empty()) edges.emplace_back(prev, id);
        prev = id;
      }
    }
    run(*p, 4);
    std::vector<double> lat;
    for (const auto& [blocker, dep] : edges) {
      int64_t done = 0, started = 0;
      for (const auto& e : events_of(*p, blocker))
        if (e.kind == "completed") done = e.created_ms;
      for (const auto& e : events_of(*p, dep))
        if (e.kind == "attempt_started" && started == 0) started = e.created_ms;
      lat.push_back(static_cast<double>(started - done));
    }
    std::printf("p50 %.0f ms, p99 %.0f ms, max %.0f ms over %zu edges (event timestamps have 1 ms resolution)\n",
                percentile(lat, 0.5), percentile(lat, 0.99), percentile(lat, 1.0), lat.size());
    fs::remove_all(dir);
  }

  if (!skip_dag && dag_agent.empty()) {
    // Each in a process of its own: peak RSS is per process.
    for (const char* agent : {"noop", "exec"}) {
      std::fflush(stdout);
      pid_t pid = drover::testing::spawn_process({argv[0], "--dag-only", "--dag", std::to_string(dag), "--dag-agent", agent},
                                                 "", {}, 1, 2);
      int status = 0;
      waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    }
  } else if (!skip_dag) {
    const bool noop = dag_agent == "noop";
    std::printf("\n== %d-task DAG, fake VCS, 16 workers, %s ==\n", dag,
                noop ? "in-process no-op agent (no process, no file per attempt)"
                     : "exec agent running `true` (a process and its files per attempt)");
    fs::path dir = make_project("fake", 16);
    auto p = open(dir);
    std::mt19937 rng(7);
    std::vector<std::string> ids;
    auto c0 = std::chrono::steady_clock::now();
    for (int i = 0; i < dag; ++i) {
      std::vector<std::string> deps;
      if (i > 10) {
        for (int d = 0; d < 2; ++d) deps.push_back(ids[rng() % ids.size()]);
        if (deps[0] == deps[1]) deps.pop_back();
      }
      ids.push_back(add_task(*p, "dag " + std::to_string(i), deps));
    }
    double create_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    double secs = run(*p, 16, noop);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    if (noop)
      std::printf("created in %.1f s; ran in %.1f s = %.0f tasks/s; peak RSS %.0f MB\n", create_s, secs, dag / secs,
                  ru.ru_maxrss / 1024.0);
    else
      std::printf("created in %.1f s; ran in %.1f s = %.0f tasks/s (each spawns one `true`, ~%.1f ms); peak RSS %.0f MB\n",
                  create_s, secs, dag / secs, spawn_ms, ru.ru_maxrss / 1024.0);
    fs::remove_all(dir);
  }
  return 0;
}
