// FakeClock: simulated time for the engine tests. now_ms() moves only when a
// test advances it or when the run loop waits while idle (no worker of its
// own can wake it): then the clock jumps to the deadline at once, so a 10 s
// backoff or an hour's quota pause takes no real time.
#ifndef DROVER_TESTS_ENGINE_FAKES_FAKE_CLOCK_H
#define DROVER_TESTS_ENGINE_FAKES_FAKE_CLOCK_H

#include <atomic>
#include <chrono>

#include "drover/ports/clock.h"

namespace drover::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'000'000) : now_(start_ms) {}
  int64_t now_ms() override { return now_.load(); }
  void advance(int64_t ms) { now_ += ms; }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, int64_t deadline_ms,
                  bool idle) override {
    if (idle) {
      int64_t cur = now_.load();
      while (cur < deadline_ms && !now_.compare_exchange_weak(cur, deadline_ms)) {
      }
      return;
    }
    // A worker is running and will notify; real time passes briefly.
    cv.wait_for(lock, std::chrono::milliseconds(2));
  }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace drover::testing

#endif
