// Writes an agent makes outside its worktree, with the real drover, git and an
// exec agent (outside_agent.sh): into the user's checkout, a commit on the
// target branch, a worktree whose .git link it deleted. Under `sandbox: detect`
// (no kernel sandbox): each is found after the attempt, named, and never
// blamed on the user; nothing lands on top of it.
#include <fstream>

#include "e2e_project.h"

namespace drover::testing {
namespace {

// The project with outside_agent.sh as its only agent.
void use_outside_agent(const E2EProject& p, int max_attempts) {
  std::ofstream cfg(p.repo() + "/drover.yaml");
  cfg << "workers: 2\n"
      << "target_branch: main\n"
      << "storage: { plugin: sqlite }\n"
      << "vcs: { plugin: git }\n"
      << "default_agent: outside\n"
      << "agents:\n"
      << "  outside:\n"
      << "    plugin: exec\n"
      << "    config:\n"
      << "      command: [\"bash\", \"" << DROVER_SOURCE_DIR << "/tests/e2e/outside_agent.sh\", \"{prompt_file}\"]\n"
      << "tasks: { timeout: 2m, max_attempts: " << max_attempts << ", backoff: { initial: 100ms, max: 200ms } }\n"
      << "sandbox: detect\n";
}

std::string last_error(const E2EProject& p, const std::string& id) {
  auto r = p.drover({"info", id, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out)["task"].value("last_error", "");
}

TEST(OutsideWrites, AnAppendToTheUsersTrackedFileFailsTheAttemptAndIsLeftForTheUser) {
  E2EProject p;
  use_outside_agent(p, 2);
  const std::string t1 = p.add({"Do it [append-user]"});
  auto run = p.drover({"run"});
  // The first attempt wrote outside and failed; the second, told so, did not.
  EXPECT_NE(run.out.find("the agent wrote outside its worktree: README.md (added)"), std::string::npos) << run.out;
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(p.task_states()[t1], "completed");
  // The user's file is left as the agent left it (drover never undoes a
  // user-visible file on a guess), and main holds only the task's own work.
  std::ifstream readme(p.repo() + "/README.md");
  std::string text((std::istreambuf_iterator<char>(readme)), {});
  EXPECT_NE(text.find("written by " + t1 + "'s agent"), std::string::npos);
  EXPECT_EQ(p.git({"show", "main:README.md"}).out, "# e2e\n");
}

TEST(OutsideWrites, ACommitOnTheTargetFromTheWorktreeIsTakenOffKeptAndNamed) {
  E2EProject p;
  use_outside_agent(p, 1);
  const std::string before = p.git({"rev-parse", "main"}).out;
  const std::string t1 = p.add({"Sneak [commit-main]"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const std::string error = last_error(p, t1);
  EXPECT_NE(error.find("the agent committed to main itself"), std::string::npos) << error;
  EXPECT_NE(error.find("rogue commit by " + t1), std::string::npos) << error;
  EXPECT_NE(error.find("refs/drover/archive/" + t1 + "/target-"), std::string::npos) << error;
  EXPECT_EQ(p.git({"rev-parse", "main"}).out, before) << "main is where it was: nothing merged on top of the rogue commit";
  EXPECT_EQ(p.git({"status", "--porcelain", "--untracked-files=no"}).out, "")
      << "the user's checkout shows nothing they did not do";
  EXPECT_EQ(error.find("wrote outside its worktree"), std::string::npos)
      << "the commit is the only thing the agent did outside; its files were never in the checkout: " << error;
  auto kept = p.git({"for-each-ref", "--format=%(refname)", "refs/drover/archive/"});
  EXPECT_NE(kept.out.find("refs/drover/archive/" + t1 + "/target-"), std::string::npos) << "the agent's commit is kept";
  EXPECT_EQ(p.git({"branch", "--list", "main"}).exit_code, 0);
}

TEST(OutsideWrites, AMergeBlockedByAnAgentsWriteBlamesTheAgentNotTheUser) {
  E2EProject p;
  use_outside_agent(p, 1);
  const std::string t1 = p.add({"Scribble [append-user]", "--priority", "high"});
  const std::string t2 = p.add({"Edit the readme [edit-readme]", "--priority", "low"});
  // t1's agent appends to the user's README.md and fails; t2 changes README.md
  // on its branch, and its merge finds t1's edit in the way. The run waits for
  // the checkout (as it would for the user's own edit) until it is stopped.
  auto run = run_command({"timeout", "-s", "INT", "8", DROVER_BINARY, "run", "--workers", "1"}, p.repo(),
                         {{"NO_COLOR", "1"}});
  EXPECT_NE(run.out.find("written outside its worktree by an agent (README.md by task " + t1 + "'s agent), not by you"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(run.out.find("commit or stash them"), std::string::npos) << run.out;
  EXPECT_EQ(p.git({"show", "main:README.md"}).out, "# e2e\n") << "nothing landed over the agent's write";
  (void)t2;
}

TEST(OutsideWrites, AWorktreeWithItsGitLinkDeletedIsListedAsHoldingWorkAndNeverPruned) {
  E2EProject p;
  use_outside_agent(p, 1);
  const std::string t1 = p.add({"Break [break-git]"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out;
  auto list = p.drover({"worktree", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json l = json::parse(list.out);
  ASSERT_EQ(l.size(), 1u) << l.dump();
  EXPECT_EQ(l[0]["merged"], false);
  EXPECT_EQ(l[0]["dirty"], true);
  EXPECT_EQ(l[0]["broken"], true);
  auto head = p.git({"rev-parse", "drover/" + t1});
  EXPECT_EQ(l[0]["head"].get<std::string>() + "\n", head.out) << "the worktree's own HEAD (its commit)";
  auto text = p.drover({"worktree", "list"});
  EXPECT_NE(text.out.find("unmerged, damaged"), std::string::npos) << text.out;
  auto prune = p.drover({"worktree", "prune"});
  EXPECT_NE(prune.out.find("kept"), std::string::npos) << prune.out;
  EXPECT_TRUE(std::filesystem::exists(p.repo() + "/.drover/worktrees/" + t1 + "/unsaved.txt"));
}

}  // namespace
}  // namespace drover::testing
