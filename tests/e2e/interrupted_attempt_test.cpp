// tasks.on_interrupted with the real drover: `kill -9` while an agent that
// appends a line is running, then `drover resume`. restart (the default)
// re-runs the attempt from its starting commit, so the line lands once and the
// killed attempt's files are kept under refs/drover/interrupted/; continue
// re-runs it on top of what it left, so the line lands twice.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "e2e_project.h"

namespace drover::testing {
namespace {

// Kills `drover run` (-9) once the agent has appended its line, then resumes.
void kill_mid_agent_then_resume(const E2EProject& p, const std::string& id) {
  const std::string line_file = p.repo() + "/.drover/worktrees/" + id + "/appended.txt";
  pid_t run = p.start_drover({"run"}, p.dir() + "/run.out");
  for (int i = 0; i < 400 && !std::filesystem::exists(line_file); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_TRUE(std::filesystem::exists(line_file)) << "the agent never appended";
  kill(run, SIGKILL);
  waitpid(run, nullptr, 0);
  auto resume = p.drover({"resume"});
  EXPECT_EQ(resume.exit_code, 0) << resume.out << resume.err;
}

std::string lines_on_main(const E2EProject& p) { return p.git({"show", "main:appended.txt"}).out; }

TEST(InterruptedAttempt, RestartLandsTheAppendOnceAndKeepsTheKilledAttemptsFiles) {
  E2EProject p("", 1);
  const std::string id = p.add({"Append [append-slow]"});
  kill_mid_agent_then_resume(p, id);
  EXPECT_EQ(lines_on_main(p), id + "\n");
  auto kept = p.git({"for-each-ref", "--format=%(refname)", "refs/drover/interrupted/"});
  EXPECT_EQ(kept.out.rfind("refs/drover/interrupted/" + id + "/1-", 0), 0u) << kept.out;
  const std::string ref = kept.out.substr(0, kept.out.find('\n'));
  EXPECT_EQ(p.git({"show", ref + ":appended.txt"}).out, id + "\n") << "the killed attempt's line is kept there";
  auto info = p.drover({"info", id});
  EXPECT_NE(info.out.find("restarted"), std::string::npos) << info.out;
}

TEST(InterruptedAttempt, ContinueRunsOnTopOfTheKilledAttemptsFiles) {
  E2EProject p("", 1);
  // The fixture's tasks: is one flow mapping; add the key inside it.
  std::ifstream in(p.repo() + "/drover.yaml");
  std::string yaml((std::istreambuf_iterator<char>(in)), {});
  const std::string from = "max_attempts: 2,";
  ASSERT_NE(yaml.find(from), std::string::npos) << yaml;
  yaml.replace(yaml.find(from), from.size(), "max_attempts: 2, on_interrupted: continue,");
  std::ofstream(p.repo() + "/drover.yaml") << yaml;
  auto check = p.drover({"config", "check"});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  const std::string id = p.add({"Append [append-slow]"});
  kill_mid_agent_then_resume(p, id);
  EXPECT_EQ(lines_on_main(p), id + "\n" + id + "\n") << "at-least-once: the line lands twice";
}

}  // namespace
}  // namespace drover::testing
