// The JSON Lines plan format of the original design: one JSON object per
// line; blank lines and lines starting with `#` are skipped.
//
//   {"type": "epic",  "id": "E1", "title": "...", "description": "..."}
//   {"type": "story", "id": "S1", "title": "...", "epic_id": "E1", "priority": "high", "blocked_by": ["T0"]}
//   {"type": "task",  "id": "T1", "title": "...", "story_id": "S1"}
//   {"type": "task",  "id": "T2", "title": "...", "epic_id": "E1", "blocked_by": ["T1"], "agent": "codex"}
//
// Mapping to Drover's records:
//   epic   -> an epic; "id" is its key.
//   story  -> a top-level task that may hold sub-tasks (a parent task).
//   task   -> with "story_id": a sub-task of that story; the story's tasks run
//             in the order of their lines, and the story waits for all of them.
//             Without "story_id": a top-level task.
//   Task and story fields: "title", "description", "priority" (number or
//   critical|high|normal|low), "epic_id", "blocked_by" (ids of stories or
//   tasks), "agent", and Drover's additions "max_attempts" (1..100) and
//   "timeout" ("30m"; a number means seconds). A sub-task without "epic_id"
//   takes its story's epic. "id" may be a string or an integer.
// Export writes a task with sub-tasks as a story, its sub-tasks as tasks with
// "story_id" right after it, and every other task as a task.
#ifndef DROVER_PLAN_PLAN_JSONL_H
#define DROVER_PLAN_PLAN_JSONL_H

#include <string>

#include "drover/plan/plan.h"

namespace drover::plan {

ParsedPlan read_jsonl_plan(const std::string& text);

std::string write_jsonl_plan(const Plan& plan);

}  // namespace drover::plan

#endif
