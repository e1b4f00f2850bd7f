#include "write_batches.h"

#include <algorithm>

namespace drover::sqlite_storage {

std::string WriteBatches::submit(PendingWrite& write) {
  std::unique_lock lock(mutex_);
  queue_.push_back(&write);
  write.leads = !leading_;
  while (true) {
    write.wake.wait(lock, [&] { return write.done || write.leads; });
    if (write.done) break;
    // Lead: the oldest writes go first, this one among them unless more than
    // max_batch wait before it (then it leads again, or is run by the next leader).
    write.leads = false;
    leading_ = true;
    const std::size_t n = std::min(queue_.size(), max_batch_);
    std::vector<PendingWrite*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    run_(batch);
    lock.lock();
    for (PendingWrite* w : batch) {
      w->done = true;
      if (w != &write) w->wake.notify_one();
    }
    // Handed on to the oldest write still queued: one arriving now queues behind it.
    leading_ = !queue_.empty();
    if (leading_) {
      PendingWrite* next = queue_.front();
      next->leads = true;
      if (next != &write) next->wake.notify_one();
    }
  }
  lock.unlock();
  if (write.error) std::rethrow_exception(write.error);
  return std::move(write.result);
}

}  // namespace drover::sqlite_storage
