#include "drover/engine/store_health.h"

#include <chrono>

#include "drover/common/duration.h"

namespace drover {

bool store_unreachable(const Status& status) { return status.code() == StatusCode::kUnavailable; }

StoreHealth::StoreHealth(std::function<void(const std::string&)> print) : print_(std::move(print)) {}

namespace {
int64_t ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

void StoreHealth::saw(const Status& status, Instant started) {
  std::string line;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status.code() == StatusCode::kCorrupt) {
      if (corrupt_) return;
      corrupt_ = status;
      line = "store damaged: " + status.message() + " — stopping: nothing more is written to it";
    } else if (store_unreachable(status)) {
      if (down_ || started < last_answer_) return;
      down_ = true;
      down_since_ = started;  // unreachable since the failed call began
      line = "store unreachable: " + status.message() +
             "; running agents go on, drover retries until it answers (Ctrl-C to stop)";
    } else {
      last_answer_ = std::chrono::steady_clock::now();
      if (!down_) return;
      line = "store reachable again after " +
             format_duration(std::chrono::milliseconds(ms_since(down_since_))) + "; carrying on";
      down_ = false;
    }
  }
  if (print_) print_(line);
}

std::optional<Status> StoreHealth::corrupt() const {
  std::lock_guard<std::mutex> lock(mu_);
  return corrupt_;
}

bool StoreHealth::down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return down_;
}

int64_t StoreHealth::down_for_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !down_ ? 0 : ms_since(down_since_);
}

}  // namespace drover
