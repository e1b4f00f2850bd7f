// Clock: the engine's time, in Unix milliseconds (the unit stores keep), and
// its one way to wait. The system clock waits on a condition variable; the
// engine tests' fake clock jumps to the deadline instead when nothing else is
// running, so backoffs and quota pauses take no real time.
#ifndef DROVER_PORTS_CLOCK_H
#define DROVER_PORTS_CLOCK_H

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace drover {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() = 0;
  // Waits on cv (lock held by the caller) until notified or deadline_ms.
  // `idle` says that no other thread of the caller's will notify cv, so a
  // simulated clock may jump to the deadline at once.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, int64_t deadline_ms,
                          bool idle) = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() override;
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, int64_t deadline_ms,
                  bool idle) override;
};

}  // namespace drover

#endif
