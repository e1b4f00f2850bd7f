// The real SQLite storage plugin as the engine opens it, in a directory of
// its own, for engine tests that need a real store: as built, or as a host
// sees the same plugin built for an older ABI (its vtable cut short before
// an optional entry, so the host falls back as it would).
#ifndef DROVER_TESTS_ENGINE_SQLITE_PLUGIN_STORE_H
#define DROVER_TESTS_ENGINE_SQLITE_PLUGIN_STORE_H

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "drover/plugin_host/plugin_host.h"
#include "drover/plugin_host/plugin_task_store.h"

namespace drover::testing {

class SqlitePluginStore {
 public:
  // vtable_size 0: the plugin as built; else its vtable ends there (say,
  // offsetof(drover_storage_vtable_v1, claim_tasks) for a plugin built for 1.4).
  explicit SqlitePluginStore(size_t vtable_size = 0) {
    dir_ = std::filesystem::temp_directory_path() / ("drover-store-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    static PluginHost host({DROVER_TEST_PLUGIN_DIR});
    auto p = host.load(DROVER_KIND_STORAGE, "sqlite");
    EXPECT_TRUE(p.ok()) << p.status().message();
    if (!p.ok()) return;
    plugin_ = *p.value();
    if (vtable_size != 0) {
      vtable_ = plugin_.vtable<drover_storage_vtable_v1>();
      vtable_.struct_size = vtable_size;
      descriptor_ = *plugin_.descriptor;
      descriptor_.vtable = &vtable_;
      plugin_.descriptor = &descriptor_;
    }
    auto s = PluginTaskStore::open(plugin_, "{path: drover.db}",
                                   nlohmann::json{{"project_root", dir_.string()},
                                                  {"drover_dir", (dir_ / ".drover").string()}});
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (s.ok()) store_ = std::move(s.value());
  }
  ~SqlitePluginStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  SqlitePluginStore(const SqlitePluginStore&) = delete;
  SqlitePluginStore& operator=(const SqlitePluginStore&) = delete;

  bool open() const { return store_ != nullptr; }
  PluginTaskStore& operator*() { return *store_; }
  PluginTaskStore* operator->() { return store_.get(); }

 private:
  std::filesystem::path dir_;
  LoadedPlugin plugin_;  // its descriptor may point at the two below
  drover_storage_vtable_v1 vtable_{};
  drover_plugin_descriptor descriptor_{};
  std::unique_ptr<PluginTaskStore> store_;
};

}  // namespace drover::testing

#endif
