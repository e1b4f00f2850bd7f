#include "drover/engine/prompt.h"

namespace drover {
namespace {

const char* kDefaultTemplate =
    "You are working on task {id}: {title}\n"
    "\n"
    "{description}\n"
    "{epic}"
    "{guidelines}"
    "{dependencies}"
    "{previous_failure}"
    "\n"
    "Make the change in the current working directory, which is a git worktree of the project. "
    "Leave your changes in the working tree and do not commit: Drover commits and merges them. "
    "End your final message with one line saying how it went: `DROVER-RESULT: done` when the task is done "
    "(also when it needed no change), or `DROVER-RESULT: blocked: <what you need>` when you cannot proceed "
    "without information or access you do not have.\n";

std::string section(const std::string& heading, const std::string& body) {
  if (body.empty()) return "";
  return "\n" + heading + "\n" + body + (body.back() == '\n' ? "" : "\n");
}

std::string failure_heading(const std::string& round) {
  if (round == "resolve")
    return "Your change was done; merging it with work that landed meanwhile left conflicts. Resolve them:";
  if (round == "fix") return "Your change was done; merged with the current code it fails the project's checks. Fix this:";
  if (round == "review") return "A reviewer looked at your work and asks for changes:";
  if (round == "continue") return "You stopped at your turn limit before you finished; go on:";
  return "The previous attempt failed; fix this:";
}

}  // namespace

std::string render_prompt(const std::string& template_text, const PromptInput& in, int attempt) {
  std::string deps;
  for (const auto& b : in.completed_blockers) {
    deps += "- " + b.id + ": " + b.title;
    const std::string& summary = b.result_summary;
    if (!summary.empty()) deps += " — " + summary.substr(0, 400);
    deps += "\n";
  }
  // Placeholders are substituted in one pass over the template so text from the
  // task (which may itself contain "{title}") is never expanded again.
  const std::string t = template_text.empty() ? kDefaultTemplate : template_text;
  const std::pair<std::string, std::string> values[] = {
      {"{id}", in.task.id},
      {"{title}", in.task.title},
      {"{description}", in.task.description},
      {"{epic}", in.epic_title.empty() ? "" : section("Epic:", in.epic_title)},
      {"{guidelines}", section("Project guidelines:", in.guidelines)},
      {"{dependencies}", section("Completed tasks this one builds on:", deps)},
      {"{previous_failure}", in.previous_failure.empty() ? "" : section(failure_heading(in.round), in.previous_failure)},
      {"{attempt}", std::to_string(attempt)},
      {"{round}", in.round},
  };
  std::string out;
  size_t i = 0;
  while (i < t.size()) {
    bool matched = false;
    if (t[i] == '{') {
      for (const auto& [key, value] : values) {
        if (t.compare(i, key.size(), key) == 0) {
          out += value;
          i += key.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) out += t[i++];
  }
  return out;
}

}  // namespace drover
