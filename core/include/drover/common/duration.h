#ifndef DROVER_COMMON_DURATION_H
#define DROVER_COMMON_DURATION_H

#include <chrono>
#include <string>

#include "drover/status.h"

namespace drover {

// Parses "500ms", "10s", "30m", "2h", "1h30m" or a bare number of seconds.
Result<std::chrono::milliseconds> parse_duration(const std::string& text);

// Formats as the shortest of "850ms", "12s", "3m20s", "1h05m".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace drover

#endif
