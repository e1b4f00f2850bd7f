// Landings per minute with 1, 2, 3 ... executors on one project: each executor
// a `drover run` in its own clone, all sharing one PostgreSQL store and one git
// remote (a real `git daemon` on 127.0.0.1, vcs.config.remote), an agent that
// writes one file and exits. Prints, per executor count, the wall time of the
// whole run, landings per minute, and the compare-and-swap retries (a landing
// built on a tip another executor moved first). Checks that every task landed
// exactly once on the remote. A program that prints figures, not a test.
//
//   multi_machine_bench [--tasks 60] [--executors 1,2,3] [--workers 2] [--url postgresql://...] [--netns]
//   (the URL defaults to $DROVER_TEST_POSTGRES_URL)
//
// --netns (root): each executor in a network namespace of its own, under its
// own host name, reaching PostgreSQL (a cluster of the bench's own) and the
// git daemon in a server namespace over veth links (tests/support/netns_lab.h)
// instead of over loopback; --url is not used then.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "command.h"
#include "git_daemon.h"
#include "landed_tasks.h"
#include "netns_lab.h"
#include "netns_servers.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using drover::testing::CommandResult;
using drover::testing::run_command;

namespace {

// Thrown, not exited, so a network lab and temporary directories are cleaned up.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void die(const std::string& why) { throw BenchFailure(why); }

CommandResult must(const std::vector<std::string>& argv, const std::string& cwd) {
  CommandResult r = run_command(argv, cwd, {{"GIT_CONFIG_NOSYSTEM", "1"}, {"NO_COLOR", "1"}});
  if (r.exit_code != 0) die(argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " failed in " + cwd + ": " + r.err + r.out);
  return r;
}

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

struct Figures {
  double wall_s = 0;
  int retries = 0;
  int landed_once = 0;
  int exit_failures = 0;
};

// Where the executors run: on this host over loopback, or each in a network
// namespace of its own (lab set).
struct Placement {
  drover::testing::NetnsLab* lab = nullptr;
  std::vector<std::string> on(int executor, const std::vector<std::string>& argv) const {
    return lab ? lab->on_machine(executor + 1, argv) : argv;
  }
};

Figures run_once(int executors, int tasks, int workers, std::string url, bool netns) {
  drover::testing::TempDir tmp("drover-multi-bench-");
  const fs::path seed = tmp.path() / "seed";
  fs::create_directories(seed);
  must({"git", "init", "-q", "-b", "main"}, seed);
  must({"git", "config", "user.name", "Bench"}, seed);
  must({"git", "config", "user.email", "bench@drover.invalid"}, seed);
  std::ofstream(seed / "README.md") << "# bench\n";
  must({"git", "add", "README.md"}, seed);
  must({"git", "commit", "-q", "-m", "Initial commit"}, seed);
  const fs::path served = tmp.path() / "served";
  must({"git", "clone", "-q", "--bare", seed.string(), (served / "shared.git").string()}, tmp.path());
  std::optional<drover::testing::NetnsLab> lab;
  std::optional<drover::testing::GitDaemon> daemon;
  std::optional<drover::testing::LabPostgres> lab_postgres;
  std::optional<drover::testing::LabGitDaemon> lab_daemon;
  std::string remote;
  if (netns) {
    lab.emplace(executors);
    // Not under tmp (mode 0700): the cluster runs as the postgres user.
    lab_postgres.emplace(*lab, fs::temp_directory_path() / ("drover-multi-bench-pg-" + std::to_string(::getpid())),
                         std::string(DROVER_SOURCE_DIR) + "/scripts");
    url = drover::testing::LabPostgres::url();
    lab_daemon.emplace(*lab, served.string(), "shared.git");
    remote = drover::testing::LabGitDaemon::url("shared.git");
  } else {
    daemon.emplace(served);
    remote = daemon->url("shared.git");
  }
  const Placement place{lab ? &*lab : nullptr};

  std::random_device rd;
  const std::string schema = "bench_multi_" + std::to_string(rd() % 1000000);
  std::vector<fs::path> clones;
  for (int e = 0; e < executors; ++e) {
    const fs::path c = tmp.path() / ("machine-" + std::to_string(e));
    must({"git", "clone", "-q", (served / "shared.git").string(), c.string()}, tmp.path());
    must({"git", "remote", "set-url", "origin", remote}, c);
    must({"git", "config", "user.name", "Bench"}, c);
    must({"git", "config", "user.email", "bench@drover.invalid"}, c);
    must({DROVER_BINARY, "init"}, c);
    std::ofstream(c / "drover.yaml")
        << "workers: " << workers << "\n"
        << "target_branch: main\n"
        << "storage: { plugin: postgres, config: { url: \"" << url << "\", schema: " << schema << " } }\n"
        << "vcs: { plugin: git, config: { remote: origin } }\n"
        << "default_agent: instant\n"
        << "agents:\n"
        << "  instant:\n"
        << "    plugin: exec\n"
        << "    config:\n"
        << "      command: [\"bash\", \"-c\", \"echo \\\"$DROVER_TASK_ID\\\" > \\\"task-$DROVER_TASK_ID.txt\\\"\"]\n"
        << "tasks: { timeout: 2m, max_attempts: 3, backoff: { initial: 100ms, max: 500ms } }\n";
    clones.push_back(c);
  }
  for (int i = 0; i < tasks; ++i) must(place.on(0, {DROVER_BINARY, "add", "Task " + std::to_string(i + 1)}), clones[0]);

  std::vector<pid_t> pids;
  std::vector<fs::path> logs;
  const auto start = std::chrono::steady_clock::now();
  for (int e = 0; e < executors; ++e) {
    logs.push_back(tmp.path() / ("run-" + std::to_string(e) + ".log"));
    int fd = ::open(logs.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pids.push_back(drover::testing::spawn_process(place.on(e, {DROVER_BINARY, "run"}), clones[e].string(), {{"NO_COLOR", "1"}}, fd, fd));
    ::close(fd);
  }
  Figures f;
  for (pid_t p : pids) {
    int st = 0;
    ::waitpid(p, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ++f.exit_failures;
  }
  f.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& l : logs) {
    std::ifstream in(l);
    std::stringstream ss;
    ss << in.rdbuf();
    f.retries += count_of(ss.str(), "moved while landing");
    if (f.exit_failures > 0) std::cerr << "--- " << l << "\n" << ss.str();
  }
  for (const auto& [task, n] : drover::testing::landed_tasks((served / "shared.git").string())) f.landed_once += n == 1;
  return f;
}

}  // namespace

int run_bench(int argc, char** argv) {
  int tasks = 60, workers = 2;
  bool netns = false;
  std::vector<int> counts = {1, 2, 3};
  std::string url = std::getenv("DROVER_TEST_POSTGRES_URL") ? std::getenv("DROVER_TEST_POSTGRES_URL") : "";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--tasks") tasks = std::stoi(next());
    else if (a == "--workers") workers = std::stoi(next());
    else if (a == "--url") url = next();
    else if (a == "--netns") netns = true;
    else if (a == "--executors") {
      counts.clear();
      std::stringstream ss(next());
      for (std::string n; std::getline(ss, n, ',');) counts.push_back(std::stoi(n));
    } else die("unknown argument " + a + " (see the comment at the top of multi_machine_bench.cpp)");
  }
  if (netns) {
    if (std::string why = drover::testing::NetnsLab::unavailable_reason(); !why.empty()) die("--netns " + why);
  } else if (url.empty()) {
    die("no PostgreSQL: pass --url or set DROVER_TEST_POSTGRES_URL");
  }
  std::cout << "multi_machine_bench: " << tasks << " independent tasks, instant agent, " << workers
            << " workers per executor, one PostgreSQL, one git remote ("
            << (netns ? "both in a server network namespace, each executor in its own, over veth links"
                      : "git daemon on 127.0.0.1")
            << ")\n";
  std::cout << "executors  wall_s  landings/min  cas_retries  landed_once  failed_runs\n";
  for (int e : counts) {
    Figures f = run_once(e, tasks, workers, url, netns);
    std::printf("%9d  %6.1f  %12.1f  %11d  %6d/%-4d  %11d\n", e, f.wall_s, tasks / f.wall_s * 60.0, f.retries,
                f.landed_once, tasks, f.exit_failures);
    std::fflush(stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run_bench(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "multi_machine_bench: " << e.what() << "\n";
    return 2;
  }
}
