// Checks a plan as a whole before anything is created: keys are unique,
// references resolve, the dependency graph has no cycle, text fits the store.
#ifndef DROVER_PLAN_PLAN_VALIDATION_H
#define DROVER_PLAN_PLAN_VALIDATION_H

#include <vector>

#include "drover/plan/plan.h"

namespace drover::plan {

struct ValidationOptions {
  // Agent names from drover.yaml; empty = agents are not checked.
  std::vector<std::string> known_agents;
};

// Every problem found (empty = the plan can be imported).
std::vector<PlanIssue> validate_plan(const Plan& plan, const ValidationOptions& options = {});

}  // namespace drover::plan

#endif
