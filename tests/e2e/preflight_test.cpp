// Issue 14: `drover config check` and `drover run` refuse (exit 2) an
// agent CLI that is not installed or cannot start, and a target branch that
// does not exist, before any task is claimed: no attempt is used.
#include <sys/stat.h>

#include "e2e_project.h"

namespace {

using drover::testing::E2EProject;

// Replaces the `default_agent: test` line and adds one agent entry.
void use_claude_with_binary(const E2EProject& p, const std::string& binary) {
  std::string text = drover::testing::read_text(p.repo() + "/drover.yaml");
  text.replace(text.find("default_agent: test"), 19, "default_agent: claude");
  text.replace(text.find("agents:\n"), 8, "agents:\n  claude:\n    plugin: claude\n    config: { binary: \"" + binary + "\" }\n");
  std::ofstream(p.repo() + "/drover.yaml") << text;
}

TEST(Preflight, AMissingAgentCliIsRefusedByConfigCheckAndRunWithoutUsingAnAttempt) {
  E2EProject p;
  use_claude_with_binary(p, "claude-not-installed-here");
  auto check = p.drover({"config", "check"});
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  EXPECT_NE(check.err.find("agent 'claude' cannot start: its program 'claude-not-installed-here' is not in PATH"),
            std::string::npos)
      << check.err;
  EXPECT_NE(check.err.find("npm install -g @anthropic-ai/claude-code"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("`binary:` under agents.claude.config in drover.yaml"), std::string::npos) << check.err;

  std::string id = p.add({"Work"});
  auto t0 = std::chrono::steady_clock::now();
  auto run = p.drover({"run"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("agent 'claude' cannot start"), std::string::npos) << run.err;
  EXPECT_EQ(p.task_states()[id], "ready") << "no attempt was used";
  auto info = p.drover({"info", id, "--json"});
  auto j = nlohmann::json::parse(info.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << info.out;
  EXPECT_EQ(j["task"]["attempts"], 0) << info.out;
}

TEST(Preflight, ARunOnlyChecksTheAgentsItsTasksNeed) {
  E2EProject p;
  use_claude_with_binary(p, "claude-not-installed-here");
  std::string id = p.add({"Work", "--agent", "test"});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(p.task_states()[id], "completed");
}

TEST(Preflight, ACliWhoseInterpreterIsMissingIsRefused) {
  E2EProject p;
  // What an npm-installed CLI looks like without node.
  const std::string cli = p.dir() + "/claude";
  std::ofstream(cli) << "#!/usr/bin/env node-not-installed-here\nconsole.log('2.1.197')\n";
  ::chmod(cli.c_str(), 0755);
  use_claude_with_binary(p, cli);
  auto check = p.drover({"config", "check"});
  EXPECT_EQ(check.exit_code, 2) << check.out << check.err;
  EXPECT_NE(check.err.find("agent 'claude' cannot start: `" + cli + " --version` exited with code 127"),
            std::string::npos)
      << check.err;
  EXPECT_NE(check.err.find("node-not-installed-here"), std::string::npos) << check.err;
}

TEST(Preflight, AMissingTargetBranchIsRefused) {
  E2EProject p;
  std::string text = drover::testing::read_text(p.repo() + "/drover.yaml");
  text.replace(text.find("target_branch: main"), 19, "target_branch: relase");
  std::ofstream(p.repo() + "/drover.yaml") << text;
  std::string id = p.add({"Work"});
  for (std::vector<std::string> args : {std::vector<std::string>{"config", "check"}, {"run"}}) {
    auto r = p.drover(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("target_branch 'relase' does not exist"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("git branch relase"), std::string::npos) << r.err;
  }
  EXPECT_EQ(p.task_states()[id], "ready");
}

}  // namespace
