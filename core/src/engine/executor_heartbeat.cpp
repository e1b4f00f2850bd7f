#include "drover/engine/executor_heartbeat.h"

#include <unistd.h>

namespace drover {

ExecutorHeartbeat::ExecutorHeartbeat(TaskStore& store, Clock& clock, ExecutorBeat identity,
                                     std::function<ExecutorState()> state, std::chrono::milliseconds every,
                                     std::function<bool()> store_down)
    : store_(store),
      clock_(clock),
      identity_(std::move(identity)),
      state_(std::move(state)),
      every_(every),
      store_down_(std::move(store_down)) {
  thread_ = std::thread([this] { loop(); });
}

ExecutorHeartbeat::~ExecutorHeartbeat() { stop(); }

void ExecutorHeartbeat::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  beat(ExecutorState::kStopped);
}

void ExecutorHeartbeat::beat(ExecutorState state) {
  if (unsupported_ || (store_down_ && store_down_())) return;
  ExecutorBeat b = identity_;
  b.state = state;
  b.now_ms = clock_.now_ms();
  Status st = store_.beat_executor(b);
  if (st.ok()) ++beats_;
  else if (st.code() == StatusCode::kUnsupported) unsupported_ = true;  // an older storage plugin
}

void ExecutorHeartbeat::loop() {
  // The schedule is in the engine's clock (tests run it in simulated time);
  // the thread looks at it every 100 ms of real time.
  int64_t next = clock_.now_ms();
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    if (clock_.now_ms() >= next) {
      lock.unlock();
      beat(state_ ? state_() : ExecutorState::kRunning);
      next = clock_.now_ms() + every_.count();
      lock.lock();
      continue;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return done_; });
  }
}

std::string this_host() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string executor_host(const std::string& executor_id) {
  const size_t slash = executor_id.find('/');
  return slash == std::string::npos ? std::string() : executor_id.substr(0, slash);
}

ExecutorBeat this_executor(const std::string& id, int workers, int64_t lease_ms, int64_t started_ms) {
  ExecutorBeat b;
  b.id = id;
  b.host = this_host();
  b.pid = static_cast<int64_t>(getpid());
  b.started_ms = started_ms;
  b.version = DROVER_VERSION;
  b.workers = workers;
  b.lease_ms = lease_ms;
  return b;
}

}  // namespace drover
