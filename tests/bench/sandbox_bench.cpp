// sandbox_bench: what drover-agent-box costs per attempt. Starts /bin/true N
// times (default 200) through the ProcessRunner: bare, in the box, in the box
// with the Landlock sandbox, and in the box with the sandbox and a cgroup, each
// including the host's work before and after (prepare_boxed_attempt: marker,
// paths, cgroup; finish_boxed_attempt: report, sweep, cleanup). Prints the
// mean and median milliseconds per attempt; not a test.
//   sandbox_bench [iterations]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "drover/process/process_runner.h"
#include "drover/sandbox/attempt_box.h"
#include "drover/sandbox/attempt_cgroup.h"
#include "drover/sandbox/landlock.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Figures {
  double mean = 0, median = 0;
};

template <class Attempt>
Figures measure(int n, Attempt attempt) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    auto start = Clock::now();
    attempt();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  Figures f;
  for (double m : ms) f.mean += m;
  f.mean /= n;
  f.median = ms[ms.size() / 2];
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 200;
  auto box = drover::locate_agent_box();
  if (!box.ok()) {
    std::fprintf(stderr, "%s\n", box.status().message().c_str());
    return 1;
  }
  const fs::path dir = fs::temp_directory_path() / ("drover-sandbox-bench-" + std::to_string(::getpid()));
  const fs::path worktree = dir / "worktree";
  fs::create_directories(worktree);
  drover::ProcessRunner runner;
  auto run = [&](const std::vector<std::string>& wrapper, const std::map<std::string, std::string>& env) {
    drover::ProcessSpec spec;
    spec.argv = {"/bin/true"};
    spec.env = env;
    spec.cwd = worktree.string();
    spec.wrapper = wrapper;
    auto r = runner.run(spec, {});
    if (!r.ok() || r.value().exit_code != 0) {
      std::fprintf(stderr, "run failed\n");
      std::exit(1);
    }
  };
  auto boxed = [&](const drover::BoxSettings& settings) {
    return [&, settings] {
      auto a = drover::prepare_boxed_attempt(settings, "bench.1", worktree.string(), (dir / "1.box.json").string(), {});
      if (!a.ok()) {
        std::fprintf(stderr, "%s\n", a.status().message().c_str());
        std::exit(1);
      }
      run(a.value().wrapper, a.value().env);
      drover::finish_boxed_attempt(a.value(), settings);
    };
  };
  drover::BoxSettings contained;
  contained.box_path = box.value();
  contained.project_root = (dir / "project").string();
  drover::BoxSettings sandboxed = contained;
  sandboxed.landlock_abi = drover::landlock_abi_version();
  drover::BoxSettings with_cgroup = sandboxed;
  std::string why;
  with_cgroup.cgroup_parent = drover::attempt_cgroup_parent(&why);

  std::printf("sandbox_bench: %d attempts of /bin/true each (ms per attempt, host work included)\n", n);
  auto print = [](const char* what, Figures f, Figures base) {
    std::printf("  %-44s mean %6.2f  median %6.2f  (+%.2f over bare)\n", what, f.mean, f.median, f.median - base.median);
  };
  Figures bare = measure(n, [&] { run({}, {}); });
  print("bare (own process group only)", bare, bare);
  print("box: subreaper, marker, sweep", measure(n, boxed(contained)), bare);
  if (sandboxed.landlock_abi > 0) {
    print(("box + Landlock ABI " + std::to_string(sandboxed.landlock_abi)).c_str(), measure(n, boxed(sandboxed)), bare);
  } else {
    std::printf("  box + Landlock: not measured, no Landlock here\n");
  }
  if (!with_cgroup.cgroup_parent.empty()) {
    print("box + Landlock + cgroup per attempt", measure(n, boxed(with_cgroup)), bare);
  } else {
    std::printf("  box + cgroup: not measured (%s)\n", why.c_str());
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
