// The YAML plan format (`drover import plan.yaml`, `drover export --format yaml`):
//
//   epics:
//     - {key: backend, title: Backend, description: ...}
//   tasks:
//     - key: api                  # file-local name; other entries refer to it
//       title: Build the API
//       description: ...
//       epic: backend             # an epic key
//       priority: high            # critical|high|normal|low or a number
//       agent: claude             # an agent from drover.yaml
//       max_attempts: 2
//       timeout: 30m
//       blocked_by: [db]          # task keys (tasks or sub-tasks)
//       touches: [src/api/**]     # paths or globs it expects to edit (or "a/**, b.md")
//       subtasks:                 # run in this order; the parent waits for all
//         - {key: api-routes, title: Routes}
//
// Sub-tasks take the same fields except `subtasks` (a sub-task cannot have
// sub-tasks); without `epic` they take their parent's.
#ifndef DROVER_PLAN_PLAN_YAML_H
#define DROVER_PLAN_PLAN_YAML_H

#include <string>

#include "drover/plan/plan.h"

namespace drover::plan {

// Reads a plan; every field it cannot use is an issue at its line. References
// between records are checked by validate_plan().
ParsedPlan read_yaml_plan(const std::string& text);

// Writes a plan that read_yaml_plan() reads back to the same plan (lines aside).
std::string write_yaml_plan(const Plan& plan);

}  // namespace drover::plan

#endif
