// The plugin host refuses every broken plugin file with a message that names
// the file, what is wrong and the fix.
#include <gtest/gtest.h>

#include "drover/plugin_host/plugin_workspace.h"

#include <filesystem>
#include <fstream>

#include "drover/plugin_host/plugin_host.h"

namespace drover {
namespace {

std::string variant(const std::string& name) { return std::string(VARIANT_PLUGIN_DIR) + "/libdrover-storage-" + name + ".so"; }

Status load_error(const std::string& path, drover_plugin_kind kind = 0) {
  PluginHost host({});
  auto r = host.load_file(path, kind);
  EXPECT_FALSE(r.ok()) << path << " loaded but should not have";
  return r.ok() ? Status::Ok() : r.status();
}

TEST(PluginHost, LoadsAWellFormedPlugin) {
  PluginHost host({VARIANT_PLUGIN_DIR});
  auto r = host.load(DROVER_KIND_STORAGE, "variant");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value()->info.name, "variant");
  EXPECT_EQ(r.value()->info.version, "9.9.9");
  EXPECT_EQ(r.value()->info.abi_major, 1);
  // Loading again returns the same instance (never loaded twice, never unloaded).
  auto again = host.load_file(variant("variant"), DROVER_KIND_STORAGE);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value(), r.value());
}

TEST(PluginHost, RefusesAFileThatIsNotAPlugin) {
  Status st = load_error(variant("noentry"));
  EXPECT_EQ(st.message(), "'" + variant("noentry") +
                              "' is not a Drover plugin: it does not export drover_plugin_entry_v1 (was it built with "
                              "drover_add_plugin() against this SDK?)");
}

TEST(PluginHost, RefusesAFileThatIsNotALibraryAtAll) {
  auto path = std::filesystem::temp_directory_path() / "libdrover-storage-text.so";
  std::ofstream(path) << "just some text\n";
  Status st = load_error(path.string());
  EXPECT_NE(st.message().find("'" + path.string() + "' is not a Drover plugin: not a loadable shared library"),
            std::string::npos)
      << st.message();
  std::filesystem::remove(path);
}

TEST(PluginHost, RefusesAnotherAbiMajor) {
  Status st = load_error(variant("major2"));
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_EQ(st.message(), "plugin at " + variant("major2") +
                              " was built for plugin ABI 2.0; this drover supports ABI 1.0–1.6. Rebuild it against "
                              "this SDK or use a drover that supports ABI 2.0");
}

TEST(PluginHost, RefusesANewerAbiMinor) {
  Status st = load_error(variant("newer"));
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_EQ(st.message(), "plugin 'newer' (" + variant("newer") +
                              ") was built for plugin ABI 1.99; this drover supports ABI 1.0–1.6. Rebuild it against "
                              "this SDK or upgrade drover");
}

TEST(PluginHost, RefusesTheWrongKind) {
  Status st = load_error(variant("wrongkind"), DROVER_KIND_STORAGE);
  EXPECT_EQ(st.message(), "plugin 'wrongkind' (" + variant("wrongkind") +
                              ") is an agent plugin, but it is configured as a storage plugin");
}

TEST(PluginHost, SurfacesTheLoadersMessageForAMissingSymbol) {
  Status st = load_error(variant("missing"));
  EXPECT_NE(st.message().find("plugin " + variant("missing") + " could not be loaded: "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("undefined symbol: drover_test_symbol_that_does_not_exist"), std::string::npos)
      << st.message();
}

// A storage plugin built for ABI 1.1 ends its vtable before the 1.2 entries
// (edit_task ...): it loads, and those operations are "unsupported".
TEST(PluginHost, LoadsAStoragePluginBuiltForAnOlderMinor) {
  PluginHost host({});
  auto r = host.load_file(variant("abi11"), DROVER_KIND_STORAGE);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value()->info.abi_minor, 1);
}

TEST(PluginHost, RefusesAVtableTooSmall) {
  Status st = load_error(variant("small"));
  EXPECT_NE(st.message().find("plugin 'small' (" + variant("small") + ") has a storage vtable of 16 bytes; ABI 1.6 needs at least "),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("Rebuild it against this SDK"), std::string::npos);
}

TEST(PluginHost, NamesWhereItLookedForAMissingPlugin) {
  PluginHost host({"/nonexistent/dir"});
  auto r = host.load(DROVER_KIND_STORAGE, "nosuch");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no storage plugin named 'nosuch' (looked for libdrover-storage-nosuch.so in "
                                      "/nonexistent/dir"),
            std::string::npos)
      << r.status().message();
}

TEST(PluginHost, ListsEveryFileWithItsErrors) {
  PluginHost host({VARIANT_PLUGIN_DIR});
  int ok = 0, broken = 0;
  for (auto& l : host.list()) {
    if (l.path.find(VARIANT_PLUGIN_DIR) != 0) continue;
    (l.plugin.ok() ? ok : broken)++;
  }
  EXPECT_EQ(ok, 4);      // variant, wrongkind (a kind is only wrong where it is configured), abi10, abi11
  EXPECT_EQ(broken, 5);  // major2, newer, small, missing, noentry
}

// A VCS plugin built for ABI 1.0 loads into this 1.1 host; the entries 1.1
// appended are "unsupported" for it, found by its struct_size (its memory past
// the 1.0 vtable holds a canary that would crash a host reading it).
TEST(PluginHost, AVcsPluginBuiltForAbi10LoadsAndLacksOnlyTheNewerEntries) {
  PluginHost host({VARIANT_PLUGIN_DIR});
  auto plugin = host.load_file(std::string(VARIANT_PLUGIN_DIR) + "/libdrover-vcs-abi10.so", DROVER_KIND_VCS);
  ASSERT_TRUE(plugin.ok()) << plugin.status().message();
  EXPECT_EQ(plugin.value()->info.abi_minor, 0);
  auto ws = PluginWorkspace::open(*plugin.value(), "{}", nlohmann::json::object());
  ASSERT_TRUE(ws.ok()) << ws.status().message();
  EXPECT_TRUE(ws.value()->repo_info().ok()) << "1.0 entries work";
  auto state = ws.value()->checkout_state("main");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(state.status().message().find("does not implement checkout_state (built for an older plugin ABI)"),
            std::string::npos)
      << state.status().message();
  auto reset = ws.value()->reset(WorktreeKey{"t1", 1}, "abc", "refs/drover/x");
  EXPECT_EQ(reset.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(ws.value()->target_moves(WorktreeKey{"t1", 1}, "main", "abc", false).status().code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace drover
