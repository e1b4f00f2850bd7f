// Several writes in one store call through the real SQLite plugin (storage
// ABI 1.6, apply_writes), and through the same plugin as a host sees one
// built for ABI 1.5 (its vtable ends before apply_writes): then the host
// makes the calls one by one, with the same answers — but not atomically.
#include <gtest/gtest.h>

#include <cstddef>

#include "sqlite_plugin_store.h"

namespace drover::testing {
namespace {

using json = nlohmann::json;

class ApplyWritesTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    // As built, or as one built before apply_writes existed.
    store_ = std::make_unique<SqlitePluginStore>(built_for_abi_15() ? offsetof(drover_storage_vtable_v1, apply_writes) : 0);
    ASSERT_TRUE(store_->open());
    NewTask t;
    t.title = "T";
    task_ = (*store_)->create_task(t, 1000).value().id;
    ASSERT_TRUE((*store_)->start_workflow("wf", "task", json::object(), "exec", 1000).ok());
  }
  bool built_for_abi_15() const { return GetParam(); }
  std::vector<StoreWrite> writes(const std::string& event_task) {
    StepRecord step;
    step.step = 0;
    step.name = "agent#1";
    step.outcome = json{{"exit", 0}};
    TaskUpdate u;
    u.tokens_in = 9;
    u.status_reason = "ran";
    return {StoreWrite::record_step("wf", step, 2000), StoreWrite::update_task(task_, u, 2000),
            StoreWrite::append_event(NewEvent{event_task, "attempt_finished", "done", json::object(), 2000}),
            StoreWrite::finish_workflow("wf", "succeeded", json{{"ok", true}}, 2001)};
  }

  std::unique_ptr<SqlitePluginStore> store_;
  std::string task_;
};

TEST_P(ApplyWritesTest, EachWriteIsAnsweredAsItsOwnCallWould) {
  auto r = (*store_)->apply_writes(writes(task_));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().size(), 4u);
  ASSERT_TRUE(r.value()[0].step.has_value());
  EXPECT_EQ(r.value()[0].step->name, "agent#1");
  EXPECT_TRUE(r.value()[0].step->recorded);
  ASSERT_TRUE(r.value()[1].task.has_value());
  EXPECT_EQ(r.value()[1].task->tokens_in, 9);
  EXPECT_EQ(r.value()[1].task->status_reason, "ran");
  EXPECT_FALSE(r.value()[2].step || r.value()[2].task);
  auto wf = (*store_)->get_workflow("wf");
  ASSERT_TRUE(wf.ok());
  EXPECT_EQ(wf.value().first.status, "succeeded");
  ASSERT_EQ(wf.value().second.size(), 1u);
  EXPECT_EQ(wf.value().second[0].outcome, (json{{"exit", 0}}));
}

TEST_P(ApplyWritesTest, AFailingWriteUndoesTheOthersOnlyWhereThePluginCan) {
  auto r = (*store_)->apply_writes(writes("t404"));  // the event's task does not exist
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().message();
  EXPECT_NE(r.status().message().find("t404"), std::string::npos) << r.status().message();
  const size_t steps = (*store_)->get_workflow("wf").value().second.size();
  const int64_t tokens = (*store_)->get_task(task_).value().tokens_in;
  if (built_for_abi_15()) {
    EXPECT_EQ(steps, 1u) << "one by one: the writes before the failing one stay";
    EXPECT_EQ(tokens, 9);
  } else {
    EXPECT_EQ(steps, 0u) << "one transaction: nothing written";
    EXPECT_EQ(tokens, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Plugins, ApplyWritesTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Abi15" : "Abi16"; });

}  // namespace
}  // namespace drover::testing
