// Claiming several tasks at once through the real SQLite plugin (storage ABI
// 1.5, claim_tasks), and through the same plugin as a host sees one built for
// ABI 1.4 (its vtable ends before claim_tasks): then the host claims one by
// one, with the same result.
#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <random>

#include "drover/plugin_host/plugin_host.h"
#include "drover/plugin_host/plugin_task_store.h"

namespace drover::testing {
namespace {

using json = nlohmann::json;

class ClaimTasksTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("drover-claims-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    static PluginHost host({DROVER_TEST_PLUGIN_DIR});
    auto p = host.load(DROVER_KIND_STORAGE, "sqlite");
    ASSERT_TRUE(p.ok()) << p.status().message();
    plugin_ = *p.value();
    if (built_for_abi_14()) {
      // The same plugin, as one built before claim_tasks existed.
      vtable_ = plugin_.vtable<drover_storage_vtable_v1>();
      vtable_.struct_size = offsetof(drover_storage_vtable_v1, claim_tasks);
      descriptor_ = *plugin_.descriptor;
      descriptor_.vtable = &vtable_;
      plugin_.descriptor = &descriptor_;
    }
    auto s = PluginTaskStore::open(plugin_, "{path: drover.db}",
                                   json{{"project_root", dir_.string()}, {"drover_dir", (dir_ / ".drover").string()}});
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s.value());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool built_for_abi_14() const { return GetParam(); }
  Task add(const std::string& title, int priority) {
    NewTask t;
    t.title = title;
    t.priority = priority;
    auto r = store_->create_task(t, 1000);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : Task{};
  }

  std::filesystem::path dir_;
  LoadedPlugin plugin_;
  drover_storage_vtable_v1 vtable_{};
  drover_plugin_descriptor descriptor_{};
  std::unique_ptr<PluginTaskStore> store_;
};

TEST_P(ClaimTasksTest, SeveralFreeWorkersAreFilledInClaimOrder) {
  Task low = add("low", 1);
  Task high = add("high", 5);
  Task mid = add("mid", 3);
  Task other = add("excluded", 9);
  ClaimRequest req{"exec-a", 60'000, 2000, std::nullopt, {}, "claude", {other.id}};
  auto two = store_->claim_tasks(req, 2);
  ASSERT_TRUE(two.ok()) << two.status().message();
  ASSERT_EQ(two.value().size(), 2u);
  EXPECT_EQ(two.value()[0].id, high.id);
  EXPECT_EQ(two.value()[1].id, mid.id);
  for (const Task& t : two.value()) {
    EXPECT_EQ(t.status, TaskStatus::kRunning);
    EXPECT_EQ(t.lease_owner, std::optional<std::string>("exec-a"));
  }
  auto rest = store_->claim_tasks(req, 10);
  ASSERT_TRUE(rest.ok()) << rest.status().message();
  ASSERT_EQ(rest.value().size(), 1u);
  EXPECT_EQ(rest.value()[0].id, low.id);
  auto none = store_->claim_tasks(req, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());
}

INSTANTIATE_TEST_SUITE_P(Plugins, ClaimTasksTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) { return info.param ? "Abi14" : "Abi15"; });

}  // namespace
}  // namespace drover::testing
