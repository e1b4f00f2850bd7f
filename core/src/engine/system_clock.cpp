#include <chrono>

#include "drover/ports/clock.h"

namespace drover {

int64_t SystemClock::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SystemClock::wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, int64_t deadline_ms,
                             bool /*idle*/) {
  cv.wait_until(lock, std::chrono::system_clock::time_point(std::chrono::milliseconds(deadline_ms)));
}

}  // namespace drover
