// Two clones of one project ("machines"), one PostgreSQL store, one git
// remote behind a real `git daemon` on 127.0.0.1: `drover run` in both at once
// lands every task exactly once on the remote's main, each executor starting
// its tasks from what the other landed (vcs.config.remote).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "e2e_project.h"
#include "git_daemon.h"
#include "landed_tasks.h"

namespace drover::testing {
namespace {

TEST(SeveralMachines, TwoClonesSharingAStoreAndARemoteLandEveryTaskOnceThere) {
  const std::string storage = postgres_storage_yaml("e2e_multi_");
  if (storage.empty()) GTEST_SKIP() << "DROVER_TEST_POSTGRES_URL is not set";
  const std::string vcs = "vcs: { plugin: git, config: { remote: origin } }\n";
  E2EProject a(storage, 2, vcs), b(storage, 2, vcs);

  // The shared remote starts as a's history; b is a clone of it.
  const std::string served = a.dir() + "/served";
  auto bare = run_command({"git", "clone", "-q", "--bare", a.repo(), served + "/shared.git"});
  ASSERT_EQ(bare.exit_code, 0) << bare.err;
  GitDaemon daemon(served);
  const std::string url = daemon.url("shared.git");
  ASSERT_EQ(a.git({"remote", "add", "origin", url}).exit_code, 0);
  ASSERT_EQ(b.git({"remote", "add", "origin", url}).exit_code, 0);
  ASSERT_EQ(b.git({"fetch", "-q", "origin"}).exit_code, 0);
  ASSERT_EQ(b.git({"reset", "-q", "--hard", "origin/main"}).exit_code, 0);

  // Ten tasks, some waiting for others, added on a.
  std::vector<std::string> ids;
  auto add = [&](std::vector<std::string> args) {
    ids.push_back(a.add(std::move(args)));
    return ids.back();
  };
  const std::string c1 = add({"Chain 1 [medium]"});
  const std::string c2 = add({"Chain 2", "--blocked-by", c1});
  add({"Chain 3", "--blocked-by", c2});
  const std::string top = add({"Diamond top"});
  const std::string l = add({"Diamond left [medium]", "--blocked-by", top});
  const std::string r = add({"Diamond right", "--blocked-by", top});
  add({"Diamond bottom", "--blocked-by", l + "," + r});
  for (int i = 1; i <= 3; ++i) add({"Independent " + std::to_string(i) + " [medium]"});

  CommandResult run_a, run_b;
  std::thread on_b([&] { run_b = b.drover({"run", "--workers", "2"}); });
  run_a = a.drover({"run", "--workers", "2"});
  on_b.join();
  EXPECT_EQ(run_a.exit_code, 0) << run_a.out << run_a.err;
  EXPECT_EQ(run_b.exit_code, 0) << run_b.out << run_b.err;
  for (const auto& [id, st] : a.task_states()) EXPECT_EQ(st, "completed") << id;

  // The remote's main: each task's merge exactly once, its change there.
  std::map<std::string, int> merged = landed_tasks(served + "/shared.git");
  for (const auto& id : ids) {
    EXPECT_EQ(merged[id], 1) << "task " << id << " on the remote's main";
    auto file = run_command({"git", "--git-dir", served + "/shared.git", "cat-file", "-e", "main:changes/" + id + ".txt"});
    EXPECT_EQ(file.exit_code, 0) << id;
  }
  auto saved = run_command({"git", "--git-dir", served + "/shared.git", "for-each-ref", "refs/drover/"});
  EXPECT_EQ(saved.out, "") << "no saved task work is left once everything landed";
  // Each clone's local main followed its own landings: behind the remote's at
  // most, never beside it.
  for (const E2EProject* p : {&a, &b}) {
    std::string local = p->git({"rev-parse", "main"}).out;
    local.pop_back();
    auto ancestor = run_command({"git", "--git-dir", served + "/shared.git", "merge-base", "--is-ancestor", local, "main"});
    EXPECT_EQ(ancestor.exit_code, 0) << "local main " << local << " is not on the remote's main";
    EXPECT_EQ(p->git({"status", "--porcelain", "--untracked-files=no"}).out, "") << "the checkout moved with it";
  }

  // Who ran what: the two traces together hold every task once.
  auto ran = [](const E2EProject& p) {
    std::istringstream in(read_text(p.dir() + "/trace"));
    std::set<std::string> tasks;
    std::string what, task, ns;
    while (in >> what >> task >> ns)
      if (what == "start") tasks.insert(task);
    return tasks;
  };
  const auto on_a = ran(a), on_b_tasks = ran(b);
  for (const auto& id : ids) EXPECT_EQ(on_a.count(id) + on_b_tasks.count(id), 1u) << id << " ran on exactly one machine";
  std::cout << "several-machines: 10 tasks, " << on_a.size() << " ran on a, " << on_b_tasks.size() << " on b\n";
}

}  // namespace
}  // namespace drover::testing

namespace drover::testing {
namespace {

// Polls until pred holds (true) or 60 s pass (false).
bool wait_for(const std::function<bool()>& pred) {
  for (int i = 0; i < 1200; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Machine a commits a task's work (saved on the remote), starts landing it and
// is killed (-9) while verify runs; machine b — another host name, in its own
// UTS namespace, so it waits for the lease to expire as a real other machine
// would — takes the task over from the saved work: the agent does not run again.
TEST(SeveralMachines, AKilledMachinesTaskIsTakenOverFromItsSavedWork) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a UTS namespace (another host name)";
  const std::string storage = postgres_storage_yaml("e2e_takeover_");
  if (storage.empty()) GTEST_SKIP() << "DROVER_TEST_POSTGRES_URL is not set";
  const std::string common = "vcs: { plugin: git, config: { remote: origin } }\nlease: { duration: 3s }\n";
  E2EProject a(storage, 1, common), b(storage, 1, common);
  {
    // a's verify of the merged result hangs (a marker says when it started); b's passes.
    std::ofstream(a.repo() + "/drover.yaml", std::ios::app)
        << "verify: { command: [\"bash\", \"-c\", \"touch '" << a.dir() << "/verifying'; sleep 120\"] }\n";
    std::ofstream(b.repo() + "/drover.yaml", std::ios::app) << "verify: { command: [\"true\"] }\n";
  }
  const std::string served = a.dir() + "/served";
  ASSERT_EQ(run_command({"git", "clone", "-q", "--bare", a.repo(), served + "/shared.git"}).exit_code, 0);
  GitDaemon daemon(served);
  ASSERT_EQ(a.git({"remote", "add", "origin", daemon.url("shared.git")}).exit_code, 0);
  ASSERT_EQ(b.git({"remote", "add", "origin", daemon.url("shared.git")}).exit_code, 0);
  ASSERT_EQ(b.git({"fetch", "-q", "origin"}).exit_code, 0);
  ASSERT_EQ(b.git({"reset", "-q", "--hard", "origin/main"}).exit_code, 0);
  const std::string t = a.add({"Taken over"});

  const std::string a_log = a.dir() + "/run-a.log";
  int a_out = ::open(a_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_t run_a = spawn_process({DROVER_BINARY, "run"}, a.repo(), {{"NO_COLOR", "1"}}, a_out, a_out, true);
  ::close(a_out);
  const bool verifying = wait_for([&] { return std::filesystem::exists(a.dir() + "/verifying"); });
  auto saved = run_command({"git", "--git-dir", served + "/shared.git", "for-each-ref", "--format=%(refname)", "refs/drover/tasks/"});
  ::kill(-run_a, SIGKILL);
  ::kill(run_a, SIGKILL);
  int st = 0;
  ::waitpid(run_a, &st, 0);
  // Its verify (own process group) would sleep on: a dead machine's processes are gone too.
  (void)run_command({"pkill", "-9", "-f", a.dir() + "/verifying"});
  ASSERT_TRUE(verifying) << read_text(a_log);
  EXPECT_EQ(saved.out, "refs/drover/tasks/" + t + "\n") << "the committed work was saved before landing began";
  const auto killed_at = std::chrono::steady_clock::now();

  auto taken = run_command({"unshare", "--uts", "--", "bash", "-c", "hostname machine-b && exec \"$@\"", "bash",
                            DROVER_BINARY, "run"},
                           b.repo(), {{"NO_COLOR", "1"}});
  const double takeover_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  EXPECT_EQ(taken.exit_code, 0) << taken.out << taken.err;
  EXPECT_NE(taken.out.find("made again here"), std::string::npos) << taken.out;
  EXPECT_EQ(taken.out.find("the agent works again"), std::string::npos) << taken.out;
  EXPECT_EQ(a.task_states()[t], "completed");
  auto starts = [](const E2EProject& p) {
    std::istringstream in(read_text(p.dir() + "/trace"));
    int n = 0;
    std::string what, task, ns;
    while (in >> what >> task >> ns) n += what == "start";
    return n;
  };
  EXPECT_EQ(starts(a), 1);
  EXPECT_EQ(starts(b), 0) << "b continued a's committed work; its agent never ran";
  EXPECT_EQ(landed_tasks(served + "/shared.git")[t], 1) << "landed once";
  std::cout << "several-machines: takeover after kill -9 with lease.duration 3s: " << takeover_s
            << " s from the kill to the task landed by the other machine\n";
}

}  // namespace
}  // namespace drover::testing
