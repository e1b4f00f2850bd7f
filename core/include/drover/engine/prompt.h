#ifndef DROVER_ENGINE_PROMPT_H
#define DROVER_ENGINE_PROMPT_H

#include <string>
#include <vector>

#include "drover/plugin_host/plugin_clients.h"

namespace drover {

// What goes into an agent's prompt for one attempt.
struct PromptInput {
  json task;                      // the task record
  std::string epic_title;         // "" when none
  std::string guidelines;         // project guidelines from drover.yaml
  std::vector<json> completed_blockers;  // task records of finished dependencies
  std::string previous_failure;   // "" on a first attempt
};

// Renders the template. Placeholders: {id} {title} {description} {epic}
// {guidelines} {dependencies} {previous_failure} {attempt}. An empty template
// uses the built-in one.
std::string render_prompt(const std::string& template_text, const PromptInput& in, int attempt);

}  // namespace drover

#endif
