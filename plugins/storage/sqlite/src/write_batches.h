// Group commit: writes that arrive while a write transaction runs wait, and
// the next transaction runs them all, one after the other, in the order they
// arrived. Each caller still gets its own answer only after the transaction
// holding its write committed, so nothing is acknowledged that is not durable;
// what the batch saves is the BEGIN/COMMIT and the WAL frames per write (a
// page several writes touch is written to the WAL once per batch).
//
// The first waiting writer leads: it takes up to max_batch queued writes, runs
// them through the backend's RunBatch, wakes their writers and hands the lead
// to the oldest write still queued. No thread of its own, no timer: a lone
// writer runs at once, alone. Each writer is woken only for its own answer or
// to lead, never with the whole queue.
#ifndef DROVER_STORAGE_SQLITE_WRITE_BATCHES_H
#define DROVER_STORAGE_SQLITE_WRITE_BATCHES_H

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "store_tables.h"

namespace drover::sqlite_storage {

// One write waiting for, or done with, its transaction.
struct PendingWrite {
  const std::function<std::string(drover::storage::StoreTables&)>* body = nullptr;
  std::string result;        // the body's text once its transaction committed
  std::exception_ptr error;  // or why it did not (its own error, or the transaction's)
  bool done = false;
  bool leads = false;  // woken to lead the next batch
  std::condition_variable wake;
};

class WriteBatches {
 public:
  // Runs the writes of a batch in one transaction and fills in each one's
  // result or error; it must not throw.
  using RunBatch = std::function<void(const std::vector<PendingWrite*>&)>;

  WriteBatches(RunBatch run, std::size_t max_batch) : run_(std::move(run)), max_batch_(max_batch) {}

  // Blocks until the transaction holding write has ended; returns the body's
  // text, or rethrows its error.
  std::string submit(PendingWrite& write);

 private:
  RunBatch run_;
  std::size_t max_batch_;
  std::mutex mutex_;
  std::deque<PendingWrite*> queue_;
  bool leading_ = false;
};

}  // namespace drover::sqlite_storage

#endif
