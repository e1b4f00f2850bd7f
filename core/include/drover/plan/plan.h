// A plan: epics and tasks described in a file (YAML or JSON Lines) with
// file-local keys instead of store ids, so a whole task graph can be written
// by hand, imported in one go, and exported again.
#ifndef DROVER_PLAN_PLAN_H
#define DROVER_PLAN_PLAN_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drover/task_fields.h"

namespace drover::plan {

// A value together with the 1-based line it was written on (0 = not from a file).
struct Located {
  std::string value;
  int line = 0;
};

struct PlanEpic {
  std::string key;
  int line = 0;
  std::string title, description;
};

struct PlanTask {
  std::string key;
  int line = 0;
  std::string title, description;
  std::optional<Located> epic;    // epic key; a sub-task without one takes its parent's epic
  std::optional<Located> parent;  // set on sub-tasks: the parent task's key
  int priority = kPriorityNormal;
  std::optional<Located> agent;   // agent name from drover.yaml; none = default agent
  int max_attempts = 0;           // 0 = engine default
  int64_t timeout_ms = 0;         // 0 = engine default
  std::vector<Located> blocked_by;  // explicit blockers by key (sub-task ordering is implicit)
  std::vector<Located> touches;     // globs of the paths it expects to edit (path_glob.h)
};

struct Plan {
  std::vector<PlanEpic> epics;
  // Tasks in file order. The sub-tasks of one parent run in the order they
  // appear here (each waits for the one before it; the parent waits for all).
  std::vector<PlanTask> tasks;
};

// Something wrong with the file, at a line (0 = the file as a whole).
struct PlanIssue {
  int line = 0;
  std::string message;
};

// What reading a file gave: the plan as far as it could be read, and every
// problem found. A plan with issues must not be imported.
struct ParsedPlan {
  Plan plan;
  std::vector<PlanIssue> issues;
};

// One "<source>:<line>: <message>" line per issue, in line order.
std::string describe_issues(const std::string& source, std::vector<PlanIssue> issues);

// The sub-tasks of parent_key in their run order.
std::vector<const PlanTask*> subtasks_of(const Plan& plan, const std::string& parent_key);
// Every parent's sub-tasks in run order, in one pass (for whole-plan work).
std::map<std::string, std::vector<const PlanTask*>> subtasks_by_parent(const Plan& plan);

// "2h", "30m", "45s" or "1500ms": the largest unit that states d exactly, so
// parse_duration() gives back the same value.
std::string exact_duration(int64_t ms);

}  // namespace drover::plan

#endif
