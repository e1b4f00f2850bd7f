// Which tasks would edit the same files at once: a task's touches (declared
// globs, Task::touches) and learned touches (exact paths a merge conflict
// showed it edits, Task::learned_touches) against another task's. Used by the
// run loop to hold a ready task back while an overlapping one runs
// (merge.overlap: hold), and by `status` to say why it is held.
#ifndef DROVER_MODEL_TASK_OVERLAP_H
#define DROVER_MODEL_TASK_OVERLAP_H

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drover/model/task.h"

namespace drover {

struct Overlap {
  std::string task;  // the running task it overlaps
  std::string path;  // the candidate's pattern or path that overlaps
};

// The first pattern or path of a that may touch a file b touches
// (globs_may_overlap), or nullopt. A task without touches overlaps nothing.
std::optional<std::string> overlapping_path(const Task& a, const Task& b);

// For each ready task of `tasks`, the first running task of `tasks` it
// overlaps (running tasks in list order). A running task counts until it
// leaves "running" (it may be waiting to land). Tasks that overlap nothing
// are not in the map.
std::map<std::string, Overlap> held_by_overlap(const std::vector<Task>& tasks);

// "overlaps t3 on src/parser/**"
std::string describe(const Overlap& overlap);

}  // namespace drover

#endif
