// RunningTasksView: the running tasks the overlap hold (merge.overlap: hold,
// run_loop_overlap.cpp) compares the ready ones with, without a store read
// per claim. Reading every running task's record on each claim cost more
// store time per task than any single write of its workflow (issue 15).
//
//   - This run's own tasks are exact: added when claimed, dropped when the
//     store completed them or their workflow ended (slot_free).
//   - Other executors' running tasks are read from the store at most once
//     per refresh period (so a task another machine started is held against
//     at most that much later: the hold is a way to avoid conflicts, not a
//     guarantee; landing handles the conflicts it lets through).
//   - A path learned from a conflict (TaskWorkflow::learn_conflict) changes a
//     running task's record: the next look reads the store.
//
// Thread-safe: claims come from the run loop, ends from the workflow threads.
#ifndef DROVER_ENGINE_RUNNING_TASKS_VIEW_H
#define DROVER_ENGINE_RUNNING_TASKS_VIEW_H

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "drover/ports/task_store.h"

namespace drover {

class RunningTasksView {
 public:
  // executor: this run's id, read at each look (the run sets it when it starts).
  RunningTasksView(TaskStore& store, const std::string& executor, int64_t refresh_ms)
      : store_(store), executor_(executor), refresh_ms_(refresh_ms) {}

  // The running tasks as of now_ms: this run's, then the others'. A failed
  // store read is returned as such (the view is read again on the next look).
  Result<std::vector<Task>> tasks(int64_t now_ms);

  void claimed(const Task& task);
  void ended(const std::string& task_id);
  // A running task's record changed in the store (learned touches).
  void changed();

 private:
  TaskStore& store_;
  const std::string& executor_;
  const int64_t refresh_ms_;
  std::mutex mu_;
  std::map<std::string, Task> own_;
  std::vector<Task> others_;
  int64_t read_at_ = 0;
  bool stale_ = true;
  uint64_t changes_ = 0;
};

}  // namespace drover

#endif
