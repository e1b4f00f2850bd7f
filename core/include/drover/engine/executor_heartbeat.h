// ExecutorHeartbeat: a `drover run` telling the store it is alive (storage
// ABI 1.4 beat_executor), so `drover executors` on any machine sharing the
// store lists every executor with the tasks it holds and when it was last
// heard from.
//
// It beats on its own thread every `every` (the run passes a third of the
// lease duration, the pace of lease renewals): a reader calls an executor
// lost once its last beat is older than its lease, i.e. after three missed
// beats, the moment its leases may be taken over anyway. The state comes from
// the run each beat (running, or stopping once it drains); stop() — and the
// destructor — beats "stopped" once. A beat is tried once: the store's
// outages are the run's to report (the store passed in tells StoreHealth),
// and a store without the operation (an older plugin) is not asked again.
#ifndef DROVER_ENGINE_EXECUTOR_HEARTBEAT_H
#define DROVER_ENGINE_EXECUTOR_HEARTBEAT_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "drover/ports/clock.h"
#include "drover/ports/task_store.h"

namespace drover {

class ExecutorHeartbeat {
 public:
  // identity: id, host, pid, started_ms, version, workers, lease_ms (state and
  // now_ms are filled in at each beat). Beats once at once, then every `every`.
  // store_down (optional): while it says so, no beat is sent (a beat cannot
  // land, and a call to a store that is away can take seconds) — so the run's
  // exit is never held up by the heartbeat.
  ExecutorHeartbeat(TaskStore& store, Clock& clock, ExecutorBeat identity, std::function<ExecutorState()> state,
                    std::chrono::milliseconds every, std::function<bool()> store_down = {});
  ~ExecutorHeartbeat();
  ExecutorHeartbeat(const ExecutorHeartbeat&) = delete;
  ExecutorHeartbeat& operator=(const ExecutorHeartbeat&) = delete;

  // Ends the thread and beats "stopped". Idempotent.
  void stop();
  int beats() const { return beats_.load(); }  // accepted by the store

 private:
  void beat(ExecutorState state);
  void loop();

  TaskStore& store_;
  Clock& clock_;
  ExecutorBeat identity_;
  std::function<ExecutorState()> state_;
  const std::chrono::milliseconds every_;
  std::function<bool()> store_down_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool unsupported_ = false;
  std::atomic<int> beats_{0};
  std::thread thread_;
};

// This machine's host name ("localhost" when it has none).
std::string this_host();
// The host part of an executor id "<host>/<pid>/<start time>" ("" if it has none).
std::string executor_host(const std::string& executor_id);
// The identity of this process as an executor of a run (host, pid, version).
ExecutorBeat this_executor(const std::string& id, int workers, int64_t lease_ms, int64_t started_ms);

}  // namespace drover

#endif
