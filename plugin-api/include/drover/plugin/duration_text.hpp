// How Drover writes a duration for people: one format everywhere (run output,
// status, info, the run summary, and the reasons plugins give), so that a
// user reads "2.0s" in every place, never "2002 ms" in one and "2s" in
// another. Header-only; plugins use it for their messages too.
#ifndef DROVER_PLUGIN_DURATION_TEXT_HPP
#define DROVER_PLUGIN_DURATION_TEXT_HPP

#include <cstdint>
#include <cstdio>
#include <string>

namespace drover::sdk {

// Under a minute: seconds with one decimal ("0.3s", "2.0s", "59.9s"); then
// "3m20s" and "1h05m". Negative durations print as "0.0s".
inline std::string duration_text(int64_t ms) {
  if (ms < 0) ms = 0;
  char buf[64];
  if (ms < 60 * 1000) {
    // Rounded down to the tenth, so 59999 ms is "59.9s", never "60.0s".
    std::snprintf(buf, sizeof buf, "%lld.%llds", static_cast<long long>(ms / 1000),
                  static_cast<long long>((ms % 1000) / 100));
  } else if (ms < 3600 * 1000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60000),
                  static_cast<long long>((ms / 1000) % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3600000),
                  static_cast<long long>((ms / 60000) % 60));
  }
  return buf;
}

}  // namespace drover::sdk

#endif
