#ifndef DROVER_COMMON_DURATION_H
#define DROVER_COMMON_DURATION_H

#include <chrono>
#include <string>

#include "drover/status.h"

namespace drover {

// The longest duration accepted: a year. Every duration Drover reads stays
// below it, so adding one to a clock's time point (nanoseconds since boot or
// the epoch) cannot overflow.
constexpr std::chrono::milliseconds kMaxDuration{365LL * 24 * 3600 * 1000};

// Parses "500ms", "10s", "30m", "2h", "1h30m", "2d" or a bare number of seconds.
// Refuses anything longer than kMaxDuration.
Result<std::chrono::milliseconds> parse_duration(const std::string& text);

// Formats for people, the one way Drover writes durations (sdk::duration_text):
// "0.8s", "12.0s", "3m20s", "1h05m".
std::string format_duration(std::chrono::milliseconds d);

}  // namespace drover

#endif
