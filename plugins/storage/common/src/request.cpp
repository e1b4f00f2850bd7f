#include "request.h"

#include <chrono>

#include "drover/plugin/sdk.hpp"
#include "text_rules.h"

namespace drover::storage {

Request::Request(std::string_view operation, std::string_view text) : operation_(operation) {
  if (size_t bad = invalid_utf8_offset(text); bad != std::string_view::npos) {
    throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, operation_ + ": request text is not valid UTF-8 (byte " +
                                                          std::to_string(bad) + "); text fields must be UTF-8");
  }
  try {
    json_ = text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, operation_ + ": request is not valid JSON: " + e.what());
  }
  if (!json_.is_object()) {
    throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, operation_ + ": request must be a JSON object");
  }
}

Request::Request(std::string_view operation, nlohmann::json object)
    : operation_(operation), json_(std::move(object)) {
  if (!json_.is_object()) {
    throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, operation_ + ": request must be a JSON object");
  }
}

void Request::invalid(std::string_view key, const std::string& what) const {
  throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, operation_ + ": field '" + std::string(key) + "' " + what);
}

const nlohmann::json* Request::value(const char* key) const {
  auto it = json_.find(key);
  return it == json_.end() ? nullptr : &*it;
}

bool Request::has(const char* key) const {
  const nlohmann::json* v = value(key);
  return v != nullptr && !v->is_null();
}

std::optional<std::string> Request::optional_text(const char* key, size_t max_bytes) const {
  if (!has(key)) return std::nullopt;
  const nlohmann::json& v = *value(key);
  if (!v.is_string()) invalid(key, "must be a string");
  std::string text = v.get<std::string>();
  check_text(operation_, key, text, max_bytes);
  return text;
}

std::string Request::text(const char* key, size_t max_bytes) const {
  std::optional<std::string> text = optional_text(key, max_bytes);
  if (!text) invalid(key, "is required (a string)");
  return *text;
}

std::optional<int64_t> Request::optional_integer(const char* key) const {
  if (!has(key)) return std::nullopt;
  const nlohmann::json& v = *value(key);
  if (!v.is_number_integer()) invalid(key, "must be an integer");
  return v.get<int64_t>();
}

int64_t Request::integer(const char* key) const {
  std::optional<int64_t> v = optional_integer(key);
  if (!v) invalid(key, "is required (an integer)");
  return *v;
}

bool Request::boolean_or(const char* key, bool fallback) const {
  if (!has(key)) return fallback;
  const nlohmann::json& v = *value(key);
  if (!v.is_boolean()) invalid(key, "must be true or false");
  return v.get<bool>();
}

std::vector<std::string> Request::names(const char* key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const nlohmann::json& v = *value(key);
  if (!v.is_array()) invalid(key, "must be an array of strings");
  for (const nlohmann::json& item : v) {
    if (!item.is_string()) invalid(key, "must be an array of strings");
    out.push_back(item.get<std::string>());
    check_text(operation_, key, out.back(), kMaxNameBytes);
  }
  return out;
}

std::optional<std::string> Request::stored_json(const char* key) const {
  if (!has(key)) return std::nullopt;
  return value(key)->dump();
}

int64_t Request::now_ms() const {
  if (has("now_ms")) return integer("now_ms");
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string path_list_text(const Request& req, const std::string& field, const nlohmann::json& value) {
  if (!value.is_array()) req.invalid(field, "must be an array of paths");
  if (value.size() > 1000) req.invalid(field, "has more than 1000 paths");
  for (const nlohmann::json& path : value) {
    if (!path.is_string()) req.invalid(field, "must hold strings only");
    check_text(req.operation(), field, path.get_ref<const std::string&>(), kMaxNameBytes);
  }
  return value.dump();
}

}  // namespace drover::storage
