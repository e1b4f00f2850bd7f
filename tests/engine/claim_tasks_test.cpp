// Claiming several tasks at once through the real SQLite plugin (storage ABI
// 1.5, claim_tasks), and through the same plugin as a host sees one built for
// ABI 1.4 (its vtable ends before claim_tasks): then the host claims one by
// one, with the same result.
#include <gtest/gtest.h>

#include <cstddef>

#include "sqlite_plugin_store.h"

namespace drover::testing {
namespace {

using json = nlohmann::json;

class ClaimTasksTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    // As built, or as one built before claim_tasks existed.
    store_ = std::make_unique<SqlitePluginStore>(built_for_abi_14() ? offsetof(drover_storage_vtable_v1, claim_tasks) : 0);
    ASSERT_TRUE(store_->open());
  }
  bool built_for_abi_14() const { return GetParam(); }
  Task add(const std::string& title, int priority) {
    NewTask t;
    t.title = title;
    t.priority = priority;
    auto r = (*store_)->create_task(t, 1000);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : Task{};
  }

  std::unique_ptr<SqlitePluginStore> store_;
};

TEST_P(ClaimTasksTest, SeveralFreeWorkersAreFilledInClaimOrder) {
  Task low = add("low", 1);
  Task high = add("high", 5);
  Task mid = add("mid", 3);
  Task other = add("excluded", 9);
  ClaimRequest req{"exec-a", 60'000, 2000, std::nullopt, {}, "claude", {other.id}};
  auto two = (*store_)->claim_tasks(req, 2);
  ASSERT_TRUE(two.ok()) << two.status().message();
  ASSERT_EQ(two.value().size(), 2u);
  EXPECT_EQ(two.value()[0].id, high.id);
  EXPECT_EQ(two.value()[1].id, mid.id);
  for (const Task& t : two.value()) {
    EXPECT_EQ(t.status, TaskStatus::kRunning);
    EXPECT_EQ(t.lease_owner, std::optional<std::string>("exec-a"));
  }
  auto rest = (*store_)->claim_tasks(req, 10);
  ASSERT_TRUE(rest.ok()) << rest.status().message();
  ASSERT_EQ(rest.value().size(), 1u);
  EXPECT_EQ(rest.value()[0].id, low.id);
  auto none = (*store_)->claim_tasks(req, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());
}

INSTANTIATE_TEST_SUITE_P(Plugins, ClaimTasksTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Abi14" : "Abi15"; });

}  // namespace
}  // namespace drover::testing
