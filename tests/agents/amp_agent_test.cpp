// The amp plugin's command line for every config option, exactly.
#include "agent_harness.h"

namespace drover::testing {
namespace {

TEST(AmpCommand, DefaultsPutThePromptOnStdin) {
  Agent agent("amp", "");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request("do it"));
  EXPECT_EQ(cmd["argv"], json({"amp", "-x", "--stream-json"}));
  EXPECT_EQ(cmd["stdin"], "prompt");
  EXPECT_EQ(cmd["pass_env"], json({"AMP_*"}));
}

TEST(AmpCommand, EveryOption) {
  Agent agent("amp", "binary: /opt/amp\ndangerously_allow_all: true\nmode: rush\nargs: [--no-notifications]\n"
                     "env: {AMP_URL: \"https://amp.example\"}\nresume: true\n");
  ASSERT_TRUE(agent.ok()) << agent.error();
  json cmd = agent.command(attempt_request("p", "T-abc"));
  EXPECT_EQ(cmd["argv"], json({"/opt/amp", "threads", "continue", "T-abc", "-x", "--stream-json",
                               "--dangerously-allow-all", "-m", "rush", "--no-notifications"}));
  EXPECT_EQ(cmd["env"], json({{"AMP_URL", "https://amp.example"}}));
  EXPECT_EQ(agent.command(attempt_request("p"))["argv"],
            json({"/opt/amp", "-x", "--stream-json", "--dangerously-allow-all", "-m", "rush", "--no-notifications"}));
}

TEST(AmpConfig, Errors) {
  CallResult r = check_config("amp", "model: x\n");
  EXPECT_EQ(r.status, DROVER_INVALID_CONFIG);
  EXPECT_NE(r.error.find("'model' is not supported"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("use 'mode'"), std::string::npos) << r.error;
  r = check_config("amp", "dangerously_allow: true\n");
  EXPECT_NE(r.error.find("did you mean 'dangerously_allow_all'"), std::string::npos) << r.error;
  EXPECT_EQ(check_config("amp", "dangerously_allow_all: yes-please\n").status, DROVER_INVALID_CONFIG);
  EXPECT_EQ(check_config("amp", "mode: smart\n").status, DROVER_OK);
}

}  // namespace
}  // namespace drover::testing
