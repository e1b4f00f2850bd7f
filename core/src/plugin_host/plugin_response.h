// Reading a plugin's JSON response into a typed record, for the port adapters
// (plugin_task_store.cpp, plugin_workspace.cpp). A response of the wrong
// shape is the plugin's bug: it becomes an error naming the plugin kind, never
// an exception thrown through the engine.
#ifndef DROVER_PLUGIN_HOST_PLUGIN_RESPONSE_H
#define DROVER_PLUGIN_HOST_PLUGIN_RESPONSE_H

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "drover/status.h"

namespace drover {

template <class T, class F>
Result<T> read_response(Result<nlohmann::json> r, const char* plugin_kind, F&& convert) {
  if (!r.ok()) return r.status();
  try {
    return convert(r.value());
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string("the ") + plugin_kind + " plugin returned a response of the wrong shape: " + e.what());
  }
}

inline std::optional<std::string> optional_string(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return std::nullopt;
  return j[key].get<std::string>();
}

// The strings of an array field (other elements as their JSON text).
inline std::vector<std::string> string_list(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const auto& v : j[key]) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

}  // namespace drover

#endif
