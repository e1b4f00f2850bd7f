#include "user_terms.h"

#include <set>
#include <utility>

namespace drover::cli {
namespace {

// The storage ABI's operations that name themselves in their messages
// (plugin-api/include/drover/plugin/storage.h). Only these are dropped, so a
// message that starts with a config key ("default_agent: ...") keeps it.
bool is_operation_name(const std::string& word) {
  static const std::set<std::string> operations{
      "add_dependency", "append_event", "claim_task",   "complete_task", "create_epic",  "create_task",
      "fail_task",      "finish_workflow", "get_task",  "get_workflow",  "list_epics",   "list_events",
      "list_tasks",     "record_step",  "release_task", "renew_leases",  "reset_task",   "start_workflow",
      "take_back",      "update_task",  "edit_task",    "remove_task",   "remove_dependency", "set_paused",
      "review_task",    "beat_executor", "list_executors", "append_log", "read_log"};
  return operations.count(word) > 0;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

std::string in_user_terms(const std::string& store_message) {
  std::string text = store_message;
  if (const size_t colon = text.find(": "); colon != std::string::npos && is_operation_name(text.substr(0, colon)))
    text = text.substr(colon + 2);
  const std::pair<const char*, const char*> hints[] = {
      {"(list_epics shows the ids)", "(`drover epic list` shows the epic ids)"},
      {"list_tasks shows the ids", "`drover status --tree` shows the task ids"},
      {"(use mode reset)", "(`drover reset` puts it back)"},
      {"(mode reset)", "(`drover reset`)"},
  };
  for (const auto& [from, to] : hints) replace_all(text, from, to);
  return text;
}

}  // namespace drover::cli
