// LogShipper: streams each agent round's output into the store (storage ABI
// 1.4 append_log), besides the local file the process runner writes, so that
// `drover logs` and `drover logs --follow` work on any machine sharing the
// store.
//
// Off the hot path: the agent's lines are appended to an in-memory buffer
// (the runner's loop thread only takes a mutex and copies the line); one
// thread of the run sends them, per round, once a second or as soon as 64 KiB
// are waiting, in chunks of at most 64 KiB at their stream offsets, so a
// chunk re-sent after a lost reply is not stored twice.
//
// A store fault never stops an agent: a chunk that could not be sent stays
// buffered and is tried again a second later. While the store is away a
// round keeps at most `buffer_max` bytes (4 MiB) waiting; past that the
// oldest waiting bytes are dropped and the store records the gap (readers
// skip it). A store that predates ABI 1.4 (kUnsupported) is not asked again;
// a round whose task was removed meanwhile is dropped.
//
// Text only: the store keeps UTF-8 without NUL, so invalid bytes and NUL in
// the output become U+FFFD; the stored stream's offsets count those bytes.
#ifndef DROVER_ENGINE_LOG_SHIPPER_H
#define DROVER_ENGINE_LOG_SHIPPER_H

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "drover/ports/clock.h"
#include "drover/ports/task_store.h"

namespace drover {

class LogShipper {
 public:
  struct Options {
    uint64_t store_max_bytes = uint64_t{8} << 20;  // logs.store_max_size: what the store keeps of a round
    std::chrono::milliseconds flush_every{1000};
    size_t chunk_bytes = 64 * 1024;
    size_t buffer_max = size_t{4} << 20;
    // Optional: while it says the store is away, nothing is sent (output
    // waits in the buffer) and the end of the run does not wait to send.
    std::function<bool()> store_down;
  };

  LogShipper(TaskStore& store, Clock& clock, Options options);
  // Sends what is waiting, for at most a couple of seconds, then ends.
  ~LogShipper();
  LogShipper(const LogShipper&) = delete;
  LogShipper& operator=(const LogShipper&) = delete;

  class Round;
  // A round's stream; write() its output lines, finish() when it ended.
  std::shared_ptr<Round> open(const StoredLogKey& key);

  // Sends everything waiting now (tests, and the end of a run); gives up
  // after `wait` when the store does not take it.
  void flush(std::chrono::milliseconds wait);

 private:
  bool send_due(bool everything);  // false: something could not be sent
  void loop();

  TaskStore& store_;
  Clock& clock_;
  const Options opts_;
  std::mutex send_mu_;  // one sender at a time (the thread, or flush())
  std::mutex mu_;  // rounds_ and done_
  std::condition_variable cv_;
  std::list<std::shared_ptr<Round>> rounds_;
  bool done_ = false;
  bool unsupported_ = false;
  std::thread thread_;
};

class LogShipper::Round {
 public:
  explicit Round(StoredLogKey key) : key_(std::move(key)) {}
  // One output line (a '\n' is added). Called on the runner's loop thread.
  void write(std::string_view line);
  void finish();

 private:
  friend class LogShipper;
  const StoredLogKey key_;
  std::mutex mu_;
  std::string waiting_;       // not yet taken by the store
  int64_t waiting_at_ = 0;    // the stream offset of waiting_[0]
  bool finished_ = false;     // no more writes
  bool final_sent_ = false;   // the store marked it finished
  int64_t last_sent_ms_ = 0;
  size_t buffer_max_ = 0;
};

// One round's stream for the lifetime of this object: finished when it ends
// (whichever way the attempt went). shipper may be null (nothing is sent).
class LogShipment {
 public:
  LogShipment(LogShipper* shipper, const StoredLogKey& key);
  ~LogShipment();
  LogShipment(const LogShipment&) = delete;
  LogShipment& operator=(const LogShipment&) = delete;
  // The sink for AgentAttemptRequest::on_output (empty when not shipping).
  std::function<void(std::string_view)> sink() const;

 private:
  std::shared_ptr<LogShipper::Round> round_;
};

// text as the store keeps it: valid UTF-8 without NUL (U+FFFD instead).
std::string valid_log_text(std::string_view text);

}  // namespace drover

#endif
