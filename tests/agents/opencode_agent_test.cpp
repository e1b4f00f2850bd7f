// The opencode plugin's command line for every config option, exactly.
#include "agent_harness.h"

namespace drover::testing {
namespace {

TEST(OpencodeCommand, Defaults) {
  Agent agent("opencode", "");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request("do it"));
  EXPECT_EQ(cmd["argv"], json({"opencode", "run", "--format", "json", "--", "do it"}));
  EXPECT_EQ(cmd["stdin"], "null");
  EXPECT_NE(std::find(cmd["pass_env"].begin(), cmd["pass_env"].end(), "OPENCODE_*"), cmd["pass_env"].end());
}

TEST(OpencodeCommand, EveryOption) {
  Agent agent("opencode", "binary: /bin/oc\nauto: true\nmodel: anthropic/claude-sonnet-4-5\nresume: true\n"
                          "args: [--agent, build]\npass_env: [MY_KEY]\n");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request("p", "ses_1"));
  EXPECT_EQ(cmd["argv"], json({"/bin/oc", "run", "--format", "json", "--auto", "-m", "anthropic/claude-sonnet-4-5",
                               "-s", "ses_1", "--agent", "build", "--", "p"}));
  EXPECT_EQ(cmd["pass_env"].back(), "MY_KEY");
  EXPECT_EQ(agent.command(attempt_request("p"))["argv"],
            json({"/bin/oc", "run", "--format", "json", "--auto", "-m", "anthropic/claude-sonnet-4-5", "--agent",
                  "build", "--", "p"}));
}

TEST(OpencodeCommand, HugePromptGoesOnStdin) {
  Agent agent("opencode", "");
  json cmd = agent.command(attempt_request(std::string(200 * 1024, 'x')));
  EXPECT_EQ(cmd["stdin"], "prompt");
  EXPECT_EQ(cmd["argv"], json({"opencode", "run", "--format", "json"}));
}

TEST(OpencodeConfig, Errors) {
  CallResult r = check_config("opencode", "model: sonnet\n");
  EXPECT_EQ(r.status, DROVER_INVALID_CONFIG);
  EXPECT_NE(r.error.find("provider/model"), std::string::npos) << r.error;
  r = check_config("opencode", "autoo: true\n");
  EXPECT_NE(r.error.find("did you mean 'auto'"), std::string::npos) << r.error;
  EXPECT_EQ(check_config("opencode", "model: /x\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(check_config("opencode", "model: openrouter/anthropic/claude\n").status, DROVER_OK);
}

}  // namespace
}  // namespace drover::testing
