// The run's sandbox mode: configured or not, on a kernel with or without Landlock.
#include <gtest/gtest.h>

#include "drover/sandbox/landlock.h"
#include "drover/sandbox/sandbox_mode.h"

namespace drover {
namespace {

TEST(SandboxMode, AbsentMeansEnforceWithLandlockElseDetect) {
  auto with = choose_sandbox_mode(std::nullopt, 7, "", "");
  ASSERT_TRUE(with.ok());
  EXPECT_EQ(with.value().mode, SandboxMode::kEnforce);
  EXPECT_NE(with.value().announcement.find("Landlock ABI 7"), std::string::npos);
  auto without = choose_sandbox_mode(std::nullopt, 0, "this kernel has no Landlock", "");
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without.value().mode, SandboxMode::kDetect);
  EXPECT_NE(without.value().announcement.find("this kernel has no Landlock"), std::string::npos);
}

TEST(SandboxMode, ExplicitEnforceWithoutLandlockIsRefusedWithTheFix) {
  auto r = choose_sandbox_mode(SandboxMode::kEnforce, 0, "this kernel has no Landlock", "drover.yaml:3:10");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("drover.yaml:3:10"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("sandbox: detect"), std::string::npos) << r.status().message();
}

TEST(SandboxMode, ConfiguredModesAreKept) {
  EXPECT_EQ(choose_sandbox_mode(SandboxMode::kOff, 7, "", "").value().mode, SandboxMode::kOff);
  EXPECT_EQ(choose_sandbox_mode(SandboxMode::kDetect, 7, "", "").value().mode, SandboxMode::kDetect);
}

TEST(SandboxMode, LandlockRightsGrowWithTheAbi) {
  EXPECT_EQ(landlock_write_rights(0), 0u);
  EXPECT_LT(landlock_write_rights(1), landlock_write_rights(2));  // + refer
  EXPECT_LT(landlock_write_rights(2), landlock_write_rights(3));  // + truncate
  EXPECT_EQ(landlock_write_rights(3), landlock_write_rights(7)) << "later rights (ioctl, net, scopes) stay unhandled";
}

}  // namespace
}  // namespace drover
