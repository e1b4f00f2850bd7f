// Overlap-aware dispatch (merge.overlap: hold): a ready task whose touches
// overlap a running task's (running includes waiting to land) is left out of
// the claim, so two agents do not edit the same files at once and collide at
// merge time. It starts when the overlapping task has left "running" (its
// worker ending wakes the loop), or at once when none of this run's tasks is
// in flight: then the overlap is with another run's task (another machine, or
// one whose lease has not expired yet), and holding would leave this run idle
// for a task it does not control.
#include "drover/engine/run_loop.h"

#include <algorithm>

#include "drover/model/task_overlap.h"

namespace drover {

std::vector<std::string> RunLoop::held_by_overlap_now() {
  std::vector<std::string> ids;
  if (!engine_.config->merge.overlap_hold) return ids;
  // The running tasks first (this run's known, the others' read at most once
  // a second: running_tasks_view.h): only when one of them declares or
  // learned touches can a ready task be held, so the ready ones (thousands
  // in a large DAG) are read only then. Reading them all on every claim made
  // a run quadratic in its number of tasks.
  auto tasks = running_view_.tasks(engine_.clock->now_ms());
  if (!tasks.ok()) return ids;  // the claim says what is wrong with the store
  const bool any_touches = std::any_of(tasks.value().begin(), tasks.value().end(), [](const Task& t) {
    return !t.touches.empty() || !t.learned_touches.empty();
  });
  if (any_touches) {
    auto ready = store_.list_tasks(TaskFilter{std::nullopt, {TaskStatus::kReady}, {}});
    if (!ready.ok()) return ids;
    for (auto& t : ready.value()) tasks.value().push_back(std::move(t));
  }
  std::map<std::string, std::string> held;
  for (const auto& [id, overlap] : held_by_overlap(tasks.value())) {
    ids.push_back(id);
    held.emplace(id, describe(overlap));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, why] : held) say_held(id, why);
  held_ = std::move(held);
  return ids;
}

void RunLoop::say_held(const std::string& id, const std::string& why) {
  auto it = held_.find(id);
  if (it == held_.end() || it->second != why) print(id + ": held: " + why + " (merge.overlap: hold)");
}

std::vector<Task> RunLoop::keep_apart(std::vector<Task> claimed, int64_t now_ms) {
  if (!engine_.config->merge.overlap_hold) return claimed;
  std::vector<Task> kept;
  for (Task& t : claimed) {
    std::optional<Overlap> overlap;
    for (const Task& k : kept) {
      if (auto path = overlapping_path(t, k)) {
        overlap = Overlap{k.id, *path};
        break;
      }
    }
    if (!overlap) {
      kept.push_back(std::move(t));
      continue;
    }
    ReleaseRequest back{t.id, engine_.executor, now_ms, now_ms, {}, ""};
    auto r = store_.release_task(back);
    if (!r.ok()) {
      // Not given back: it is ours, so it runs (as it would have before the
      // hold existed); its lease must not be left to expire unworked.
      kept.push_back(std::move(t));
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    const std::string why = describe(*overlap);
    say_held(t.id, why);
    held_[t.id] = why;
  }
  return kept;
}

Result<std::optional<Task>> RunLoop::claim_held(ClaimRequest request, std::unique_lock<std::mutex>& lock) {
  if (!live_.empty()) return std::optional<Task>();
  std::map<std::string, std::string> held = held_;
  request.exclude_ids.clear();
  lock.unlock();
  auto claimed = store_.claim_task(request);
  lock.lock();
  if (claimed.ok() && claimed.value()) {
    const std::string& id = claimed.value()->id;
    auto it = held.find(id);
    if (it != held.end()) {
      print(id + ": starting although it " + it->second + " (nothing else is ready, and that task is not this run's)");
      held_.erase(id);
    }
  }
  return claimed;
}

}  // namespace drover
