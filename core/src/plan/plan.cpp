#include "drover/plan/plan.h"

#include <algorithm>

namespace drover::plan {

std::string describe_issues(const std::string& source, std::vector<PlanIssue> issues) {
  std::stable_sort(issues.begin(), issues.end(), [](const PlanIssue& a, const PlanIssue& b) { return a.line < b.line; });
  std::string text;
  for (const auto& issue : issues) {
    if (!text.empty()) text += "\n";
    text += source + (issue.line > 0 ? ":" + std::to_string(issue.line) : "") + ": " + issue.message;
  }
  return text;
}

std::vector<const PlanTask*> subtasks_of(const Plan& plan, const std::string& parent_key) {
  std::vector<const PlanTask*> out;
  for (const auto& t : plan.tasks)
    if (t.parent && t.parent->value == parent_key) out.push_back(&t);
  return out;
}

std::map<std::string, std::vector<const PlanTask*>> subtasks_by_parent(const Plan& plan) {
  std::map<std::string, std::vector<const PlanTask*>> out;
  for (const auto& t : plan.tasks)
    if (t.parent) out[t.parent->value].push_back(&t);
  return out;
}

std::string exact_duration(int64_t ms) {
  if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace drover::plan
