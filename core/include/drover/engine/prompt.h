#ifndef DROVER_ENGINE_PROMPT_H
#define DROVER_ENGINE_PROMPT_H

#include <string>
#include <vector>

#include "drover/model/task.h"

namespace drover {

// What goes into an agent's prompt for one attempt.
struct PromptInput {
  Task task;
  std::string epic_title;         // "" when none
  std::string guidelines;         // project guidelines from drover.yaml
  std::vector<Task> completed_blockers;  // finished dependencies
  std::string previous_failure;   // "" on a first attempt
  // The round: work (the task), resolve (a merge conflict is in the worktree)
  // or fix (the merged result failed verify); previous_failure says what to do.
  std::string round = "work";
};

// Renders the template. Placeholders: {id} {title} {description} {epic}
// {guidelines} {dependencies} {previous_failure} {attempt} {round}. An empty template
// uses the built-in one.
std::string render_prompt(const std::string& template_text, const PromptInput& in, int attempt);

}  // namespace drover

#endif
