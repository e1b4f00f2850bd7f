#include "user_terms.h"

#include <utility>

namespace drover::cli {
namespace {

// A storage operation's name: lower-case words joined by '_' ("reset_task").
bool is_operation_name(const std::string& word) {
  if (word.empty() || word.front() == '_' || word.back() == '_' || word.find('_') == std::string::npos) return false;
  for (char c : word)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
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
