#include "store_config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "drover/plugin/sdk.hpp"

namespace drover::sqlite_storage {

namespace {
[[noreturn]] void invalid(const std::string& message) {
  throw drover::sdk::Error(DROVER_INVALID_CONFIG, "sqlite storage config: " + message);
}
}  // namespace

StoreConfig parse_config(std::string_view yaml) {
  StoreConfig config;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    invalid(std::string("not valid YAML: ") + e.what());
  }
  if (!root || root.IsNull()) return config;
  if (!root.IsMap()) invalid("expected a mapping of keys (path), got something else");
  for (const auto& entry : root) {
    std::string key = entry.first.Scalar();
    if (key == "path") {
      if (!entry.second.IsScalar() || entry.second.Scalar().empty()) {
        invalid("key 'path' must be a non-empty string (the database file)");
      }
      config.path = entry.second.Scalar();
    } else {
      invalid("unknown key '" + key + "'; the only key is 'path'");
    }
  }
  return config;
}

StoreLocation resolve_store(const StoreConfig& config, std::string_view context_json) {
  StoreLocation location;
  std::string root;
  if (!context_json.empty()) {
    nlohmann::json context = nlohmann::json::parse(context_json, nullptr, false);
    if (context.is_discarded() || !context.is_object()) {
      throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, "sqlite storage: open context is not a JSON object");
    }
    if (auto it = context.find("project_root"); it != context.end() && it->is_string()) root = it->get<std::string>();
    if (auto it = context.find("read_only"); it != context.end() && it->is_boolean()) location.read_only = it->get<bool>();
  }
  std::filesystem::path path(config.path);
  if (path.is_relative() && !root.empty()) path = std::filesystem::path(root) / path;
  location.path = path.lexically_normal().string();
  return location;
}

}  // namespace drover::sqlite_storage
