#include "drover/model/attempt_outcome.h"

#include <array>
#include <utility>

namespace drover {
namespace {

constexpr std::array<std::pair<AttemptOutcome, std::string_view>, 6> kNames{{
    {AttemptOutcome::kSuccess, "success"},
    {AttemptOutcome::kFailure, "failure"},
    {AttemptOutcome::kBlocked, "blocked"},
    {AttemptOutcome::kQuota, "quota"},
    {AttemptOutcome::kTimeout, "timeout"},
    {AttemptOutcome::kCrashed, "crashed"},
}};

}  // namespace

std::string_view to_string(AttemptOutcome outcome) {
  for (const auto& [o, name] : kNames)
    if (o == outcome) return name;
  return "crashed";
}

std::optional<AttemptOutcome> parse_attempt_outcome(std::string_view text) {
  for (const auto& [o, name] : kNames)
    if (name == text) return o;
  return std::nullopt;
}

}  // namespace drover
