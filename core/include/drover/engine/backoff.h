#ifndef DROVER_ENGINE_BACKOFF_H
#define DROVER_ENGINE_BACKOFF_H

#include <chrono>
#include <cstdint>

namespace drover {

// Delay before retry number `attempt` (1 = after the first failure):
// initial * 2^(attempt-1), capped at max, with "equal jitter": half the delay is
// fixed and half is random (seeded by `seed`), so executors retrying together
// spread out but the schedule never falls below half the nominal delay.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                        uint64_t seed);

}  // namespace drover

#endif
