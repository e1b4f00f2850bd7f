// PluginHost: finds plugin files, checks them against the ABI before calling
// anything in them, loads them (RTLD_NOW | RTLD_LOCAL, never unloaded), and
// hands out their descriptors. Every refusal names the file, what is wrong and
// the fix. DROVER_DEBUG_PLUGINS=1 prints each decision to stderr.
#ifndef DROVER_PLUGIN_HOST_PLUGIN_HOST_H
#define DROVER_PLUGIN_HOST_PLUGIN_HOST_H

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drover/plugin/abi.h"
#include "drover/status.h"

namespace drover {

// What a plugin file says about itself.
struct PluginInfo {
  std::string path;
  std::string name;
  drover_plugin_kind kind = 0;
  std::string version;
  int abi_major = 0;
  int abi_minor = 0;
  std::string build_info;
  std::string config_schema;
  uint32_t vtable_size = 0;
};

// "agent", "storage", "vcs" (or "unknown(<n>)").
std::string kind_name(drover_plugin_kind kind);
// Parses "agent"/"storage"/"vcs"; returns 0 for anything else.
drover_plugin_kind kind_from_name(const std::string& name);

// A loaded, checked plugin.
struct LoadedPlugin {
  PluginInfo info;
  const drover_plugin_descriptor* descriptor = nullptr;
  template <class Vtable>
  const Vtable& vtable() const {
    return *static_cast<const Vtable*>(descriptor->vtable);
  }
};

class PluginHost {
 public:
  // search_dirs are tried in order, then the default directory next to the
  // drover executable (<prefix>/lib/drover/plugins).
  explicit PluginHost(std::vector<std::string> search_dirs);

  // The default plugin directory derived from the executable's location.
  static std::string default_plugin_dir();

  // Every directory searched, in order.
  const std::vector<std::string>& search_dirs() const { return dirs_; }

  // Loads and checks the plugin of this kind and name
  // (file libdrover-<kind>-<name>.so in the search directories).
  Result<const LoadedPlugin*> load(drover_plugin_kind kind, const std::string& name);

  // Loads and checks one file; expected_kind 0 accepts any kind.
  Result<const LoadedPlugin*> load_file(const std::string& path, drover_plugin_kind expected_kind = 0);

  // Every libdrover-*.so file in the search directories, loaded and checked;
  // failures are returned with their message.
  struct Listing {
    std::string path;
    Result<const LoadedPlugin*> plugin;
  };
  std::vector<Listing> list();

 private:
  std::vector<std::string> dirs_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<LoadedPlugin>> loaded_;  // by canonical path
};

}  // namespace drover

#endif
