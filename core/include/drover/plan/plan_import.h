// Creating a validated plan's records in a store: epics first, then tasks in
// dependency order so that blockers exist when their dependents are created.
#ifndef DROVER_PLAN_PLAN_IMPORT_H
#define DROVER_PLAN_PLAN_IMPORT_H

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "drover/plan/plan.h"
#include "drover/ports/task_store.h"

namespace drover::plan {

// The order tasks are created in, and the blocked-by edges that can only be
// added once both ends exist.
struct CreationOrder {
  std::vector<const PlanTask*> tasks;
  // (task key, blocker key) pairs added with add_dependency after all tasks
  // exist. Only needed where a parent is blocked by one of its own sub-tasks,
  // or by a task that waits for one of them: the parent must exist before its
  // sub-tasks can be created.
  std::vector<std::pair<std::string, std::string>> deferred;
};

// A task and its sub-tasks are created together (parent first, then the
// sub-tasks in order); such groups go in dependency order, file order among
// groups that are free to go.
CreationOrder creation_order(const Plan& plan);

struct CreatedRecord {
  std::string key, id;
  bool is_epic = false;
};

struct ImportOutcome {
  std::vector<CreatedRecord> created;  // in creation order
  Status status;                       // not OK: the import stopped; `created` were kept
};

// Creates everything; the plan must have passed validate_plan().
// The importer uses create_epic, create_task and add_dependency only.
ImportOutcome import_plan(const Plan& plan, TaskStore& store, int64_t now_ms);

}  // namespace drover::plan

#endif
