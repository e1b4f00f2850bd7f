// Merge-queue benchmark (prints figures; not a test):
//  1. Verify runs to land 16 finished tasks with 0, 1 and 2 culprits (tasks
//     whose merge fails verify) at merge.batch 1, 4 and 8 — the engine's
//     landing queue against the in-memory fakes, so the counts are exact.
//  2. 16 tasks whose agent appends a line to the same file, 4 workers, a real
//     git repository and SQLite: agent runs and wall time with resolve rounds
//     (merge.max_rounds: 16) against redo-from-scratch (max_rounds: 0), and
//     with merge.overlap hold against ignore (tasks declare `--touches
//     shared.txt`), measured side by side in one run.
// Usage: merge_queue_bench [--skip-real]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "collide_config.h"
#include "command.h"
#include "drover/engine/task_workflow.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_workspace.h"
#include "fakes/memory_task_store.h"
#include "fakes/scripted_agent_runner.h"

using namespace drover;
namespace fs = std::filesystem;

namespace {

// The engine's ports, in memory.
struct FakeEngine {
  FakeEngine() {
    config.project_root = "/nonexistent/drover-merge-queue-bench";
    config.target_branch = "main";
  }
  EnginePorts ports() { return EnginePorts{&config, &store, &workspace, &agents, &clock, nullptr}; }
  Config config;
  drover::testing::MemoryTaskStore store;
  drover::testing::FakeWorkspace workspace;
  drover::testing::ScriptedAgentRunner agents;
  drover::testing::FakeClock clock;
};

int verify_runs(int batch, const std::vector<std::string>& culprits) {
  FakeEngine e;
  e.config.verify = VerifyConfig{{"make", "test"}, std::chrono::minutes(1)};
  e.config.merge.batch = batch;
  e.agents.verify_rule = [&](const VerifyRequest& r) {
    for (const auto& c : culprits)
      for (const auto& k : drover::testing::FakeWorkspace::keys_in(r.worktree))
        if (k == c) return false;
    return true;
  };
  std::vector<LandingRequest> requests;
  for (int i = 1; i <= 16; ++i) {
    const std::string id = "t" + std::to_string(i);
    WorktreeKey key{id, 1};
    (void)e.workspace.prepare(key, "main");
    (void)e.workspace.commit(key, CommitRequest{"m", "", ""});
    requests.push_back(LandingRequest{key, "Task " + id, 1, "Merge " + id, "/dev/null"});
  }
  EngineContext ctx;
  static_cast<EnginePorts&>(ctx) = e.ports();
  ctx.target_branch = "main";
  ctx.landing.land_together(requests);
  return ctx.landing.verify_runs();
}

struct RealRun {
  int agent_runs = 0, resolves = 0, work = 0, exit_code = -1;
  double seconds = 0;
};

void must(const std::vector<std::string>& argv, const fs::path& cwd) {
  auto r = drover::testing::run_command(argv, cwd.string());
  if (r.exit_code != 0) {
    std::cerr << "failed: " << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << ": " << r.err << r.out << "\n";
    std::exit(1);
  }
}

RealRun collide(const fs::path& root, const std::string& name, int max_rounds, bool hold) {
  const fs::path dir = root / name, repo = dir / "repo";
  fs::create_directories(repo);
  must({"git", "init", "-q", "-b", "main"}, repo);
  must({"git", "config", "user.name", "Bench"}, repo);
  must({"git", "config", "user.email", "bench@drover.invalid"}, repo);
  std::ofstream(repo / "shared.txt") << "start\n";
  must({"git", "add", "shared.txt"}, repo);
  must({"git", "commit", "-q", "-m", "start"}, repo);
  must({DROVER_BINARY, "init"}, repo);
  std::ofstream(repo / "drover.yaml", std::ios::trunc)
      << drover::testing::collide_config(COLLIDE_AGENT, dir.string(), 4,
                                         "tasks: { max_attempts: 16, backoff: { initial: 10ms, max: 50ms } }\n"
                                         "merge: { max_rounds: " + std::to_string(max_rounds) +
                                             ", overlap: " + (hold ? "hold" : "ignore") + " }\n");
  for (int i = 1; i <= 16; ++i)
    must({DROVER_BINARY, "add", "Append line " + std::to_string(i), "--touches", "shared.txt"}, repo);
  const auto start = std::chrono::steady_clock::now();
  auto r = drover::testing::run_command({DROVER_BINARY, "run"}, repo.string(), {{"NO_COLOR", "1"}});
  RealRun out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.exit_code = r.exit_code;
  std::ifstream runs(dir / "runs");
  for (std::string line; std::getline(runs, line);) {
    ++out.agent_runs;
    out.resolves += line.find(" resolve") != std::string::npos;
    out.work += line.find(" work") != std::string::npos;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bool real = true;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--skip-real") real = false;

  std::printf("1. verify runs to land 16 tasks (landing queue, fakes)\n");
  std::printf("   %-8s %12s %12s %12s\n", "batch", "0 culprits", "1 culprit", "2 culprits");
  for (int batch : {1, 4, 8})
    std::printf("   %-8d %12d %12d %12d\n", batch, verify_runs(batch, {}), verify_runs(batch, {"t7"}),
                verify_runs(batch, {"t3", "t12"}));
  if (!real) return 0;

  std::printf("\n2. 16 tasks appending to one file, 4 workers (real git, exec agent)\n");
  const fs::path root = fs::temp_directory_path() / ("drover-mq-bench-" + std::to_string(std::random_device{}()));
  struct Case {
    const char* name;
    int max_rounds;
    bool hold;
  };
  const Case cases[] = {{"resolve-ignore", 16, false}, {"redo-ignore", 0, false}, {"resolve-hold", 16, true},
                        {"redo-hold", 0, true}};
  std::printf("   %-16s %6s %11s %11s %11s %9s\n", "case", "exit", "agent runs", "work runs", "resolves", "wall s");
  for (const Case& c : cases) {
    RealRun r = collide(root, c.name, c.max_rounds, c.hold);
    std::printf("   %-16s %6d %11d %11d %11d %9.2f\n", c.name, r.exit_code, r.agent_runs, r.work, r.resolves, r.seconds);
  }
  fs::remove_all(root);
  return 0;
}
