#include "request.hpp"

#include <chrono>

#include "drover/plugin/sdk.hpp"

namespace drover::postgres {

Request::Request(std::string_view op, std::string_view text) : op_(op) {
  try {
    body_ = text.empty() ? json::object() : json::parse(text);
  } catch (const json::exception& e) {
    fail(std::string("request is not valid JSON (text must be valid UTF-8): ") + e.what());
  }
  if (!body_.is_object()) fail("request must be a JSON object");
}

void Request::fail(const std::string& message) const {
  throw sdk::Error(DROVER_INVALID_ARGUMENT, op_ + ": " + message);
}

int64_t Request::now_ms() const {
  if (has("now_ms")) return integer("now_ms");
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool Request::has(const char* key) const {
  auto it = body_.find(key);
  return it != body_.end() && !it->is_null();
}

const json* Request::value(const char* key) const {
  auto it = body_.find(key);
  return it == body_.end() ? nullptr : &*it;
}

std::string Request::string(const char* key) const {
  auto v = optional_string(key);
  if (!v) fail(std::string("\"") + key + "\" is required (a string)");
  return *v;
}

std::optional<std::string> Request::optional_string(const char* key) const {
  if (!has(key)) return std::nullopt;
  const json& v = body_.at(key);
  if (!v.is_string()) fail(std::string("\"") + key + "\" must be a string");
  return v.get<std::string>();
}

int64_t Request::integer(const char* key) const {
  auto v = optional_integer(key);
  if (!v) fail(std::string("\"") + key + "\" is required (an integer)");
  return *v;
}

std::optional<int64_t> Request::optional_integer(const char* key) const {
  if (!has(key)) return std::nullopt;
  const json& v = body_.at(key);
  if (!v.is_number_integer()) fail(std::string("\"") + key + "\" must be an integer");
  return v.get<int64_t>();
}

std::optional<double> Request::optional_number(const char* key) const {
  if (!has(key)) return std::nullopt;
  const json& v = body_.at(key);
  if (!v.is_number()) fail(std::string("\"") + key + "\" must be a number");
  return v.get<double>();
}

std::optional<bool> Request::optional_boolean(const char* key) const {
  if (!has(key)) return std::nullopt;
  const json& v = body_.at(key);
  if (!v.is_boolean()) fail(std::string("\"") + key + "\" must be true or false");
  return v.get<bool>();
}

std::vector<std::string> Request::string_list(const char* key) const {
  std::vector<std::string> out;
  if (!has(key)) return out;
  const json& v = body_.at(key);
  if (!v.is_array()) fail(std::string("\"") + key + "\" must be an array of strings");
  for (const json& item : v) {
    if (!item.is_string()) fail(std::string("\"") + key + "\" must be an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t extra;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static const uint32_t kMinimum[4] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

void check_text(std::string_view op, std::string_view field, std::string_view text, size_t max_bytes) {
  if (!is_valid_utf8(text)) {
    throw sdk::Error(DROVER_INVALID_ARGUMENT, std::string(op) + ": \"" + std::string(field) + "\" is not valid UTF-8");
  }
  // PostgreSQL text cannot hold NUL characters.
  if (text.find('\0') != std::string_view::npos) {
    throw sdk::Error(DROVER_INVALID_ARGUMENT,
                     std::string(op) + ": \"" + std::string(field) + "\" contains a NUL character, which is not stored");
  }
  if (text.size() > max_bytes) {
    throw sdk::Error(DROVER_INVALID_ARGUMENT, std::string(op) + ": \"" + std::string(field) + "\" is " +
                                                  std::to_string(text.size()) + " bytes; the limit is " +
                                                  std::to_string(max_bytes) + " bytes");
  }
}

}  // namespace drover::postgres
