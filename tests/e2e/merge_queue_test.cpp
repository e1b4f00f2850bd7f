// The merge queue end to end: a real repository, real git merges, a real
// agent process that resolves conflicts in place, a real verify gate run on
// the merged result.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "collide_config.h"
#include "e2e_project.h"

namespace drover::testing {
namespace {

const std::string kCollideAgent = std::string(DROVER_SOURCE_DIR) + "/tests/e2e/collide_agent.sh";

// A project whose only agent is collide_agent.sh.
class MergeQueueProject : public E2EProject {
 public:
  MergeQueueProject(int workers, const std::string& extra_yaml, const std::string& agent_env = "") : E2EProject("", workers) {
    std::ofstream(repo() + "/shared.txt") << "start\n";
    git({"add", "shared.txt"});
    git({"commit", "-q", "-m", "shared file"});
    std::ofstream(repo() + "/drover.yaml", std::ios::trunc) << collide_config(kCollideAgent, dir(), workers, extra_yaml, agent_env);
  }
  // "<task> <round>" per agent run.
  std::vector<std::string> runs() const {
    std::vector<std::string> out;
    std::istringstream in(read_text(dir() + "/runs"));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  int runs_of_kind(const std::string& kind) const {
    int n = 0;
    for (const auto& r : runs()) n += r.size() > kind.size() && r.compare(r.size() - kind.size(), kind.size(), kind) == 0;
    return n;
  }
  std::string on_main(const std::string& path) const { return git({"show", "main:" + path}).out; }
};

TEST(MergeQueue, SixteenCollidingTasksAllLandByResolvingConflictsInPlace) {
  MergeQueueProject p(4, "tasks: { timeout: 2m, max_attempts: 1, backoff: { initial: 100ms, max: 500ms } }\n"
                         "merge: { max_rounds: 16 }\n");
  for (int i = 1; i <= 16; ++i) p.add({"Append line " + std::to_string(i)});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;

  const std::string shared = p.on_main("shared.txt");
  for (int i = 1; i <= 16; ++i)
    EXPECT_NE(shared.find("t" + std::to_string(i) + "\n"), std::string::npos) << "t" << i << " missing:\n" << shared;
  EXPECT_EQ(std::count(shared.begin(), shared.end(), '\n'), 17) << shared;
  EXPECT_EQ(shared.find("<<<<<<<"), std::string::npos) << shared;
  for (const auto& [id, state] : p.task_states()) EXPECT_EQ(state, "completed") << id;

  const int resolves = p.runs_of_kind(" resolve");
  EXPECT_EQ(p.runs_of_kind(" work"), 16) << "no task redone from scratch";
  EXPECT_EQ(static_cast<int>(p.runs().size()), 16 + resolves);
  EXPECT_GT(resolves, 0) << "four workers on one file collide";
  EXPECT_NE(run.out.find("resolve round"), std::string::npos) << "the summary counts the rounds:\n" << run.out;
  EXPECT_EQ(p.git({"worktree", "list", "--porcelain"}).out.find(".drover/worktrees"), std::string::npos)
      << p.git({"worktree", "list"}).out;
  EXPECT_EQ(p.git({"branch", "--list", "drover/*"}).out, "");
}

TEST(MergeQueue, TwoTasksGreenAloneButRedTogetherNeverLandTogether) {
  // The gate allows at most one file in gated/; each task adds one.
  MergeQueueProject p(2,
                      "tasks: { timeout: 2m, max_attempts: 1, backoff: { initial: 100ms, max: 500ms } }\n"
                      "merge: { max_rounds: 1 }\n"
                      "verify: { command: [\"bash\", \"-c\", \"test $(ls gated 2>/dev/null | wc -l) -le 1 || "
                      "{ echo too many files in gated/; exit 1; }\"] }\n",
                      ", E2E_GATED: \"1\"");
  const std::string a = p.add({"Add a gated file"});
  const std::string b = p.add({"Add another gated file"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;

  // Every first-parent commit on main passes the gate.
  std::istringstream commits(p.git({"rev-list", "--first-parent", "main"}).out);
  for (std::string c; std::getline(commits, c);) {
    const std::string files = p.git({"ls-tree", "--name-only", c, "gated/"}).out;
    EXPECT_LE(std::count(files.begin(), files.end(), '\n'), 1) << c << ":\n" << files;
  }
  auto states = p.task_states();
  EXPECT_EQ((states[a] == "completed") + (states[b] == "completed"), 1);
  const std::string failed = states[a] == "failed" ? a : b;
  auto info = p.drover({"info", failed});
  EXPECT_NE(info.out.find("verify failed on the merge with main"), std::string::npos) << info.out;
  EXPECT_EQ(p.runs_of_kind(" fix"), 1) << "one fix round, then out of rounds";
  EXPECT_EQ(p.runs_of_kind(" work"), 2);
  EXPECT_NE(read_text(p.repo() + "/.drover/logs/" + failed + "/1.r2.land.log").find("too many files in gated/"),
            std::string::npos);
}

}  // namespace
}  // namespace drover::testing
