// Reading one operation's JSON request: typed field access whose failures are
// DROVER_INVALID_ARGUMENT naming the operation and the field, plus the text rules
// of storage.h (UTF-8, size limits).
#ifndef DROVER_PLUGINS_STORAGE_POSTGRES_REQUEST_HPP
#define DROVER_PLUGINS_STORAGE_POSTGRES_REQUEST_HPP

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::postgres {

using json = nlohmann::json;

constexpr size_t kMaxTitleBytes = 1000;
constexpr size_t kMaxDescriptionBytes = 1024 * 1024;

class Request {
 public:
  // Parses text as a JSON object; op names the operation in error messages.
  Request(std::string_view op, std::string_view text);

  const json& body() const { return body_; }
  const std::string& operation() const { return op_; }
  // "now_ms" from the request, or the system clock when the caller left it out.
  int64_t now_ms() const;
  bool has(const char* key) const;  // present and not null

  std::string string(const char* key) const;  // required
  std::optional<std::string> optional_string(const char* key) const;
  int64_t integer(const char* key) const;  // required
  std::optional<int64_t> optional_integer(const char* key) const;
  std::optional<double> optional_number(const char* key) const;
  std::optional<bool> optional_boolean(const char* key) const;
  std::vector<std::string> string_list(const char* key) const;  // absent = empty
  const json* value(const char* key) const;                     // any JSON, nullptr if absent

  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string op_;
  json body_;
};

// Throws DROVER_INVALID_ARGUMENT unless text is valid UTF-8 of at most max_bytes.
void check_text(std::string_view op, std::string_view field, std::string_view text, size_t max_bytes = SIZE_MAX);
bool is_valid_utf8(std::string_view text);

}  // namespace drover::postgres

#endif
