#include "drover/engine/running_tasks_view.h"

namespace drover {

Result<std::vector<Task>> RunningTasksView::tasks(int64_t now_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stale_ || now_ms >= read_at_ + refresh_ms_) {
    const uint64_t changes = changes_;
    lock.unlock();
    auto read = store_.list_tasks(TaskFilter{std::nullopt, {TaskStatus::kRunning}, {}});
    if (!read.ok()) return read.status();
    lock.lock();
    others_.clear();
    for (Task& t : read.value()) {
      if (auto own = own_.find(t.id); own != own_.end()) {
        own->second = std::move(t);  // its learned touches, as the store has them now
      } else if (t.lease_owner != executor_) {
        // This run's tasks it no longer counts as running (their workflow
        // ended after the read) are left out: only own_ speaks for those.
        others_.push_back(std::move(t));
      }
    }
    read_at_ = now_ms;
    stale_ = changes_ != changes;  // a change during the read may not be in it
  }
  std::vector<Task> out;
  out.reserve(own_.size() + others_.size());
  for (const auto& [id, t] : own_) out.push_back(t);
  out.insert(out.end(), others_.begin(), others_.end());
  return out;
}

void RunningTasksView::claimed(const Task& task) {
  std::lock_guard<std::mutex> lock(mu_);
  own_[task.id] = task;
  // Claimed from another executor (its lease had expired): no longer theirs.
  std::erase_if(others_, [&](const Task& t) { return t.id == task.id; });
}

void RunningTasksView::ended(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  own_.erase(task_id);
}

void RunningTasksView::changed() {
  std::lock_guard<std::mutex> lock(mu_);
  stale_ = true;
  ++changes_;
}

}  // namespace drover
