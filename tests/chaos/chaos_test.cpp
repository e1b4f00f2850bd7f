// Chaos: `drover run` killed with SIGKILL at random moments, again and again,
// and resumed each time. At the end every task is completed and merged exactly
// once, no merge is duplicated, no worktree is left, and the store agrees.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "collide_config.h"
#include "e2e_project.h"

namespace drover::testing {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

void run_chaos(E2EProject& p, int tasks, int kills, unsigned seed) {
  std::mt19937 rng(seed);
  // A random DAG: each task may depend on up to two earlier ones.
  std::vector<std::string> ids;
  for (int i = 0; i < tasks; ++i) {
    std::vector<std::string> args{"Chaos task " + std::to_string(i)};
    std::string deps;
    for (int d = 0; d < 2 && i > 0; ++d) {
      if (rng() % 3 == 0) continue;
      std::string dep = ids[rng() % ids.size()];
      if (deps.find(dep) == std::string::npos) deps += (deps.empty() ? "" : ",") + dep;
    }
    if (!deps.empty()) {
      args.push_back("--blocked-by");
      args.push_back(deps);
    }
    ids.push_back(p.add(args));
  }

  int killed = 0, finished_early = 0;
  while (killed < kills) {
    const std::string log = p.dir() + "/run-" + std::to_string(killed + finished_early) + ".out";
    int fd = open(log.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    pid_t pid = spawn_process({DROVER_BINARY, killed == 0 ? "run" : "resume", "--workers", "4"}, p.repo(),
                              {{"NO_COLOR", "1"}}, fd, fd);
    close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 500));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      ++finished_early;  // the run ended before we could kill it
      std::ifstream in(log);
      std::stringstream out;
      out << in.rdbuf();
      std::cerr << "chaos: a run ended by itself with status " << WEXITSTATUS(status) << ":\n" << out.str();
      if (finished_early > 3) break;
      continue;
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ++killed;
  }
  std::cerr << "chaos: " << killed << " kills with SIGKILL, " << finished_early << " runs ended by themselves\n";
  // Every planned kill landed, or the work was done first: once every task
  // is complete each resume ends by itself, within the kill window (with a
  // fast engine that can come before the last planned kill). Either way,
  // most kills must have landed while there was work to cut short.
  EXPECT_TRUE(killed >= kills || finished_early > 3) << killed << " kills, " << finished_early << " runs ended early";
  EXPECT_GE(killed, kills / 2) << "too few kills landed before the work was done";

  auto final_run = p.drover({"resume", "--workers", "4"});
  EXPECT_EQ(final_run.exit_code, 0) << final_run.out << final_run.err;

  // Every task completed, in the store.
  auto states = p.task_states();
  EXPECT_EQ(states.size(), static_cast<size_t>(tasks));
  for (const auto& [id, st] : states) EXPECT_EQ(st, "completed") << id;
  // Each task's commit is on main exactly once, and merged exactly once.
  auto merged = p.merged_task_commits();
  for (const auto& id : ids) {
    EXPECT_EQ(merged[id], 1) << id;
    EXPECT_TRUE(std::filesystem::exists(p.repo() + "/changes/" + id + ".txt")) << id;
  }
  auto merges = p.git({"log", "main", "--merges", "--format=%s"});
  for (const auto& id : ids) {
    size_t count = 0, pos = 0;
    const std::string needle = "Merge task " + id + ":";
    while ((pos = merges.out.find(needle, pos)) != std::string::npos) {
      ++count;
      pos += needle.size();
    }
    EXPECT_EQ(count, 1u) << "merges of " << id;
  }
  // No worktree or task branch is left; the user's checkout is clean.
  auto wts = p.git({"worktree", "list", "--porcelain"});
  size_t worktrees = 0, pos = 0;
  while ((pos = wts.out.find("worktree ", pos)) != std::string::npos) {
    ++worktrees;
    pos += 9;
  }
  EXPECT_EQ(worktrees, 1u) << wts.out;
  EXPECT_EQ(p.git({"branch", "--list", "drover/*"}).out, "");
  EXPECT_EQ(p.git({"status", "--porcelain", "--untracked-files=no"}).out, "");
  // The event log records each completion once.
  for (const auto& id : ids) {
    auto info = p.drover({"info", id, "--json"});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    int completions = 0;
    const json parsed = json::parse(info.out);  // kept alive for the loop
    for (const auto& e : parsed["events"])
      if (e["kind"] == "completed") ++completions;
    EXPECT_EQ(completions, 1) << id;
  }
}

// Every task appends to one file, so landings conflict and go through resolve
// rounds; a verify gate on the merged result and batches of 4: drover killed
// mid-verify, mid-batch, mid-bisect, mid-resolution, and resumed.
TEST(Chaos, KilledWhileLandingCollidingTasksInBatches) {
  E2EProject p("", 4);
  std::ofstream(p.repo() + "/shared.txt") << "start\n";
  p.git({"add", "shared.txt"});
  p.git({"commit", "-q", "-m", "shared file"});
  std::ofstream(p.repo() + "/drover.yaml", std::ios::trunc)
      << collide_config(std::string(DROVER_SOURCE_DIR) + "/tests/e2e/collide_agent.sh", p.dir(), 4,
                        "tasks: { timeout: 2m, max_attempts: 3, backoff: { initial: 100ms, max: 500ms } }\n"
                        "merge: { batch: 4, max_rounds: 20 }\n"
                        "verify: { command: [\"bash\", \"-c\", \"sleep 0.2; ! grep -q '^<<<<<<<' shared.txt\"] }\n");
  const int tasks = env_int("DROVER_CHAOS_LANDING_TASKS", 12);
  std::vector<std::string> ids;
  for (int i = 0; i < tasks; ++i) ids.push_back(p.add({"Append line " + std::to_string(i)}));
  std::mt19937 rng(std::random_device{}());
  const int kills = env_int("DROVER_CHAOS_KILLS", 20) / 2;
  for (int killed = 0; killed < kills; ++killed) {
    const std::string log = p.dir() + "/run-" + std::to_string(killed) + ".out";
    int fd = open(log.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    pid_t pid = spawn_process({DROVER_BINARY, killed == 0 ? "run" : "resume"}, p.repo(), {{"NO_COLOR", "1"}}, fd, fd);
    close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 800));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;  // finished before the kill
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  auto final_run = p.drover({"resume"});
  EXPECT_EQ(final_run.exit_code, 0) << final_run.out << final_run.err;
  for (const auto& [id, st] : p.task_states()) EXPECT_EQ(st, "completed") << id;
  // Each task's line is on main exactly once, with no marker left.
  const std::string shared = p.git({"show", "main:shared.txt"}).out;
  for (const auto& id : ids) {
    size_t count = 0;
    std::istringstream in(shared);
    for (std::string line; std::getline(in, line);) count += line == id;
    EXPECT_EQ(count, 1u) << id << " in:\n" << shared;
  }
  EXPECT_EQ(shared.find("<<<<<<<"), std::string::npos) << shared;
  // Each task landed once: one merge of it on main's first-parent line.
  const std::string merges = p.git({"log", "main", "--first-parent", "--merges", "--format=%s"}).out;
  for (const auto& id : ids) {
    size_t count = 0, pos = 0;
    const std::string needle = "Merge task " + id + ":";
    while ((pos = merges.find(needle, pos)) != std::string::npos) {
      ++count;
      pos += needle.size();
    }
    EXPECT_EQ(count, 1u) << "merges of " << id << " in:\n" << merges;
  }
  EXPECT_EQ(p.git({"worktree", "list", "--porcelain"}).out.find(".drover/worktrees"), std::string::npos)
      << p.git({"worktree", "list"}).out;
  EXPECT_EQ(p.git({"branch", "--list", "drover/*"}).out, "");
  EXPECT_EQ(p.git({"status", "--porcelain", "--untracked-files=no"}).out, "");
}

TEST(Chaos, KilledAndResumedRepeatedlySqlite) {
  E2EProject p("", 4, "", ", E2E_SLEEP_MS: \"1000\"");
  run_chaos(p, env_int("DROVER_CHAOS_TASKS", 30), env_int("DROVER_CHAOS_KILLS", 20), std::random_device{}());
}

// Recycled worktrees (vcs.config.reuse_worktrees, the default) in a repository
// large enough that moving a pooled worktree to a new base, putting one into
// the pool and checking one out take a while: kills land in the middle of
// them. Besides everything run_chaos checks, nothing half-moved is left and
// the pool stays within its bound.
TEST(Chaos, KilledWhileRecyclingWorktrees) {
  E2EProject p("", 4, "", ", E2E_SLEEP_MS: \"50\"");
  for (int i = 0; i < 3000; ++i) {
    const std::string dir = p.repo() + "/src/d" + std::to_string(i / 100);
    if (i % 100 == 0) std::filesystem::create_directories(dir);
    std::ofstream(dir + "/f" + std::to_string(i) + ".txt") << "file " << i << "\n";
  }
  p.git({"add", "-A", "src"});
  p.git({"commit", "-q", "-m", "many files"});
  run_chaos(p, env_int("DROVER_CHAOS_TASKS", 30), env_int("DROVER_CHAOS_KILLS", 20), std::random_device{}());
  const std::filesystem::path dir = p.repo() + "/.drover/worktrees";
  std::size_t pooled = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir / ".pool", ec), end; !ec && it != end; it.increment(ec)) {
    ++pooled;
    // A pooled worktree is a checkout of a commit main has, with nothing else in it.
    std::ifstream head(it->path() / "admin" / "HEAD");
    std::string sha;
    std::getline(head, sha);
    EXPECT_EQ(p.git({"merge-base", "--is-ancestor", sha, "main"}).exit_code, 0) << it->path();
  }
  EXPECT_LE(pooled, 4u);
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.rfind(".recycling-", 0), std::string::npos) << name;
    EXPECT_EQ(name.rfind(".claiming-", 0), std::string::npos) << name;
  }
}

TEST(Chaos, KilledAndResumedRepeatedlyPostgres) {
  const std::string storage = postgres_storage_yaml("chaos_");
  if (storage.empty()) GTEST_SKIP() << "DROVER_TEST_POSTGRES_URL is not set";
  E2EProject p(storage, 4, "", ", E2E_SLEEP_MS: \"1000\"");
  run_chaos(p, env_int("DROVER_CHAOS_TASKS", 30), env_int("DROVER_CHAOS_KILLS", 20), std::random_device{}());
}

}  // namespace
}  // namespace drover::testing
