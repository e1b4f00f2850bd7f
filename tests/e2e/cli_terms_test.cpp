// Issue 16: every message in the user's terms (no storage operation names),
// one duration format, and input that used to be accepted silently is now
// refused with exit 2, or accepted with its effect stated.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "e2e_project.h"

namespace drover::testing {
namespace {

namespace fs = std::filesystem;

void expect_usage_error(const CommandResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << "stderr was: " << r.err;
  EXPECT_EQ(r.err.rfind("drover: ", 0), 0u) << "every error starts with drover: " << r.err;
}

// No storage operation name ("get_task", "reset_task", "list_epics", "mode reset") in what the user reads.
void expect_no_internal_names(const CommandResult& r) {
  for (const char* word : {"get_task", "reset_task", "create_task", "list_epics", "list_tasks", "mode reset",
                           "awaiting_merge", "add_dependency"}) {
    EXPECT_EQ(r.err.find(word), std::string::npos) << word << " leaked into: " << r.err;
    EXPECT_EQ(r.out.find(word), std::string::npos) << word << " leaked into: " << r.out;
  }
}

TEST(CliTerms, RefusalsSpeakOfCommandsNotStorageOperations) {
  E2EProject p("", 1);
  const std::string t1 = p.add({"Done first"});
  const std::string t2 = p.add({"Ready later", "--blocked-by", t1});
  ASSERT_EQ(p.drover({"run", "--epic", "e1"}).exit_code, 2) << "unknown epic";
  auto run = p.drover({"run"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  auto info = p.drover({"info", "t99"});
  expect_usage_error(info, "task t99 does not exist; `drover status --tree` shows the task ids");
  expect_no_internal_names(info);

  auto cancel = p.drover({"cancel", t1});
  expect_usage_error(cancel, "task " + t1 + " is completed; there is nothing to cancel (`drover reset " + t1 + "` runs it again)");
  expect_no_internal_names(cancel);

  const std::string t3 = p.add({"Still ready"});
  auto retry = p.drover({"retry", t3});
  expect_usage_error(retry, "task " + t3 + " is ready; retry applies to failed, blocked or cancelled tasks (`drover reset " + t3);
  expect_no_internal_names(retry);

  auto add = p.drover({"add", "In a ghost epic", "--epic", "e7"});
  expect_usage_error(add, "--epic: there is no epic 'e7'; `drover epic list` shows the epic ids");
  expect_no_internal_names(add);
  auto parent = p.drover({"add", "Orphan", "--parent", "t42"});
  expect_usage_error(parent, "--parent: task t42 does not exist");
  // Refusals only the store knows about come through in the same terms.
  const std::string sub = p.add({"A sub-task", "--parent", t3});
  auto nested = p.drover({"add", "Nested", "--parent", sub});
  expect_usage_error(nested, "drover: add: field 'parent' names " + sub + ", which is a sub-task of " + t3);
  expect_no_internal_names(nested);
  auto logs = p.drover({"logs", "t42"});
  expect_usage_error(logs, "task t42 does not exist");
  expect_no_internal_names(logs);
  (void)t2;
}

// Durations read "2.0s" everywhere: the run summary, the live lines, status.
TEST(CliTerms, DurationsHaveOneFormat) {
  E2EProject p("", 1);
  p.add({"Quick"});
  auto run = p.drover({"run"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(Summary \([0-9]+\.[0-9]s\))"))) << run.out;
  EXPECT_EQ(run.out.find(" ms"), std::string::npos) << run.out;
}

TEST(CliTerms, UnknownEpicsAreRefusedNotShownAsNothing) {
  E2EProject p;
  const std::string e = [&] {
    auto r = p.drover({"epic", "add", "Real"});
    return r.out.substr(0, r.out.find('\n'));
  }();
  expect_usage_error(p.drover({"run", "--epic", "e7"}), "--epic: there is no epic 'e7'");
  expect_usage_error(p.drover({"status", "--epic", "e5"}), "--epic: there is no epic 'e5'");
  auto known = p.drover({"status", "--epic", e});
  EXPECT_EQ(known.exit_code, 0) << known.err;
  EXPECT_NE(known.out.find("0/0 completed"), std::string::npos) << known.out;
}

TEST(CliTerms, EmptyTitlesAreRefused) {
  E2EProject p;
  expect_usage_error(p.drover({"epic", "add", ""}), "drover: epic add: the title is empty");
  expect_usage_error(p.drover({"add", "   "}), "drover: add: the title is empty");
  auto epics = p.drover({"epic", "list"});
  EXPECT_EQ(epics.out, "") << "nothing may be created";
  EXPECT_EQ(p.task_states().size(), 0u);
}

TEST(CliTerms, DepAddRefusesToMakeACompletedTaskWait) {
  E2EProject p("", 1);
  const std::string t1 = p.add({"Done"});
  ASSERT_EQ(p.drover({"run"}).exit_code, 0);
  const std::string t2 = p.add({"Not yet"});
  auto r = p.drover({"dep", "add", t1, t2});
  expect_usage_error(r, "dep add: task " + t1 + " is completed, so it cannot wait for other tasks; `drover reset " + t1 + "`");
  EXPECT_EQ(p.task_states()[t1], "completed") << "a refused dep add changes nothing";
  auto info = json::parse(p.drover({"info", t1, "--json"}).out);
  EXPECT_TRUE(info["task"]["blocked_by"].empty()) << info.dump();
}

TEST(CliTerms, ResetFailedWithNothingFailedSaysSo) {
  E2EProject p;
  p.add({"Fine"});
  auto r = p.drover({"reset", "--failed"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no failed tasks; nothing to reset\n");
  expect_usage_error(p.drover({"reset"}), "reset: name task ids, or --failed, or --all");
}

TEST(CliTerms, LogLevelCriticalIsDocumentedAndAccepted) {
  E2EProject p;
  auto help = p.drover({"--help"});
  EXPECT_NE(help.out.find("trace|debug|info|warn|error|critical|off"), std::string::npos) << help.out;
  auto r = p.drover({"--log-level", "critical", "status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_usage_error(p.drover({"--log-level", "loud", "status"}), "use trace, debug, info, warn, error, critical or off");
}

// A worktree holding uncommitted work is kept; prune names its own flag.
TEST(CliTerms, PruneNamesItsForceFlag) {
  E2EProject p("", 1);
  const std::string t = p.add({"Never works [fail]"});
  auto run = p.drover({"run"});
  ASSERT_EQ(run.exit_code, 1) << run.out << run.err;
  auto list = json::parse(p.drover({"worktree", "list", "--json"}).out);
  ASSERT_FALSE(list.empty()) << "a failed task keeps its worktree";
  const std::string path = list[0]["path"].get<std::string>();
  ASSERT_FALSE(path.empty());
  std::ofstream(path + "/notes.txt") << "the user's experiment\n";
  auto prune = p.drover({"worktree", "prune"});
  EXPECT_EQ(prune.exit_code, 0) << prune.err;
  EXPECT_NE(prune.out.find("kept ("), std::string::npos) << prune.out;
  EXPECT_NE(prune.out.find("--force discards it"), std::string::npos) << prune.out;
  EXPECT_EQ(prune.out.find("remove with force"), std::string::npos) << prune.out;
  EXPECT_EQ(prune.out.find("vcs git:"), std::string::npos) << prune.out;
  EXPECT_TRUE(fs::exists(path + "/notes.txt"));
  (void)t;
}

// `status --tree` lists the plan as it was added, exactly as
// docs/getting-started.md shows it (the store's order is by priority).
TEST(CliTerms, StatusTreeMatchesTheGettingStartedGuide) {
  E2EProject p;
  auto epic = p.drover({"epic", "add", "Greeter", "-d", "A greeting library"});
  const std::string e = epic.out.substr(0, epic.out.find('\n'));
  const std::string spec = p.add({"Write the spec", "--epic", e, "--priority", "high"});
  const std::string en = p.add({"Implement English", "--epic", e, "--blocked-by", spec});
  const std::string fr = p.add({"Implement French", "--epic", e, "--blocked-by", spec});
  const std::string doc = p.add({"Document the CLI", "-d", "Usage and examples"});
  p.add({"Options", "--parent", doc});
  p.add({"Examples", "--parent", doc});
  p.add({"Add a changelog", "--priority", "low"});
  p.add({"Release notes", "--blocked-by", en + "," + fr + "," + doc});
  auto tree = p.drover({"status", "--tree"});
  ASSERT_EQ(tree.exit_code, 0) << tree.err;
  const std::string expected =
      "[..............................] 0/8 completed\n"
      "  ready: 3\n"
      "  waiting: 5\n"
      "\n"
      "  t1  [ready] Write the spec\n"
      "  t2  [waiting] Implement English  (after t1)\n"
      "  t3  [waiting] Implement French  (after t1)\n"
      "  t4  [waiting] Document the CLI  (after t4.1,t4.2)\n"
      "    t4.1  [ready] Options\n"
      "    t4.2  [waiting] Examples\n"
      "  t5  [ready] Add a changelog\n"
      "  t6  [waiting] Release notes  (after t2,t3,t4)\n";
  EXPECT_EQ(tree.out, expected);
  std::ifstream guide(std::string(DROVER_SOURCE_DIR) + "/docs/getting-started.md");
  std::stringstream text;
  text << guide.rdbuf();
  EXPECT_NE(text.str().find(expected), std::string::npos) << "docs/getting-started.md shows another tree";
}

// Sub-tasks do not inherit their parent's blockers; add says so when it matters.
TEST(CliTerms, SubTaskOfABlockedParentIsToldItDoesNotWait) {
  E2EProject p;
  const std::string t1 = p.add({"First"});
  const std::string t2 = p.add({"Second", "--blocked-by", t1});
  auto sub = p.drover({"add", "Part of the second", "--parent", t2});
  ASSERT_EQ(sub.exit_code, 0) << sub.err;
  EXPECT_EQ(sub.out, t2 + ".1\n") << "stdout stays the id";
  EXPECT_NE(sub.err.find("drover: note: " + t2 + ".1 does not wait for what " + t2 + " is blocked by (" + t1 +
                         "); only " + t2 + "'s own attempt does. If " + t2 + ".1 needs their work: drover dep add " +
                         t2 + ".1 " + t1),
            std::string::npos)
      << sub.err;
  EXPECT_EQ(p.task_states()[t2 + ".1"], "ready") << "the rule: the sub-task does not wait";
  auto waits = p.drover({"add", "Waits like its parent", "--parent", t2, "--blocked-by", t1});
  EXPECT_EQ(waits.err, "") << "nothing to say when it waits for the same tasks";
  auto free = p.drover({"add", "Part of the first", "--parent", t1});
  EXPECT_EQ(free.err, "") << "nothing to say when the parent waits for nothing";
}

// A throwaway repository with no drover.yaml yet.
struct BareRepo {
  fs::path dir;
  explicit BareRepo(bool with_commit) {
    dir = fs::temp_directory_path() / ("drover-init-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    git({"init", "-q", "-b", "main"});
    git({"config", "user.name", "E2E"});
    git({"config", "user.email", "e2e@drover.invalid"});
    if (with_commit) git({"commit", "-q", "--allow-empty", "-m", "Initial commit"});
  }
  ~BareRepo() {
    if (!::testing::Test::HasFailure()) fs::remove_all(dir);
  }
  CommandResult git(std::vector<std::string> args) const {
    args.insert(args.begin(), "git");
    return run_command(args, dir.string());
  }
  CommandResult drover(std::vector<std::string> args) const {
    args.insert(args.begin(), DROVER_BINARY);
    return run_command(args, dir.string(), {{"NO_COLOR", "1"}});
  }
  std::string exclude() const {
    std::ifstream in(dir / ".git" / "info" / "exclude");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void expect_untouched(const std::string& exclude_before) const {
    EXPECT_FALSE(fs::exists(dir / "drover.yaml")) << "a failed init must leave nothing behind";
    EXPECT_FALSE(fs::exists(dir / ".drover")) << "a failed init must leave nothing behind";
    EXPECT_EQ(exclude(), exclude_before);
  }
};

TEST(CliTerms, InitRefusesATargetBranchThatDoesNotExistAndLeavesNothing) {
  BareRepo repo(true);
  const std::string before = repo.exclude();
  expect_usage_error(repo.drover({"init", "--target-branch", "nosuch"}),
                     "--target-branch: there is no branch 'nosuch'");
  repo.expect_untouched(before);
  ASSERT_EQ(repo.git({"branch", "release"}).exit_code, 0);
  auto ok = repo.drover({"init", "--target-branch", "release"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  std::ifstream cfg(repo.dir / "drover.yaml");
  std::stringstream text;
  text << cfg.rdbuf();
  EXPECT_NE(text.str().find("target_branch: release"), std::string::npos) << text.str();
  // drover.yaml exists now: a different --target-branch would be ignored, so it is refused.
  expect_usage_error(repo.drover({"init", "--target-branch", "main"}),
                     "already exists with target_branch: release, and --target-branch only applies to a new drover.yaml");
  auto same = repo.drover({"init", "--target-branch", "release"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
}

// In a linked worktree HEAD is the worktree's own, not the main checkout's.
TEST(CliTerms, InitInALinkedWorktreeTargetsItsBranch) {
  BareRepo repo(true);
  ASSERT_EQ(repo.git({"branch", "side"}).exit_code, 0);
  const fs::path linked = repo.dir.string() + "-side";
  ASSERT_EQ(repo.git({"worktree", "add", "-q", linked.string(), "side"}).exit_code, 0);
  auto r = run_command({DROVER_BINARY, "init"}, linked.string(), {{"NO_COLOR", "1"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::ifstream cfg(linked / "drover.yaml");
  std::stringstream text;
  text << cfg.rdbuf();
  EXPECT_NE(text.str().find("target_branch: side"), std::string::npos) << text.str();
  if (!::testing::Test::HasFailure()) fs::remove_all(linked);
}

TEST(CliTerms, InitOnARepositoryWithoutCommitsLeavesNothingBehind) {
  BareRepo repo(false);
  const std::string before = repo.exclude();
  expect_usage_error(repo.drover({"init"}), "has no commits yet");
  repo.expect_untouched(before);
}

}  // namespace
}  // namespace drover::testing
