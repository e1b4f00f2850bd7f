// Reading an operation's JSON request: typed field access whose errors are
// DROVER_INVALID_ARGUMENT naming the operation and the field, with the text
// rules (text_rules.h) applied to the text fields the store keeps.
#ifndef DROVER_STORAGE_COMMON_REQUEST_H
#define DROVER_STORAGE_COMMON_REQUEST_H

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::storage {

class Request;

// A list of paths or globs (touches, learned_touches): a JSON array of names
// (at most kMaxNameBytes each, at most 1,000 of them), returned as the JSON
// text the tables keep. `field` names it in the error.
std::string path_list_text(const Request& req, const std::string& field, const nlohmann::json& value);

class Request {
 public:
  // Parses text (empty = {}); invalid UTF-8, invalid JSON or another value than
  // an object is DROVER_INVALID_ARGUMENT.
  Request(std::string_view operation, std::string_view text);
  // An object already parsed out of a checked request (apply_writes' writes).
  Request(std::string_view operation, nlohmann::json object);

  const std::string& operation() const { return operation_; }
  bool has(const char* key) const;  // present and not null

  // Required text at most max_bytes long (text_rules.h).
  std::string text(const char* key, size_t max_bytes) const;
  // Absent or null -> nullopt.
  std::optional<std::string> optional_text(const char* key, size_t max_bytes) const;
  int64_t integer(const char* key) const;  // required
  std::optional<int64_t> optional_integer(const char* key) const;
  bool boolean_or(const char* key, bool fallback) const;
  // Absent -> empty; each element is a name (at most kMaxNameBytes).
  std::vector<std::string> names(const char* key) const;
  // Any JSON value; nullptr when absent.
  const nlohmann::json* value(const char* key) const;
  // A JSON value kept as text; absent or null -> nullopt.
  std::optional<std::string> stored_json(const char* key) const;
  // The host's clock; the system clock when the host leaves it out.
  int64_t now_ms() const;

  // Throws DROVER_INVALID_ARGUMENT "<operation>: field '<key>' <what>".
  [[noreturn]] void invalid(std::string_view key, const std::string& what) const;

 private:
  std::string operation_;
  nlohmann::json json_;
};

}  // namespace drover::storage

#endif
