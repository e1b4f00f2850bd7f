#include "drover/common/duration.h"

#include <cctype>
#include <cstdio>

#include "drover/plugin/duration_text.hpp"

namespace drover {

Result<std::chrono::milliseconds> parse_duration(const std::string& text) {
  const std::string bad = "'" + text + "' is not a duration; write it like 500ms, 10s, 30m or 2h";
  const std::string too_long = "'" + text + "' is too long; a duration may be at most 365d (8760h)";
  if (text.empty()) return Status::InvalidArgument(bad);
  const long long max_ms = kMaxDuration.count();
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
  long long total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return Status::InvalidArgument(bad);
    // Leading zeros aside, more than 12 digits exceeds the cap in every unit.
    size_t first = text.find_first_not_of('0', start);
    if (first != std::string::npos && first < i && i - first > 12) return Status::InvalidArgument(too_long);
    long long n = std::stoll(text.substr(start, i - start));
    size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = all_digits ? "s" : text.substr(ustart, i - ustart);
    long long scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60 * 1000;
    else if (unit == "h") scale = 3600 * 1000;
    else if (unit == "d") scale = 86400 * 1000;
    else return Status::InvalidArgument(bad);
    // n has at most 12 digits and scale at most 8.64e7, so n * scale fits in 64 bits.
    if (n > max_ms / scale || total + n * scale > max_ms) return Status::InvalidArgument(too_long);
    total += n * scale;
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) { return sdk::duration_text(d.count()); }

}  // namespace drover
