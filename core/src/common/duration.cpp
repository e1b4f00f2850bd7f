#include "drover/common/duration.h"

#include <cctype>
#include <cstdio>

namespace drover {

Result<std::chrono::milliseconds> parse_duration(const std::string& text) {
  const std::string bad = "'" + text + "' is not a duration; write it like 500ms, 10s, 30m or 2h";
  if (text.empty()) return Status::InvalidArgument(bad);
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
  if (all_digits) {
    if (text.size() > 12) return Status::InvalidArgument(bad);
    return std::chrono::milliseconds(std::stoll(text) * 1000);
  }
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 12) return Status::InvalidArgument(bad);
    long long n = std::stoll(text.substr(start, i - start));
    size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(ustart, i - ustart);
    if (unit == "ms") total += n;
    else if (unit == "s") total += n * 1000;
    else if (unit == "m") total += n * 60 * 1000;
    else if (unit == "h") total += n * 3600 * 1000;
    else if (unit == "d") total += n * 86400 * 1000;
    else return Status::InvalidArgument(bad);
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  char buf[64];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", ms);
  } else if (ms < 60 * 1000) {
    std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000.0);
  } else if (ms < 3600 * 1000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", ms / 60000, (ms / 1000) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", ms / 3600000, (ms / 60000) % 60);
  }
  return buf;
}

}  // namespace drover
