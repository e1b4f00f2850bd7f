// End to end: review before landing (review: required, add --review), the
// agent's verdict line and tasks.no_changes, and seeing what an agent did
// (show, diff) through the real binary, a real repository and the exec agent.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "e2e_project.h"

namespace drover::testing {
namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Review, RequiredReviewWaitsThenRejectSendsFeedbackAndApproveLands) {
  E2EProject p("", 2, "review: required\n");
  std::string t = p.add({"Add a flag"});
  std::string after = p.add({"After it", "--blocked-by", t});

  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << "work awaiting review is not a finished run\n" << run.out << run.err;
  EXPECT_TRUE(has(run.out, "awaiting review: 1 file changed, +1 -0")) << run.out;
  EXPECT_TRUE(has(run.out, "awaiting review: 1")) << run.out;
  EXPECT_TRUE(has(run.out, "`drover approve <id>`")) << run.out;
  EXPECT_EQ(p.merged_task_commits().count(t), 0u) << "nothing landed before the approval";

  auto status = p.drover({"status"});
  EXPECT_TRUE(has(status.out, "review " + t + ": 1 file changed, +1 -0")) << status.out;
  auto show = p.drover({"show", t});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(has(show.out, "status: awaiting review")) << show.out;
  EXPECT_TRUE(has(show.out, "attempt 1   work    test  success")) << show.out;
  EXPECT_TRUE(has(show.out, "in its worktree, not landed: 1 file changed, +1 -0 (changes/" + t + ".txt)")) << show.out;
  auto diff = p.drover({"diff", t});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_TRUE(has(diff.out, "+++ b/changes/" + t + ".txt")) << diff.out;
  EXPECT_TRUE(has(diff.out, "+" + t + "\n")) << diff.out;

  auto early = p.drover({"approve", after});
  EXPECT_EQ(early.exit_code, 2);
  EXPECT_TRUE(has(early.err, "drover: approve: task " + after + " is waiting and has no work waiting for review"))
      << early.err;
  auto empty = p.drover({"reject", t, "-m", " "});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_TRUE(has(empty.err, "the message is empty")) << empty.err;

  auto reject = p.drover({"reject", t, "-m", "name the flag --verbose"});
  ASSERT_EQ(reject.exit_code, 0) << reject.err;
  EXPECT_EQ(reject.out, t + ": rejected; the next `drover run` picks it up and gives the agent your feedback in "
                            "another round\n");
  run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(has(run.out, "addressing review feedback")) << run.out;
  const std::string second_prompt = file_text(p.dir() + "/prompt-" + t + "-2.md");
  EXPECT_TRUE(has(second_prompt, "A reviewer looked at your work and asks for changes:")) << second_prompt;
  EXPECT_TRUE(has(second_prompt, "name the flag --verbose")) << second_prompt;

  auto approve = p.drover({"approve", t, "--json"});
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  EXPECT_TRUE(json::parse(approve.out)["wait"].is_null());
  run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << "the dependent's work now waits for review\n" << run.out << run.err;
  EXPECT_EQ(p.merged_task_commits().count(t), 1u);
  EXPECT_EQ(p.task_states()[t], "completed");

  show = p.drover({"show", t});
  EXPECT_TRUE(has(show.out, "attempt 1.2 review  test  success")) << show.out;
  EXPECT_TRUE(has(show.out, ": task " + t + " rejected: name the flag --verbose")) << show.out;
  EXPECT_TRUE(has(show.out, "review asked ")) << show.out;
  EXPECT_TRUE(has(show.out, "landed: ")) << show.out;
  diff = p.drover({"diff", t, "--stat"});
  EXPECT_EQ(diff.out, "1 file changed, +1 -0\n");
  auto again = p.drover({"approve", t});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(has(again.err, "approve: task " + t + " is completed; nothing waits for a decision")) << again.err;
}

TEST(Review, ARunWaitingForReviewLandsAnApprovalWhileItRuns) {
  E2EProject p("", 1);
  std::string t = p.add({"Checked", "--review"});
  const std::string out = p.dir() + "/run.out";
  pid_t pid = p.start_drover({"run", "--wait-for-review"}, out);
  bool awaiting = false;
  for (int i = 0; i < 400 && !awaiting; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto info = p.drover({"info", t, "--json"});
    awaiting = info.exit_code == 0 && json::parse(info.out)["task"]["wait"].is_object() &&
               json::parse(info.out)["task"]["wait"]["kind"] == "review";
  }
  ASSERT_TRUE(awaiting) << file_text(out);
  auto approve = p.drover({"approve", t});
  ASSERT_EQ(approve.exit_code, 0) << approve.err;
  EXPECT_TRUE(has(approve.out, "the running `drover run` picks it up within a second")) << approve.out;
  int status = 0;
  for (int i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(WIFEXITED(status)) << file_text(out);
  EXPECT_EQ(WEXITSTATUS(status), 0) << file_text(out);
  EXPECT_EQ(p.task_states()[t], "completed");
}

TEST(Review, AnAgentThatGivesUpWaitsForYouWithItsMessage) {
  E2EProject p;
  std::string t = p.add({"Migrate the staging database [give-up]"});
  std::string after = p.add({"Then this", "--blocked-by", t});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(has(run.out, "the agent said: I cannot proceed: I do not have the staging database credentials."))
      << run.out;
  EXPECT_TRUE(has(run.out, "awaiting review: the agent changed nothing and said: I cannot proceed")) << run.out;
  EXPECT_EQ(p.task_states()[after], "waiting") << "its dependents stay blocked";
  auto show = p.drover({"show", t});
  EXPECT_TRUE(has(show.out, "the agent's final message:\n    I cannot proceed")) << show.out;
  EXPECT_TRUE(has(show.out, "Please provide DATABASE_URL.")) << show.out;
  auto approve = p.drover({"approve", t});
  EXPECT_TRUE(has(approve.out, "and completes it (no changes)")) << approve.out;
}

TEST(Review, VerdictLinesDecideWhatNoChangesMeans) {
  E2EProject p("", 4, "");
  std::string done = p.add({"Already there [nothing-to-do]"});
  std::string blocked = p.add({"Deploy [says-blocked]"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto states = p.task_states();
  EXPECT_EQ(states[done], "completed");
  EXPECT_EQ(states[blocked], "failed");
  EXPECT_TRUE(has(run.out, "the agent is blocked: the staging DATABASE_URL")) << run.out;
}

TEST(Review, NoChangesFailWhenConfigured) {
  E2EProject p("", 4, "");
  // tasks.no_changes overrides the default hold; the project's tasks: line is replaced.
  std::string cfg = p.repo() + "/drover.yaml";
  std::string text = file_text(cfg);
  text.replace(text.find("tasks: {"), 8, "tasks: { no_changes: fail,");
  std::ofstream(cfg) << text;
  std::string t = p.add({"Migrate [give-up]"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(p.task_states()[t], "failed");
  EXPECT_TRUE(has(run.out, "the agent changed nothing and gave no verdict line (it said: I cannot proceed")) << run.out;
}

}  // namespace
}  // namespace drover::testing
