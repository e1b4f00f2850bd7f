#include "request.h"

#include <chrono>

#include "drover/plugin/sdk.hpp"

namespace drover::sqlite_storage {

size_t invalid_utf8_offset(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len = 0;
    uint32_t min = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

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

void Request::invalid(const char* key, const std::string& what) const {
  throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, operation_ + ": field '" + key + "' " + what);
}

const nlohmann::json* Request::find(const char* key) const {
  auto it = json_.find(key);
  if (it == json_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Request::has(const char* key) const { return find(key) != nullptr; }

std::string Request::string(const char* key) const {
  const nlohmann::json* v = find(key);
  if (v == nullptr) invalid(key, "is required");
  if (!v->is_string()) invalid(key, "must be a string");
  return v->get<std::string>();
}

std::optional<std::string> Request::optional_string(const char* key) const {
  if (!has(key)) return std::nullopt;
  return string(key);
}

int64_t Request::integer(const char* key) const {
  const nlohmann::json* v = find(key);
  if (v == nullptr) invalid(key, "is required");
  if (!v->is_number_integer()) invalid(key, "must be an integer");
  return v->get<int64_t>();
}

int64_t Request::integer_or(const char* key, int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}

double Request::number_or(const char* key, double fallback) const {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return fallback;
  if (!v->is_number()) invalid(key, "must be a number");
  return v->get<double>();
}

bool Request::boolean_or(const char* key, bool fallback) const {
  const nlohmann::json* v = find(key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) invalid(key, "must be true or false");
  return v->get<bool>();
}

std::vector<std::string> Request::strings(const char* key) const {
  std::vector<std::string> out;
  const nlohmann::json* v = find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) invalid(key, "must be an array of strings");
  for (const auto& item : *v) {
    if (!item.is_string()) invalid(key, "must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<nlohmann::json> Request::value(const char* key) const {
  auto it = json_.find(key);
  if (it == json_.end()) return std::nullopt;
  return *it;
}

const nlohmann::json* Request::value_ptr(const char* key) const {
  auto it = json_.find(key);
  return it == json_.end() ? nullptr : &*it;
}

int64_t Request::now_ms() const {
  if (has("now_ms")) return integer("now_ms");
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void check_length(const Request& request, const char* key, const std::string& value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    request.invalid(key, "is " + std::to_string(value.size()) + " bytes; the limit is " + std::to_string(max_bytes) +
                             " bytes");
  }
}

}  // namespace drover::sqlite_storage
