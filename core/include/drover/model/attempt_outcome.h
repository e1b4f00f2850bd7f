// How one agent attempt ended, as the agent plugin classified it.
#ifndef DROVER_MODEL_ATTEMPT_OUTCOME_H
#define DROVER_MODEL_ATTEMPT_OUTCOME_H

#include <optional>
#include <ostream>
#include <string_view>

namespace drover {

enum class AttemptOutcome {
  kSuccess,  // the agent finished its work
  kFailure,  // it tried and failed: retried with the failure in the prompt
  kBlocked,  // it cannot go on without something it lacks: not retried
  kQuota,    // usage or rate limit: paused, no attempt used
  kTimeout,  // stopped by the task timeout
  kCrashed,  // no usable result (could not start, plugin error, killed)
  // An error a retry cannot change (HTTP 400/401/403/404 from the model API,
  // an unknown model, the agent's own "not retryable" flag): not retried.
  kPermanent,
};

std::string_view to_string(AttemptOutcome outcome);
std::optional<AttemptOutcome> parse_attempt_outcome(std::string_view text);

// Comparing with the stored name reads like the record it came from.
inline bool operator==(AttemptOutcome outcome, std::string_view name) { return to_string(outcome) == name; }
inline std::ostream& operator<<(std::ostream& out, AttemptOutcome outcome) { return out << to_string(outcome); }

}  // namespace drover

#endif
