// The claude plugin's command line for every config option, exactly.
#include <unistd.h>

#include "agent_harness.h"

namespace drover::testing {
namespace {

json argv_for(const std::string& yaml, const json& request = attempt_request()) {
  Agent agent("claude", yaml);
  EXPECT_TRUE(agent.ok()) << agent.error();
  return agent.ok() ? agent.command(request)["argv"] : json();
}

TEST(ClaudeCommand, Defaults) {
  Agent agent("claude", "");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request("do it"));
  EXPECT_EQ(cmd["argv"], json({"claude", "-p", "--output-format", "stream-json", "--verbose", "--permission-mode",
                               "acceptEdits", "--", "do it"}));
  EXPECT_EQ(cmd["stdin"], "null");
  EXPECT_EQ(cmd["env"], json::object());
  EXPECT_EQ(cmd["pass_env"], json({"ANTHROPIC_*", "CLAUDE_CODE_*", "CLAUDE_CONFIG_DIR"}));
}

TEST(ClaudeCommand, EveryOption) {
  json argv = argv_for(
      "binary: /opt/claude/bin/claude\n"
      "model: claude-sonnet-4-5\n"
      "permission_mode: plan\n"
      "max_turns: 25\n"
      "append_system_prompt: \"Be brief. Use 'tests'.\"\n"
      "allowed_tools: [\"Bash(git diff:*)\", Edit, Read]\n"
      "args: [--add-dir, /data]\n",
      attempt_request("-starts with a dash"));
  EXPECT_EQ(argv, json({"/opt/claude/bin/claude", "-p", "--allowedTools", "Bash(git diff:*)", "Edit", "Read",
                        "--output-format", "stream-json", "--verbose", "--model", "claude-sonnet-4-5",
                        "--permission-mode", "plan", "--max-turns", "25", "--append-system-prompt",
                        "Be brief. Use 'tests'.", "--add-dir", "/data", "--", "-starts with a dash"}));
}

TEST(ClaudeCommand, SkipPermissionsSetsIsSandboxOnlyForRoot) {
  Agent agent("claude", "dangerously_skip_permissions: true\nenv: {FOO: bar}\n");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request());
  EXPECT_EQ(cmd["argv"], json({"claude", "-p", "--output-format", "stream-json", "--verbose",
                               "--dangerously-skip-permissions", "--", "do it"}));
  json env = {{"FOO", "bar"}};
  if (::geteuid() == 0) env["IS_SANDBOX"] = "1";
  EXPECT_EQ(cmd["env"], env);

  Agent bypass("claude", "permission_mode: bypassPermissions\n");
  json benv = bypass.command(attempt_request())["env"];
  EXPECT_EQ(benv.contains("IS_SANDBOX"), ::geteuid() == 0);
  Agent accept("claude", "permission_mode: acceptEdits\n");
  EXPECT_FALSE(accept.command(attempt_request())["env"].contains("IS_SANDBOX"));
}

TEST(ClaudeCommand, ResumeOnlyWhenEnabledAndASessionExists) {
  EXPECT_EQ(argv_for("resume: true\n", attempt_request("p", "sess-1")),
            json({"claude", "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits",
                  "--resume", "sess-1", "--", "p"}));
  EXPECT_EQ(argv_for("resume: true\n", attempt_request("p")).size(), 9u);
  EXPECT_EQ(argv_for("resume: false\n", attempt_request("p", "sess-1")).size(), 9u);
}

TEST(ClaudeCommand, HugePromptGoesOnStdin) {
  Agent agent("claude", "");
  json cmd = agent.command(attempt_request(std::string(200 * 1024, 'x')));
  EXPECT_EQ(cmd["stdin"], "prompt");
  EXPECT_EQ(cmd["argv"], json({"claude", "-p", "--output-format", "stream-json", "--verbose", "--permission-mode",
                               "acceptEdits"}));
}

TEST(ClaudeConfig, Errors) {
  auto err = [](const std::string& yaml) {
    CallResult r = check_config("claude", yaml);
    EXPECT_EQ(r.status, DROVER_INVALID_CONFIG) << yaml;
    return r.error;
  };
  EXPECT_NE(err("max_turn: 3\n").find("unknown config key 'max_turn' (did you mean 'max_turns'?"), std::string::npos);
  EXPECT_NE(err("modle: x\n").find("did you mean 'model'"), std::string::npos);
  EXPECT_NE(err("allowed_tool: [a]\n").find("did you mean 'allowed_tools'"), std::string::npos);
  EXPECT_NE(err("permission_mode: yolo\n").find("acceptEdits, bypassPermissions"), std::string::npos);
  EXPECT_NE(err("max_turns: 0\n").find("at least 1"), std::string::npos);
  EXPECT_NE(err("max_turns: many\n").find("must be an integer"), std::string::npos);
  EXPECT_NE(err("allowed_tools: Edit\n").find("list of strings"), std::string::npos);
  EXPECT_NE(err("permission_mode: plan\ndangerously_skip_permissions: true\n").find("not both"), std::string::npos);
  EXPECT_NE(err("- a\n- b\n").find("mapping"), std::string::npos);
  EXPECT_NE(err("binary: \"\"\n").find("'binary'"), std::string::npos);
  EXPECT_EQ(check_config("claude", "model: opus\nresume: true\npass_env: [AWS_*]\n").status, DROVER_OK);
  EXPECT_EQ(check_config("claude", "").status, DROVER_OK);
}

}  // namespace
}  // namespace drover::testing
