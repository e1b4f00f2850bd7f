// The codex plugin's command line for every config option, exactly.
#include "agent_harness.h"

namespace drover::testing {
namespace {

json argv_for(const std::string& yaml, const json& request = attempt_request()) {
  Agent agent("codex", yaml);
  EXPECT_TRUE(agent.ok()) << agent.error();
  return agent.ok() ? agent.command(request)["argv"] : json();
}

TEST(CodexCommand, Defaults) {
  Agent agent("codex", "");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request("do it"));
  EXPECT_EQ(cmd["argv"], json({"codex", "exec", "--json", "--skip-git-repo-check", "-s", "workspace-write", "--", "do it"}));
  EXPECT_EQ(cmd["stdin"], "null");
  EXPECT_EQ(cmd["pass_env"], json({"OPENAI_*", "CODEX_*"}));
}

TEST(CodexCommand, EveryOption) {
  EXPECT_EQ(argv_for("binary: /usr/local/bin/codex\nmodel: gpt-5-codex\nsandbox: read-only\n"
                     "config: {model_reasoning_effort: high, \"sandbox_workspace_write.network_access\": \"true\"}\n"
                     "args: [--color, never]\n"),
            json({"/usr/local/bin/codex", "exec", "--json", "--skip-git-repo-check", "-s", "read-only", "-m",
                  "gpt-5-codex", "-c", "model_reasoning_effort=high", "-c", "sandbox_workspace_write.network_access=true",
                  "--color", "never", "--", "do it"}));
  EXPECT_EQ(argv_for("dangerously_bypass: true\n"),
            json({"codex", "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "--",
                  "do it"}));
}

TEST(CodexCommand, ResumeUsesTheThreadId) {
  EXPECT_EQ(argv_for("resume: true\n", attempt_request("again", "01a2-thread")),
            json({"codex", "exec", "--json", "--skip-git-repo-check", "-s", "workspace-write", "resume", "01a2-thread",
                  "--", "again"}));
  EXPECT_EQ(argv_for("resume: true\n", attempt_request("again")).size(), 8u);
}

TEST(CodexCommand, HugePromptIsReadFromStdin) {
  Agent agent("codex", "");
  json cmd = agent.command(attempt_request(std::string(200 * 1024, 'x')));
  EXPECT_EQ(cmd["stdin"], "prompt");
  EXPECT_EQ(cmd["argv"], json({"codex", "exec", "--json", "--skip-git-repo-check", "-s", "workspace-write", "-"}));
}

TEST(CodexConfig, Errors) {
  auto err = [](const std::string& yaml) {
    CallResult r = check_config("codex", yaml);
    EXPECT_EQ(r.status, DROVER_INVALID_CONFIG) << yaml;
    return r.error;
  };
  EXPECT_NE(err("sandbx: read-only\n").find("did you mean 'sandbox'"), std::string::npos);
  EXPECT_NE(err("full_auto: true\n").find("unknown config key 'full_auto'"), std::string::npos);
  EXPECT_NE(err("sandbox: yolo\n").find("read-only, workspace-write or danger-full-access"), std::string::npos);
  EXPECT_NE(err("sandbox: read-only\ndangerously_bypass: true\n").find("not both"), std::string::npos);
  EXPECT_NE(err("config: [a]\n").find("mapping"), std::string::npos);
  EXPECT_EQ(check_config("codex", "sandbox: danger-full-access\nresume: true\n").status, DROVER_OK);
}

}  // namespace
}  // namespace drover::testing
