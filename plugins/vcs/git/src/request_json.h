// Reading the JSON requests of the vcs operations with errors that name the
// operation and the field.
#ifndef DROVER_VCS_GIT_REQUEST_JSON_H
#define DROVER_VCS_GIT_REQUEST_JSON_H

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "drover/plugin/sdk.hpp"

namespace drover::vcs_git {

using nlohmann::json;

inline json parse_request(std::string_view op, std::string_view text) {
  json j;
  try {
    j = text.empty() ? json::object() : json::parse(text);
  } catch (const json::exception& e) {
    throw sdk::Error(DROVER_INVALID_ARGUMENT,
                     "vcs git: " + std::string(op) + ": request is not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object())
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: " + std::string(op) + ": request must be a JSON object");
  return j;
}

inline std::optional<std::string> optional_string(std::string_view op, const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw sdk::Error(DROVER_INVALID_ARGUMENT,
                     "vcs git: " + std::string(op) + ": field '" + key + "' must be a string");
  return it->get<std::string>();
}

inline std::string required_string(std::string_view op, const json& j, const char* key) {
  auto v = optional_string(op, j, key);
  if (!v) throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: " + std::string(op) + ": field '" + key + "' is required");
  return *v;
}

inline bool optional_bool(std::string_view op, const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    throw sdk::Error(DROVER_INVALID_ARGUMENT,
                     "vcs git: " + std::string(op) + ": field '" + key + "' must be true or false");
  return it->get<bool>();
}

}  // namespace drover::vcs_git

#endif
