#include "drover/model/attempt_outcome.h"

#include "drover/common/enum_names.h"

namespace drover {
namespace {

constexpr EnumNames<AttemptOutcome, 7> kNames{{
    {AttemptOutcome::kSuccess, "success"},
    {AttemptOutcome::kFailure, "failure"},
    {AttemptOutcome::kBlocked, "blocked"},
    {AttemptOutcome::kQuota, "quota"},
    {AttemptOutcome::kTimeout, "timeout"},
    {AttemptOutcome::kCrashed, "crashed"},
    {AttemptOutcome::kPermanent, "permanent"},
}};

}  // namespace

std::string_view to_string(AttemptOutcome outcome) { return name_of(kNames, outcome); }

std::optional<AttemptOutcome> parse_attempt_outcome(std::string_view text) { return value_named(kNames, text); }

}  // namespace drover
