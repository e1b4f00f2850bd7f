#include "drover/common/control_chars.h"

#include <cstdio>

namespace drover {
namespace {

// The length of the control character at text[i] (1 or 2 bytes), or 0.
size_t control_length(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x20 || c == 0x7f) return 1;
  if (c == 0xc2 && i + 1 < text.size()) {
    const auto next = static_cast<unsigned char>(text[i + 1]);
    if (next >= 0x80 && next <= 0x9f) return 2;
  }
  return 0;
}

bool kept(std::string_view text, size_t i, size_t len, std::string_view keep) {
  return len == 1 && keep.find(text[i]) != std::string_view::npos;
}

}  // namespace

size_t find_control_char(std::string_view text, std::string_view allowed) {
  for (size_t i = 0; i < text.size(); ++i) {
    size_t len = control_length(text, i);
    if (len > 0 && !kept(text, i, len, allowed)) return i;
  }
  return std::string_view::npos;
}

std::string escape_control_chars(std::string_view text, std::string_view keep) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t len = control_length(text, i);
    if (len == 0 || kept(text, i, len, keep)) {
      out += text[i++];
      continue;
    }
    for (size_t k = 0; k < len; ++k, ++i) {
      switch (text[i]) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\033': out += "\\e"; break;
        case '\0': out += "\\0"; break;
        default: {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[i]));
          out += buf;
        }
      }
    }
  }
  return out;
}

}  // namespace drover
