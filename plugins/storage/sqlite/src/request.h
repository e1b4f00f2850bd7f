// Reading an operation's JSON request: typed field access whose errors name
// the operation and the field, plus the store's text rules (UTF-8, sizes).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::sqlite_storage {

constexpr size_t kMaxTitleBytes = 1000;
constexpr size_t kMaxDescriptionBytes = 1024 * 1024;

// Returns the offset of the first byte that is not valid UTF-8, or npos.
size_t invalid_utf8_offset(std::string_view text);

class Request {
 public:
  // Parses text; invalid JSON or invalid UTF-8 is DROVER_INVALID_ARGUMENT.
  Request(std::string_view operation, std::string_view text);

  const std::string& operation() const { return operation_; }
  bool has(const char* key) const;

  std::string string(const char* key) const;  // required
  std::optional<std::string> optional_string(const char* key) const;  // absent or null -> nullopt
  int64_t integer(const char* key) const;
  int64_t integer_or(const char* key, int64_t fallback) const;
  double number_or(const char* key, double fallback) const;
  bool boolean_or(const char* key, bool fallback) const;
  std::vector<std::string> strings(const char* key) const;  // absent -> empty
  // Any JSON value, absent -> nullopt.
  std::optional<nlohmann::json> value(const char* key) const;
  // Any JSON value, absent -> nullptr.
  const nlohmann::json* value_ptr(const char* key) const;
  // The host's clock; falls back to the system clock when the host omits it.
  int64_t now_ms() const;

  const nlohmann::json& json() const { return json_; }

  // A DROVER_INVALID_ARGUMENT error about key.
  [[noreturn]] void invalid(const char* key, const std::string& what) const;

 private:
  const nlohmann::json* find(const char* key) const;
  std::string operation_;
  nlohmann::json json_;
};

// Enforces the size limit for a text field (UTF-8 validity is checked when
// the request is parsed).
void check_length(const Request& request, const char* key, const std::string& value, size_t max_bytes);

}  // namespace drover::sqlite_storage
