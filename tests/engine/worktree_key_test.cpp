// WorktreeKey: the one place a task's worktree name is formatted and parsed.
#include <gtest/gtest.h>

#include "drover/model/task.h"
#include "drover/model/worktree_key.h"

namespace drover {
namespace {

TEST(WorktreeKey, FormatsAndParsesEveryRound) {
  EXPECT_EQ((WorktreeKey{"t3", 1}).str(), "t3");
  EXPECT_EQ((WorktreeKey{"t3", 2}).str(), "t3-r2");
  EXPECT_EQ((WorktreeKey{"t12.4", 11}).str(), "t12.4-r11");
  for (const WorktreeKey& k : {WorktreeKey{"t3", 1}, WorktreeKey{"t3", 2}, WorktreeKey{"t12.4", 11}}) {
    auto back = WorktreeKey::parse(k.str());
    ASSERT_TRUE(back.has_value()) << k.str();
    EXPECT_EQ(*back, k);
  }
}

TEST(WorktreeKey, RefusesNamesNoKeyFormatsTo) {
  EXPECT_FALSE(WorktreeKey::parse("").has_value());
  EXPECT_FALSE(WorktreeKey::parse("t3-r1").has_value()) << "round 1 is plain t3";
  EXPECT_FALSE(WorktreeKey::parse("t3-r0").has_value());
  EXPECT_FALSE(WorktreeKey::parse("t3-r02").has_value());
  // "-r" not followed by a number is part of a (foreign) name.
  EXPECT_EQ(WorktreeKey::parse("feature-rx")->task, "feature-rx");
}

TEST(TaskRecord, RoundTripsThroughJsonWithItsWait) {
  Task t;
  t.id = "t7";
  t.title = "Parse";
  t.status = TaskStatus::kReady;
  t.agent = "claude";
  t.not_before_ms = 5000;
  t.wait = WaitReason{WaitKind::kQuota, "claude", "limit", {}, 5000};
  t.blocked_by = {"t1", "t2"};
  Task back = task_from_json(to_json(t));
  EXPECT_EQ(back.id, "t7");
  EXPECT_EQ(back.agent, "claude");
  EXPECT_FALSE(back.epic.has_value());
  EXPECT_EQ(back.wait.kind, WaitKind::kQuota);
  EXPECT_EQ(back.wait.agent, "claude");
  EXPECT_EQ(back.wait.until_ms, 5000);
  EXPECT_EQ(back.blocked_by, t.blocked_by);
  // A store without typed waits (or a task that does not wait) reads as none.
  EXPECT_FALSE(task_from_json(nlohmann::json{{"id", "t1"}, {"wait", nullptr}}).wait.active());
  EXPECT_FALSE(task_from_json(nlohmann::json{{"id", "t1"}, {"wait", {{"kind", "nonsense"}}}}).wait.active());
  EXPECT_EQ(parse_task_status("bogus"), std::nullopt);
}

}  // namespace
}  // namespace drover
