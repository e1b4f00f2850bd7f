// build_child_environment: only allow-listed names pass, "PREFIX_*" patterns
// match by prefix, explicit values win.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>

#include "drover/process/process_runner.h"

namespace drover {
namespace {

TEST(ChildEnvironment, DefaultListHasTheBasicsAndNoSecrets) {
  const auto& list = default_environment_allow_list();
  for (const char* name : {"HOME", "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TMPDIR", "USER", "LOGNAME", "SHELL",
                           "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR"}) {
    EXPECT_NE(std::find(list.begin(), list.end(), name), list.end()) << name;
  }
  for (const char* name : {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "AMP_API_KEY"}) {
    EXPECT_EQ(std::find(list.begin(), list.end(), name), list.end()) << name;
  }
}

TEST(ChildEnvironment, OnlyAllowedNamesPass) {
  ::setenv("DROVER_ENV_TEST_A", "1", 1);
  ::setenv("DROVER_ENV_TEST_B", "2", 1);
  ::unsetenv("DROVER_ENV_TEST_MISSING");
  auto env = build_child_environment({"DROVER_ENV_TEST_A", "DROVER_ENV_TEST_MISSING"}, {});
  EXPECT_EQ(env.size(), 1u);
  EXPECT_EQ(env["DROVER_ENV_TEST_A"], "1");
}

TEST(ChildEnvironment, PrefixPatternsAndExtrasWin) {
  ::setenv("DROVER_PFX_ONE", "1", 1);
  ::setenv("DROVER_PFX_TWO", "2", 1);
  ::setenv("DROVER_OTHER", "x", 1);
  auto env = build_child_environment({"DROVER_PFX_*"}, {{"DROVER_PFX_TWO", "override"}, {"NEW", "v"}});
  EXPECT_EQ(env.size(), 3u);
  EXPECT_EQ(env["DROVER_PFX_ONE"], "1");
  EXPECT_EQ(env["DROVER_PFX_TWO"], "override");
  EXPECT_EQ(env["NEW"], "v");
}

}  // namespace
}  // namespace drover
