// Worktree benchmark (prints figures; not a test): `drover run` against the
// pipeline a user would script by hand, side by side in one run, on copies of
// the same repository.
//
//   shell:  per task `git worktree add -b task/tN`, the "agent" writes one file,
//           `git commit`, `flock` + `git merge --no-ff` into main, `git worktree
//           remove`, `git branch -d`; `xargs -P<workers>` runs them.
//   drover: `drover run --workers <workers>`, the exec agent writing one file
//           (the same one), git + SQLite, sandbox off (the shell has none either),
//           once with vcs.config.reuse_worktrees false and once true.
//
// For each repository size (files) the modes run alternately (`--rounds` times),
// each on a fresh copy of one template repository; it prints every wall time,
// the medians and the ratio drover/shell. With --disk it then runs each mode once
// more (untimed) sampling the bytes allocated under the worktree directory, and
// prints the peak (--rounds 0 --disk: only that).
//
// Usage: worktree_bench [--tasks 100] [--workers 4] [--files 2000,20000]
//                       [--rounds 1] [--modes shell,drover,drover-reuse] [--disk] [--keep]
//                       [--dir DIR] [--drover PATH]
//   mode "drover-default" runs drover without a reuse_worktrees key.
//   --dir: where the template, the copies and the worktrees go (default
//   $BENCH_DIR, else the temporary directory); e.g. --dir /dev/shm puts all of
//   it on tmpfs, where creating a file costs every mode alike little.
//   --drover: the drover binary to run (default: the one built with this bench).
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "command.h"

namespace fs = std::filesystem;
using drover::testing::run_command;

namespace {

void must(const std::vector<std::string>& argv, const fs::path& cwd, const std::map<std::string, std::string>& env = {}) {
  auto r = run_command(argv, cwd.string(), env);
  if (r.exit_code != 0) {
    std::cerr << "failed:";
    for (const auto& a : argv) std::cerr << " " << a;
    std::cerr << "\n" << r.err << r.out << "\n";
    std::exit(1);
  }
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);)
    if (!part.empty()) out.push_back(part);
  return out;
}

// A repository of `files` files of ~1 KiB in directories of 100, one commit.
void make_template(const fs::path& repo, int files) {
  fs::create_directories(repo);
  must({"git", "init", "-q", "-b", "main"}, repo);
  must({"git", "config", "user.name", "Bench"}, repo);
  must({"git", "config", "user.email", "bench@drover.invalid"}, repo);
  std::string body;
  for (int l = 0; l < 16; ++l) body += "line " + std::to_string(l) + " of a file that stands in for source code.....\n";
  for (int i = 0; i < files; ++i) {
    fs::path dir = repo / "src" / ("d" + std::to_string(i / 100));
    if (i % 100 == 0) fs::create_directories(dir);
    std::ofstream(dir / ("f" + std::to_string(i) + ".txt")) << "file " << i << "\n" << body;
  }
  std::ofstream(repo / ".gitignore") << "/build/\n";
  must({"git", "add", "-A"}, repo);
  must({"git", "commit", "-q", "-m", "template"}, repo);
}

// Bytes allocated on disk under dir (st_blocks, so sparse and tiny files count as stored).
std::uint64_t allocated_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0) total += static_cast<std::uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

// Samples allocated_bytes(dir) until stopped; keeps the peak.
class DiskSampler {
 public:
  explicit DiskSampler(fs::path dir) : dir_(std::move(dir)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        peak_ = std::max<std::uint64_t>(peak_, allocated_bytes(dir_));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  std::uint64_t stop() {
    stop_ = true;
    thread_.join();
    return peak_;
  }

 private:
  fs::path dir_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> peak_{0};
  std::thread thread_;
};

const char* kPipeline = R"(#!/usr/bin/env bash
# One task of the hand-written pipeline: $1 is the task number.
set -euo pipefail
i=$1; wt="$WT/t$i"; b="task/t$i"
git -C "$REPO" worktree add -q -b "$b" "$wt" main
cd "$wt"
mkdir -p changes && echo "task t$i" > "changes/t$i.txt"
git add -A && git commit -q -m "Task t$i"
flock "$REPO/.git/bench-merge.lock" git -C "$REPO" merge -q --no-ff -m "Merge t$i" "$b"
cd /
git -C "$REPO" worktree remove "$wt"
git -C "$REPO" branch -q -d "$b"
)";

const char* kAgent = R"(#!/usr/bin/env bash
# The bench agent: writes one file and exits.
set -eu
mkdir -p changes && echo "task $DROVER_TASK_ID" > "changes/$DROVER_TASK_ID.txt"
)";

struct Outcome {
  double seconds = 0;
  std::uint64_t peak_bytes = 0;
  int merges = 0;
};

int count_merges(const fs::path& repo) {
  auto r = run_command({"git", "rev-list", "--merges", "--count", "main"}, repo.string());
  return std::atoi(r.out.c_str());
}

Outcome run_shell(const fs::path& root, const fs::path& repo, int tasks, int workers, bool sample) {
  const fs::path wt = repo.string() + "-wt";
  fs::create_directories(wt);
  std::string list;
  for (int i = 1; i <= tasks; ++i) list += std::to_string(i) + "\n";
  std::ofstream(root / "tasks.txt", std::ios::trunc) << list;
  std::optional<DiskSampler> sampler;
  if (sample) sampler.emplace(wt);
  const auto t0 = std::chrono::steady_clock::now();
  must({"bash", "-c", "xargs -P" + std::to_string(workers) + " -n1 bash \"$PIPELINE\" < \"$TASKS\""}, repo,
       {{"REPO", repo.string()}, {"WT", wt.string()}, {"PIPELINE", (root / "pipeline.sh").string()},
        {"TASKS", (root / "tasks.txt").string()}});
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sampler) o.peak_bytes = sampler->stop();
  o.merges = count_merges(repo);
  return o;
}

std::string drover_binary = DROVER_BINARY;

Outcome run_drover(const fs::path& root, const fs::path& repo, int tasks, int workers, const std::string& reuse,
                   bool sample) {
  must({drover_binary, "init"}, repo);
  std::string vcs_config = reuse.empty() ? "" : ", config: { reuse_worktrees: " + reuse + " }";
  std::ofstream(repo / "drover.yaml", std::ios::trunc)
      << "workers: " << workers << "\ntarget_branch: main\nstorage: { plugin: sqlite }\n"
      << "vcs: { plugin: git" << vcs_config << " }\n"
      << "sandbox: off\n"
      << "default_agent: bench\nagents:\n  bench:\n    plugin: exec\n    config:\n"
      << "      command: [\"bash\", \"" << (root / "agent.sh").string() << "\"]\n"
      << "author: { name: Bench, email: bench@drover.invalid }\n";
  for (int i = 1; i <= tasks; ++i) must({drover_binary, "add", "Task " + std::to_string(i)}, repo);
  std::optional<DiskSampler> sampler;
  if (sample) sampler.emplace(repo / ".drover" / "worktrees");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = run_command({drover_binary, "run", "--workers", std::to_string(workers)}, repo.string(), {{"NO_COLOR", "1"}});
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sampler) o.peak_bytes = sampler->stop();
  if (r.exit_code != 0) {
    std::cerr << "drover run failed (" << r.exit_code << "):\n" << r.err.substr(r.err.size() > 4000 ? r.err.size() - 4000 : 0) << "\n";
    std::exit(1);
  }
  std::ofstream(repo.string() + ".run.log") << r.out << r.err;
  o.merges = count_merges(repo);
  return o;
}

// The 1-minute load average (other work on the machine skews the figures).
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

// The kind of filesystem dir is on: file creation costs differ by orders of magnitude.
std::string filesystem_of(const fs::path& dir) {
  struct statfs st {};
  if (::statfs(dir.c_str(), &st) != 0) return "?";
  switch (static_cast<unsigned long>(st.f_type)) {
    case 0x01021994UL: return "tmpfs";
    case 0xEF53UL: return "ext4";
    case 0x9123683EUL: return "btrfs";
    case 0x58465342UL: return "xfs";
    case 0x794C7630UL: return "overlayfs";
    default: return "f_type 0x" + [&] {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%lx", static_cast<unsigned long>(st.f_type));
      return std::string(buf);
    }();
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = 100, workers = 4, rounds = 1;
  std::vector<int> sizes = {2000, 20000};
  std::vector<std::string> modes = {"shell", "drover", "drover-reuse"};
  bool disk = false, keep = false;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--tasks") tasks = std::atoi(next().c_str());
    else if (a == "--workers") workers = std::atoi(next().c_str());
    else if (a == "--rounds") rounds = std::atoi(next().c_str());
    else if (a == "--files") {
      sizes.clear();
      for (auto& s : split(next(), ',')) sizes.push_back(std::atoi(s.c_str()));
    } else if (a == "--modes") modes = split(next(), ',');
    else if (a == "--disk") disk = true;
    else if (a == "--keep") keep = true;
    else if (a == "--dir") dir = next();
    else if (a == "--drover") drover_binary = next();
    else {
      std::cerr << "usage: worktree_bench [--tasks N] [--workers N] [--files N,M] [--rounds N] "
                   "[--modes shell,drover,drover-reuse,drover-default] [--disk] [--keep] [--dir DIR] [--drover PATH]\n";
      return 2;
    }
  }
  const char* tmp = std::getenv("BENCH_DIR");
  if (dir.empty()) dir = tmp ? tmp : fs::temp_directory_path().string();
  const fs::path root = fs::path(dir) /
                        ("drover-wt-bench-" + std::to_string(std::random_device{}()));
  fs::create_directories(root);
  std::ofstream(root / "pipeline.sh") << kPipeline;
  std::ofstream(root / "agent.sh") << kAgent;
  std::printf("worktree bench: %d tasks, %d workers, in %s (%s), load average %s\n", tasks, workers, root.c_str(),
              filesystem_of(root).c_str(), load_average().c_str());

  auto reuse_of = [](const std::string& mode) -> std::string {
    if (mode == "drover") return "false";
    if (mode == "drover-reuse") return "true";
    return "";  // drover-default
  };
  int copy = 0;
  auto run_mode = [&](const fs::path& tmpl, const std::string& mode, bool sample) {
    const fs::path repo = root / ("run" + std::to_string(++copy));
    must({"cp", "-a", tmpl.string(), repo.string()}, root);
    Outcome o = mode == "shell" ? run_shell(root, repo, tasks, workers, sample)
                                : run_drover(root, repo, tasks, workers, reuse_of(mode), sample);
    if (o.merges != tasks) {
      std::cerr << mode << ": " << o.merges << " merges on main, expected " << tasks << " (" << repo << ")\n";
      std::exit(1);
    }
    if (!keep) {
      fs::remove_all(repo);
      fs::remove_all(repo.string() + "-wt");
    }
    return o;
  };

  for (int files : sizes) {
    const fs::path tmpl = root / ("template-" + std::to_string(files));
    make_template(tmpl, files);
    std::printf("\n== %d files ==\n", files);
    std::map<std::string, std::vector<double>> times;
    for (int r = 1; r <= rounds; ++r)
      for (const auto& mode : modes) {
        Outcome o = run_mode(tmpl, mode, false);
        times[mode].push_back(o.seconds);
        std::printf("round %d %-15s %8.2f s  (load average %s)\n", r, mode.c_str(), o.seconds, load_average().c_str());
        std::fflush(stdout);
      }
    if (rounds > 0) std::printf("median:");
    for (const auto& mode : modes)
      if (rounds > 0) std::printf("  %s %.2f s", mode.c_str(), median(times[mode]));
    if (rounds > 0) std::printf("\n");
    if (rounds > 0 && times.count("shell"))
      for (const auto& mode : modes)
        if (mode != "shell")
          std::printf("ratio %s/shell = %.2f\n", mode.c_str(), median(times[mode]) / median(times["shell"]));
    if (disk) {
      for (const auto& mode : modes) {
        Outcome o = run_mode(tmpl, mode, true);
        std::printf("peak worktree bytes %-15s %10.1f MiB  (run took %.2f s while sampled)\n", mode.c_str(),
                    o.peak_bytes / 1048576.0, o.seconds);
        std::fflush(stdout);
      }
    }
    if (!keep) fs::remove_all(tmpl);
  }
  if (!keep) fs::remove_all(root);
  return 0;
}
