// Recognising rate-limit / usage-limit messages and the reset time they carry.
// Agents report quota in free text ("Claude AI usage limit reached|1748023200",
// "429 Too Many Requests", "You've hit your usage limit ... try again in 2 hours
// 5 minutes", "resets at 2026-11-26T10:00:00Z", "resets 3pm"), sometimes with
// the model API's own response inside ("resets_in_seconds": 3170, a
// "retry-after" header), so these helpers look for the few shapes seen in the
// wild. Header-only.
//
// Which reset wins (quota_reset_ms):
//   1. exact data: an epoch after '|', "resets_at"/"reset_at" (epoch seconds),
//      "resets_in_seconds", a "retry-after" header, an ISO 8601 time, and the
//      durations of "try again in 20s"-style phrases. When several are given,
//      the latest: resuming early only meets the same limit again.
//   2. otherwise a clock time ("try again at 11:08 PM", "resets 3pm"): agents
//      round it down to the minute, so it is read as the end of that minute
//      plus kClockResetMarginMs. A clock time that passed within the last hour
//      is the same limit seen again and stays in the past (the engine then
//      backs off by a growing step); it is never moved to tomorrow. Only a
//      time more than an hour gone is tomorrow's.
#ifndef DROVER_AGENTS_COMMON_QUOTA_TEXT_H
#define DROVER_AGENTS_COMMON_QUOTA_TEXT_H

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace drover::agents {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// True if `token` occurs in `text` with no letter or digit right before or after it.
inline bool contains_token(std::string_view text, std::string_view token) {
  for (std::size_t pos = text.find(token); pos != std::string_view::npos; pos = text.find(token, pos + 1)) {
    bool left = pos == 0 || !std::isalnum(static_cast<unsigned char>(text[pos - 1]));
    std::size_t end = pos + token.size();
    bool right = end >= text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (left && right) return true;
  }
  return false;
}

inline bool mentions_quota(std::string_view text) {
  std::string t = lower(text);
  for (const char* phrase : {"rate limit", "rate_limit", "ratelimit", "rate-limit", "usage limit", "usage_limit",
                             "quota", "too many requests", "limit reached", "hit your limit", "out of credits",
                             "insufficient credits"}) {
    if (t.find(phrase) != std::string::npos) return true;
  }
  return contains_token(t, "429");
}

namespace detail {

// "<number><unit>" sequences like "2 hours 5 minutes", "1h30m", "20.5s" -> ms.
inline std::optional<int64_t> parse_duration_ms(std::string_view s) {
  std::size_t i = 0;
  double total_ms = 0;
  bool any = false;
  auto skip = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t')) ++i;
  };
  while (true) {
    skip();
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) break;
    std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    double value = std::stod(std::string(s.substr(start, i - start)));
    skip();
    std::size_t ustart = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string unit = lower(s.substr(ustart, i - ustart));
    double factor = 0;
    if (unit == "ms" || unit == "millisecond" || unit == "milliseconds") factor = 1;
    else if (unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds") factor = 1000;
    else if (unit == "m" || unit == "min" || unit == "mins" || unit == "minute" || unit == "minutes") factor = 60000;
    else if (unit == "h" || unit == "hr" || unit == "hrs" || unit == "hour" || unit == "hours") factor = 3600000;
    else if (unit == "d" || unit == "day" || unit == "days") factor = 86400000;
    else break;
    total_ms += value * factor;
    any = true;
    skip();
    if (s.substr(i, 4) == "and ") i += 4;
  }
  if (!any) return std::nullopt;
  return static_cast<int64_t>(total_ms);
}

// "2026-11-26T10:00:00Z", "2026-11-26T10:00:00.123+02:00", "2026-11-26 10:00:00 UTC" -> Unix ms.
inline std::optional<int64_t> parse_iso8601_ms(std::string_view s) {
  int y, mo, d, h, mi, sec;
  char sep;
  int consumed = 0;
  std::string text(s.substr(0, 40));
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &sec, &consumed) != 7)
    return std::nullopt;
  if (sep != 'T' && sep != ' ') return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  std::string_view rest = s.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest[0] == '.') {
    std::size_t k = 1;
    while (k < rest.size() && std::isdigit(static_cast<unsigned char>(rest[k]))) ++k;
    rest = rest.substr(k);
  }
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(rest.substr(0, 6)).c_str() + 1, "%2d:%2d", &oh, &om) >= 1) {
      int64_t offset = (oh * 60 + om) * 60000LL;
      ms += rest[0] == '+' ? -offset : offset;
    }
  }
  return ms;
}

// "3pm", "3:30 pm", "14:00" -> the next such time of day (local time) after now.
// Added to a minute-rounded clock time, past the end of its minute.
constexpr int64_t kClockResetMarginMs = 5000;

inline std::optional<int64_t> parse_clock_time_ms(std::string_view s, int64_t now) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  std::size_t start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == start || i - start > 2) return std::nullopt;
  int hour = std::stoi(std::string(s.substr(start, i - start)));
  int minute = 0;
  bool has_minutes = false;
  if (i < s.size() && s[i] == ':') {
    std::size_t m = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i - m != 2) return std::nullopt;
    minute = std::stoi(std::string(s.substr(m, 2)));
    has_minutes = true;
  }
  while (i < s.size() && s[i] == ' ') ++i;
  std::string suffix = lower(s.substr(i, 2));
  if (suffix == "am" || suffix == "pm") {
    if (hour < 1 || hour > 12) return std::nullopt;
    hour = hour % 12 + (suffix == "pm" ? 12 : 0);
  } else if (!has_minutes) {
    return std::nullopt;  // a bare number is not a time of day
  }
  if (hour > 23 || minute > 59) return std::nullopt;
  std::time_t t = static_cast<std::time_t>(now / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = 0;
  tm.tm_isdst = -1;
  // Agents print the reset rounded down to the minute (Codex: "11:08 PM" for
  // 23:08:50): the limit ends somewhere in that minute, so read it as the
  // minute's end plus a margin.
  int64_t at = static_cast<int64_t>(std::mktime(&tm)) * 1000 + 60000 + kClockResetMarginMs;
  // A time that passed within the hour is the same limit seen again (or a
  // late message), not tomorrow's: it is returned as it is, and the engine
  // backs off by a growing step. Only a time long gone means tomorrow.
  if (at <= now - 3600000) at += 86400000;
  return at;
}

}  // namespace detail

namespace detail {

// The unsigned integer right after `key` and its separator (`": "`, `":"`,
// `": \"`, `=`), as in JSON text that may itself be escaped inside a string:
// "resets_in_seconds": 3170, \"retry-after\":\"2\".
inline std::optional<int64_t> number_after_key(std::string_view lowered, std::string_view key, std::size_t from = 0) {
  std::size_t p = lowered.find(key, from);
  if (p == std::string_view::npos) return std::nullopt;
  std::size_t i = p + key.size();
  std::size_t stop = std::min(lowered.size(), i + 8);
  while (i < stop && !std::isdigit(static_cast<unsigned char>(lowered[i]))) {
    char c = lowered[i];
    if (c != '"' && c != '\\' && c != ':' && c != ' ' && c != '=') return std::nullopt;
    ++i;
  }
  std::size_t start = i;
  while (i < lowered.size() && i - start < 14 && std::isdigit(static_cast<unsigned char>(lowered[i]))) ++i;
  if (i == start) return std::nullopt;
  return std::stoll(std::string(lowered.substr(start, i - start)));
}

// Epoch seconds or milliseconds (10 or 13 digits) -> Unix ms.
inline std::optional<int64_t> epoch_ms(int64_t value) {
  if (value >= 1000000000LL && value < 10000000000LL) return value * 1000;
  if (value >= 1000000000000LL && value < 10000000000000LL) return value;
  return std::nullopt;
}

// Every exact reset the text names (see the header comment), the latest.
inline std::optional<int64_t> exact_reset_ms(std::string_view text, int64_t now) {
  std::optional<int64_t> best;
  auto take = [&](std::optional<int64_t> at) {
    if (at && (!best || *at > *best)) best = at;
  };
  // Claude Code: "Claude AI usage limit reached|1748023200" (epoch seconds).
  if (std::size_t bar = text.find('|'); bar != std::string_view::npos) {
    std::size_t k = bar + 1;
    while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
    std::size_t digits = k - bar - 1;
    if (digits == 10 || digits == 13) take(epoch_ms(std::stoll(std::string(text.substr(bar + 1, digits)))));
  }
  std::string t = lower(text);
  for (const char* key : {"resets_at", "reset_at", "resetsat"})
    if (auto v = number_after_key(t, key)) take(epoch_ms(*v));
  for (const char* key : {"resets_in_seconds", "reset_in_seconds", "retry-after", "retry_after"})
    if (auto v = number_after_key(t, key); v && *v < 10LL * 86400 * 365) take(now + *v * 1000);
  for (const char* lead : {"try again in", "retry in", "retry after", "resets in", "reset in", "available in"}) {
    for (std::size_t p = t.find(lead); p != std::string::npos; p = t.find(lead, p + 1)) {
      if (auto d = parse_duration_ms(std::string_view(text).substr(p + std::string_view(lead).size()))) take(now + *d);
    }
  }
  for (const char* lead : {"resets at", "reset at", "try again at", "retry at", "resets on", "resets"}) {
    for (std::size_t p = t.find(lead); p != std::string::npos; p = t.find(lead, p + 1)) {
      std::string_view rest = std::string_view(text).substr(p + std::string_view(lead).size());
      while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
      take(parse_iso8601_ms(rest));
    }
  }
  return best;
}

}  // namespace detail

// The reset time a quota message names, as Unix milliseconds, if it names one
// (exact data first; see the header comment).
inline std::optional<int64_t> quota_reset_ms(std::string_view text, int64_t now = now_ms()) {
  if (auto exact = detail::exact_reset_ms(text, now)) return exact;
  std::string t = lower(text);
  for (const char* lead : {"resets at", "reset at", "try again at", "retry at", "resets on", "resets"}) {
    std::size_t p = t.find(lead);
    if (p == std::string::npos) continue;
    std::string_view rest = std::string_view(text).substr(p + std::string_view(lead).size());
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    // A clock time is only trusted without an explicit (foreign) time zone.
    std::string_view line = rest.substr(0, rest.find('\n'));
    if (line.find('(') == std::string_view::npos) {
      if (auto at = detail::parse_clock_time_ms(rest, now)) return at;
    }
  }
  return std::nullopt;
}

}  // namespace drover::agents

#endif
