// From the store's epic and task records (storage.h) to a plan, for export:
// store ids become the keys, and the blocked-by edges the store adds by itself
// for sub-tasks are left out (importing recreates them).
#ifndef DROVER_PLAN_PLAN_RECORDS_H
#define DROVER_PLAN_PLAN_RECORDS_H

#include <vector>

#include "drover/model/task.h"
#include "drover/plan/plan.h"
#include "drover/plan/plan_graph.h"

namespace drover::plan {

// epics: list_epics' answer; tasks: list_tasks' answer (any order). Tasks come
// out in creation order (t1, t2, ... by number), each parent followed by its
// sub-tasks in sequence order.
Plan plan_from_records(const std::vector<Epic>& epics, const std::vector<Task>& tasks);

// The store's blocked-by graph (implicit sub-task edges included) by task id.
BlockedByGraph graph_from_records(const std::vector<Task>& tasks);

}  // namespace drover::plan

#endif
