#include "drover/engine/backoff.h"

#include <algorithm>
#include <random>

namespace drover {

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds initial, std::chrono::milliseconds max,
                                        uint64_t seed) {
  if (attempt < 1) attempt = 1;
  long long nominal = initial.count();
  for (int i = 1; i < attempt && nominal < max.count(); ++i) nominal *= 2;
  nominal = std::min<long long>(nominal, max.count());
  if (nominal <= 1) return std::chrono::milliseconds(nominal);
  std::mt19937_64 rng(seed ^ (static_cast<uint64_t>(attempt) * 0x9E3779B97F4A7C15ull));
  std::uniform_int_distribution<long long> jitter(0, nominal / 2);
  return std::chrono::milliseconds(nominal - nominal / 2 + jitter(rng));
}

}  // namespace drover
