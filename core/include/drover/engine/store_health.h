// StoreHealth: whether the run reaches its store, said once per change. Every
// store call of a run passes its result here; the first "unreachable" prints
// one line, the first answer after it prints one more, and nothing in between:
// an outage is a pause the user is told about, not a page of warnings.
#ifndef DROVER_ENGINE_STORE_HEALTH_H
#define DROVER_ENGINE_STORE_HEALTH_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "drover/status.h"

namespace drover {

// kUnavailable: the store cannot be reached or cannot write now (server down,
// disk full, locked); retrying may help. Anything else is an answer.
bool store_unreachable(const Status& status);

class StoreHealth {
 public:
  explicit StoreHealth(std::function<void(const std::string&)> print);
  using Instant = std::chrono::steady_clock::time_point;
  // Records a call's result (an answer, or the store being unreachable).
  // `started`: when the call was made; a failure of a call made before the
  // last answer arrived is old news (calls overlap across threads) and is
  // not reported as a new outage.
  void saw(const Status& status, Instant started = std::chrono::steady_clock::now());
  bool down() const;
  // The store reported its data damaged (StatusCode::kCorrupt): the run stops.
  // Said once; the message is kept for the run's exit.
  std::optional<Status> corrupt() const;
  // How long (real time) the store has been unreachable (0 while it answers).
  int64_t down_for_ms() const;

 private:
  std::function<void(const std::string&)> print_;
  mutable std::mutex mu_;
  bool down_ = false;
  std::optional<Status> corrupt_;
  std::chrono::steady_clock::time_point down_since_;
  Instant last_answer_{};
};

}  // namespace drover

#endif
