#include "drover/engine/agent_verdict.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

namespace drover {
namespace {

constexpr std::string_view kKey = "DROVER-RESULT:";

// Whitespace and the markdown an agent may wrap a line in.
bool decoration(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == '*' || c == '`' || c == '_' || c == '>' || c == '-' ||
         c == '#';
}

std::string_view trimmed(std::string_view s, bool (*strip)(char)) {
  while (!s.empty() && strip(s.front())) s.remove_prefix(1);
  while (!s.empty() && strip(s.back())) s.remove_suffix(1);
  return s;
}

bool space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[i])) != std::toupper(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The verdict's value ("done", "blocked: x") when the line is a verdict line.
std::optional<std::string_view> verdict_value(std::string_view line) {
  std::string_view s = trimmed(line, decoration);
  if (!starts_with_nocase(s, kKey)) return std::nullopt;
  return trimmed(s.substr(kKey.size()), decoration);
}

}  // namespace

AgentVerdict read_verdict(std::string_view final_message) {
  const std::vector<std::string_view> lines = lines_of(final_message);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    std::optional<std::string_view> value = verdict_value(*it);
    if (!value) continue;
    if (starts_with_nocase(*value, "done")) return {VerdictKind::kDone, ""};
    if (starts_with_nocase(*value, "blocked")) {
      std::string_view reason = trimmed(value->substr(7), [](char c) { return space(c) || c == ':'; });
      return {VerdictKind::kBlocked, reason.empty() ? "the agent did not say what it needs" : std::string(reason)};
    }
    return {};  // a verdict Drover cannot read counts as none
  }
  return {};
}

std::string first_line(std::string_view message, size_t max_chars) {
  for (std::string_view line : lines_of(message)) {
    std::string_view s = trimmed(line, space);
    if (s.empty() || verdict_value(s)) continue;
    if (s.size() <= max_chars) return std::string(s);
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return std::string(s.substr(0, cut)) + "…";
  }
  return "";
}

}  // namespace drover
