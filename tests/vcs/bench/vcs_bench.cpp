// vcs_bench: per-task cost of "create worktree + commit a small change + merge"
// through the VCS plugin (libgit2, in-process) versus the git CLI
// (`git worktree add`, `git add -A && git commit`, `git merge --no-ff`), on a
// repository with 5,000 files. Not a test: it prints figures.
//
//   vcs_bench [--files N] [--tasks M]     (defaults: 5000 files, 20 tasks)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using Clock = std::chrono::steady_clock;
using V = drover_vcs_vtable_v1;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Phases {
  std::vector<double> worktree, commit, merge, total;
};

void build_repo(const fs::path& dir, int files) {
  fs::create_directories(dir);
  git(dir, {"init", "-q", "-b", "main"});
  git(dir, {"config", "user.name", "Bench"});
  git(dir, {"config", "user.email", "bench@example.com"});
  for (int i = 0; i < files; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "src/d%03d/file%05d.txt", i / 50, i);
    std::string text;
    for (int line = 0; line < 20; ++line) text += "file " + std::to_string(i) + " line " + std::to_string(line) + "\n";
    write_file(dir / name, text);
  }
  git(dir, {"add", "-A"});
  git(dir, {"commit", "-q", "-m", "initial"});
}

fs::path changed_file(int task) {
  char name[64];
  std::snprintf(name, sizeof name, "src/d%03d/file%05d.txt", task % 100, (task % 100) * 50 + task / 100);
  return name;
}

void plugin_task(const VcsClient& vcs, const fs::path& repo, int t, Phases& p) {
  const std::string id = "bench-" + std::to_string(t);
  auto start = Clock::now();
  vcs.prepare(id);
  p.worktree.push_back(ms_since(start));
  auto phase = Clock::now();
  write_file(worktree_of(repo, id) / changed_file(t), "changed by " + id + "\n");
  vcs.commit(id, "Task " + id + "\n\nDrover-Task: " + id + "\n");
  p.commit.push_back(ms_since(phase));
  phase = Clock::now();
  json m = vcs.merge(id, "main", "merge");
  if (m["result"] != "merged") std::fprintf(stderr, "plugin merge of %s: %s\n", id.c_str(), m.dump().c_str());
  p.merge.push_back(ms_since(phase));
  p.total.push_back(ms_since(start));
}

void cli_task(const fs::path& repo, int t, Phases& p) {
  const std::string id = "bench-" + std::to_string(t);
  const fs::path wt = repo / ".cli-worktrees" / id;
  auto start = Clock::now();
  git(repo, {"worktree", "add", "-q", "-b", "cli/" + id, wt.string(), "main"});
  p.worktree.push_back(ms_since(start));
  auto phase = Clock::now();
  write_file(wt / changed_file(t), "changed by " + id + "\n");
  git(wt, {"add", "-A"});
  git(wt, {"commit", "-q", "-m", "Task " + id + "\n\nDrover-Task: " + id + "\n"});
  p.commit.push_back(ms_since(phase));
  phase = Clock::now();
  git(repo, {"merge", "-q", "--no-ff", "-m", "Merge " + id, "cli/" + id});
  p.merge.push_back(ms_since(phase));
  p.total.push_back(ms_since(start));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

void row(const char* phase, const std::vector<double>& plugin, const std::vector<double>& cli) {
  std::printf("%-16s %10.1f %10.1f   %10.1f %10.1f   %6.2fx\n", phase, median(plugin), mean(plugin), median(cli),
              mean(cli), median(plugin) / median(cli));
}

}  // namespace
}  // namespace drover::vcs_tests

int main(int argc, char** argv) {
  using namespace drover::vcs_tests;
  int files = 5000, tasks = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--files") == 0) files = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--tasks") == 0) tasks = std::atoi(argv[i + 1]);
  }
  TempDir tmp;
  const fs::path plugin_repo = tmp.path() / "plugin";
  const fs::path cli_repo = tmp.path() / "cli";
  std::printf("building two repositories with %d files...\n", files);
  build_repo(plugin_repo, files);
  build_repo(cli_repo, files);
  // Tasks alternate between the two sides (and which goes first), so both see
  // the same machine load; each side works on its own identical repository.
  Phases cli, plugin;
  {
    VcsClient vcs(plugin_repo);
    for (int t = 0; t < tasks; ++t) {
      if (t % 2 == 0) {
        plugin_task(vcs, plugin_repo, t, plugin);
        cli_task(cli_repo, t, cli);
      } else {
        cli_task(cli_repo, t, cli);
        plugin_task(vcs, plugin_repo, t, plugin);
      }
    }
  }
  std::printf("\n%d tasks, %d files; times in ms per task (main checked out, merge = --no-ff)\n", tasks, files);
  std::printf("%-16s %10s %10s   %10s %10s   %7s\n", "phase", "plugin med", "plugin avg", "git med", "git avg",
              "ratio");
  row("create worktree", plugin.worktree, cli.worktree);
  row("commit", plugin.commit, cli.commit);
  row("merge", plugin.merge, cli.merge);
  row("total", plugin.total, cli.total);
  std::printf("(ratio = plugin median / git CLI median; < 1 means the plugin is faster)\n");
  bool same = git(plugin_repo, {"rev-list", "--count", "main"}) == git(cli_repo, {"rev-list", "--count", "main"});
  std::printf("history sizes match: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
