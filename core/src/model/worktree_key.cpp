#include "drover/model/worktree_key.h"

#include <charconv>

namespace drover {

std::string WorktreeKey::str() const { return round <= 1 ? task : task + "-r" + std::to_string(round); }

std::optional<WorktreeKey> WorktreeKey::parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const size_t pos = text.rfind("-r");
  if (pos == std::string_view::npos || pos == 0) return WorktreeKey{std::string(text), 1};
  std::string_view digits = text.substr(pos + 2);
  int round = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), round);
  // "-r" followed by something other than a number is part of the task id.
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return WorktreeKey{std::string(text), 1};
  // "-r1", "-r0", "-r02": no key formats to these.
  if (round < 2 || digits[0] == '0') return std::nullopt;
  return WorktreeKey{std::string(text.substr(0, pos)), round};
}

}  // namespace drover
