#include "task_id.h"

#include <cstdio>

#include "drover/plugin/sdk.hpp"

namespace drover::vcs_git {

std::string quote_text(std::string_view text) {
  std::string out = "'";
  std::size_t shown = 0;
  for (unsigned char c : text) {
    if (++shown > 120) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  out += "'";
  return out;
}

void validate_task_id(std::string_view id) {
  auto fail = [&](const std::string& why) {
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: task id " + quote_text(id) + " " + why +
                                                  "; task ids may use only letters, digits, '.', '_' and '-'");
  };
  if (id.empty()) fail("is empty");
  if (id.size() > kMaxTaskIdLength) fail("is longer than " + std::to_string(kMaxTaskIdLength) + " characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) fail("contains a character that is not allowed");
  }
  if (id.front() == '.') fail("starts with '.'");
  if (id.find("..") != std::string_view::npos) fail("contains '..'");
  if (id.size() >= 5 && id.substr(id.size() - 5) == ".lock") fail("ends in '.lock'");
}

}  // namespace drover::vcs_git
