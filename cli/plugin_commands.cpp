// drover plugins list / inspect.
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "cli_support.h"

namespace drover::cli {
namespace {

json info_json(const PluginInfo& i) {
  return json{{"name", i.name},
              {"kind", kind_name(i.kind)},
              {"version", i.version},
              {"abi", std::to_string(i.abi_major) + "." + std::to_string(i.abi_minor)},
              {"file", i.path},
              {"build_info", i.build_info},
              {"vtable_size", i.vtable_size},
              {"config_schema", i.config_schema.empty() ? json() : json(i.config_schema)}};
}

// The plugin directories: drover.yaml's plugin_dirs when a config is found, plus the default.
std::vector<std::string> plugin_dirs(const GlobalOptions& g) {
  auto path = locate_config(g.config_path, std::filesystem::current_path().string());
  if (!path.ok()) return {};
  auto c = load_config_file(path.value());
  check(c.status());
  return c.value().plugin_dirs;
}

}  // namespace

void add_plugin_commands(CLI::App& app, GlobalOptions& g) {
  auto* plugins = app.add_subcommand("plugins", "List and inspect plugins");
  plugins->require_subcommand(1);

  auto* list_json = new bool(false);
  auto* list = plugins->add_subcommand("list", "Every plugin found in the plugin directories");
  list->add_flag("--json", *list_json, "JSON array of descriptors (broken files have an \"error\")");
  list->callback([&g, list_json] {
    PluginHost host(plugin_dirs(g));
    json out = json::array();
    for (auto& l : host.list()) {
      if (l.plugin.ok()) out.push_back(info_json(l.plugin.value()->info));
      else out.push_back(json{{"file", l.path}, {"error", l.plugin.status().message()}});
    }
    if (*list_json) {
      std::cout << out.dump(2) << "\n";
      return;
    }
    if (out.empty()) {
      std::string dirs;
      for (const auto& d : host.search_dirs()) dirs += (dirs.empty() ? "" : ", ") + d;
      std::cout << "no plugins found in " << dirs << "\n";
      return;
    }
    std::cout << std::left << std::setw(10) << "NAME" << std::setw(9) << "KIND" << std::setw(10) << "VERSION"
              << std::setw(6) << "ABI" << "FILE\n";
    for (const auto& p : out) {
      if (p.contains("error")) {
        std::cerr << "drover: " << p["error"].get<std::string>() << "\n";
        continue;
      }
      std::cout << std::left << std::setw(10) << p["name"].get<std::string>() << std::setw(9)
                << p["kind"].get<std::string>() << std::setw(10) << p["version"].get<std::string>() << std::setw(6)
                << p["abi"].get<std::string>() << p["file"].get<std::string>() << "\n";
    }
  });

  auto* file = new std::string();
  auto* inspect_json = new bool(false);
  auto* inspect = plugins->add_subcommand("inspect", "Show one plugin file's descriptor (checks it; creates nothing)");
  inspect->add_option("file", *file, "path to a libdrover-<kind>-<name>.so")->required();
  inspect->add_flag("--json", *inspect_json, "JSON output");
  inspect->callback([file, inspect_json] {
    PluginHost host({});
    auto p = host.load_file(*file, 0);
    check(p.status());
    json j = info_json(p.value()->info);
    if (*inspect_json) {
      std::cout << j.dump(2) << "\n";
      return;
    }
    for (const char* k : {"name", "kind", "version", "abi", "file", "build_info"})
      std::cout << std::left << std::setw(12) << (std::string(k) + ":") << j[k].get<std::string>() << "\n";
    std::cout << std::left << std::setw(12) << "vtable:" << j["vtable_size"].get<uint32_t>() << " bytes\n";
  });
}

}  // namespace drover::cli
