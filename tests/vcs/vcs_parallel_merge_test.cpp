// Many tasks at once: prepared, committed and merged from parallel threads of one
// process, and merged from several processes sharing the repository.
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;
constexpr int kTasks = 8;

std::string task_name(int i) { return "task-" + std::to_string(i); }

// Prepares and commits kTasks tasks (two commits each, each task touching its
// own file) from parallel threads.
void prepare_tasks_in_parallel(const VcsClient& vcs, const fs::path& repo) {
  std::vector<std::thread> threads;
  for (int i = 0; i < kTasks; ++i) {
    threads.emplace_back([&, i] {
      const std::string task = task_name(i);
      json p = vcs.prepare(task);
      EXPECT_EQ(p["created"], true);
      const fs::path wt = worktree_of(repo, task);
      write_file(wt / "src" / ("file" + std::to_string(i) + ".txt"), "changed by " + task + "\n");
      EXPECT_EQ(vcs.commit(task, "First of " + task + "\n\nDrover-Task: " + task + "\n")["changed"], true);
      write_file(wt / ("new-" + task + ".txt"), task + "\n");
      EXPECT_EQ(vcs.commit(task, "Second of " + task + "\n\nDrover-Task: " + task + "\n")["changed"], true);
    });
  }
  for (auto& t : threads) t.join();
}

void expect_all_tasks_present(const fs::path& repo) {
  for (int i = 0; i < kTasks; ++i) {
    const std::string task = task_name(i);
    EXPECT_EQ(git(repo, {"show", "main:src/file" + std::to_string(i) + ".txt"}), "changed by " + task);
    EXPECT_EQ(git(repo, {"show", "main:new-" + task + ".txt"}), task);
    // The checked-out main came along.
    EXPECT_EQ(read_file(repo / "src" / ("file" + std::to_string(i) + ".txt")), "changed by " + task + "\n");
  }
  EXPECT_EQ(git(repo, {"status", "--porcelain"}), "");
  EXPECT_FALSE(fs::exists(repo / ".git" / "MERGE_HEAD"));
}

void expect_history_shape(const fs::path& repo, const std::string& base, const std::string& strategy) {
  const std::string range = base + "..main";
  const std::string merges = git(repo, {"rev-list", "--merges", "--count", range});
  const std::string first_parent = git(repo, {"rev-list", "--first-parent", "--count", range});
  const std::string all = git(repo, {"rev-list", "--count", range});
  if (strategy == "merge") {
    EXPECT_EQ(merges, std::to_string(kTasks));
    EXPECT_EQ(first_parent, std::to_string(kTasks));
    EXPECT_EQ(all, std::to_string(kTasks * 3));
  } else if (strategy == "squash") {
    EXPECT_EQ(merges, "0");
    EXPECT_EQ(all, std::to_string(kTasks));
  } else {
    EXPECT_EQ(merges, "0");
    EXPECT_EQ(all, std::to_string(kTasks * 2));
    EXPECT_EQ(first_parent, all);  // linear
  }
}

class VcsParallel : public ::testing::TestWithParam<std::string> {};

TEST_P(VcsParallel, EightTasksMergedFromParallelThreads) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  init_repo(repo, "main", kTasks);
  const std::string base = git(repo, {"rev-parse", "main"});
  VcsClient vcs(repo);
  prepare_tasks_in_parallel(vcs, repo);

  std::vector<std::thread> threads;
  std::vector<std::string> results(kTasks);
  for (int i = 0; i < kTasks; ++i)
    threads.emplace_back([&, i] { results[i] = vcs.merge(task_name(i), "main", GetParam())["result"]; });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kTasks; ++i) EXPECT_EQ(results[i], "merged") << task_name(i);

  expect_all_tasks_present(repo);
  expect_history_shape(repo, base, GetParam());

  // Replays are recognised, cleanup removes everything.
  for (int i = 0; i < kTasks; ++i) {
    EXPECT_EQ(vcs.merge(task_name(i), "main", GetParam())["result"], "already_merged");
    EXPECT_EQ(vcs.ok(&V::remove_worktree, {{"task_id", task_name(i)}})["removed"], true);
  }
  EXPECT_EQ(git(repo, {"branch", "--list", "drover/*"}), "");
  EXPECT_EQ(vcs.ok(&V::list_worktrees, {{"target_branch", "main"}}), json::array());
}

TEST_P(VcsParallel, EightTasksMergedFromSeveralProcesses) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  init_repo(repo, "main", kTasks);
  const std::string base = git(repo, {"rev-parse", "main"});
  {
    VcsClient vcs(repo);
    prepare_tasks_in_parallel(vcs, repo);
  }
  // Each child process opens its own plugin instance and merges its share;
  // only the file lock in the git dir keeps them from racing.
  constexpr int kProcesses = 4;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int failures = 0;
      {
        VcsClient vcs(repo);
        for (int i = p; i < kTasks; i += kProcesses) {
          auto r = vcs.call(&V::merge, {{"task_id", task_name(i)}, {"target_branch", "main"}, {"strategy", GetParam()},
                                        {"message", "Merge " + task_name(i) + "\n"}});
          if (!r.ok() || json::parse(r.output)["result"] != "merged") ++failures;
        }
      }
      ::_exit(failures);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "merges failed in a child process";
  }
  expect_all_tasks_present(repo);
  expect_history_shape(repo, base, GetParam());
}

TEST_P(VcsParallel, WholeTaskPipelinesRunConcurrently) {
  // prepare -> commit -> merge -> remove per thread, all at once, twice over.
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  init_repo(repo, "main", kTasks);
  VcsClient vcs(repo);
  std::vector<std::thread> threads;
  for (int i = 0; i < kTasks; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 2; ++round) {
        const std::string task = task_name(i) + "-r" + std::to_string(round);
        vcs.prepare(task);
        write_file(worktree_of(repo, task) / ("pipeline-" + task + ".txt"), task + "\n");
        EXPECT_EQ(vcs.commit(task, "Pipeline " + task + "\n\nDrover-Task: " + task + "\n")["changed"], true);
        EXPECT_EQ(vcs.merge(task, "main", GetParam())["result"], "merged") << task;
        EXPECT_EQ(vcs.ok(&V::remove_worktree, {{"task_id", task}})["removed"], true) << task;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kTasks; ++i)
    for (int round = 0; round < 2; ++round) {
      const std::string task = task_name(i) + "-r" + std::to_string(round);
      EXPECT_EQ(read_file(repo / ("pipeline-" + task + ".txt")), task + "\n");
    }
  EXPECT_EQ(git(repo, {"status", "--porcelain"}), "");
  EXPECT_EQ(git(repo, {"branch", "--list", "drover/*"}), "");
  EXPECT_EQ(git(repo, {"worktree", "list", "--porcelain"}).find(".drover"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Strategies, VcsParallel, ::testing::Values("merge", "squash", "rebase"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace drover::vcs_tests
