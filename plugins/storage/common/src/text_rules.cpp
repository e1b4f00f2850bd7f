#include "text_rules.h"

#include <cstdint>
#include <string>

#include "drover/plugin/sdk.hpp"

namespace drover::storage {

size_t invalid_utf8_offset(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t min = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
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

void check_text(std::string_view operation, std::string_view field, std::string_view text, size_t max_bytes) {
  auto refuse = [&](const std::string& what) {
    throw drover::sdk::Error(DROVER_INVALID_ARGUMENT,
                             std::string(operation) + ": field '" + std::string(field) + "' " + what);
  };
  if (size_t bad = invalid_utf8_offset(text); bad != std::string_view::npos) {
    refuse("is not valid UTF-8 (byte " + std::to_string(bad) + "); text fields must be UTF-8");
  }
  if (text.find('\0') != std::string_view::npos) refuse("contains a NUL character, which a store cannot keep");
  if (text.size() > max_bytes) {
    refuse("is " + std::to_string(text.size()) + " bytes; the limit is " + std::to_string(max_bytes) + " bytes");
  }
}

}  // namespace drover::storage
