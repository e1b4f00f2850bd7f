#include "drover/task_fields.h"

#include <cctype>

namespace drover {

Result<int> parse_priority(const std::string& text) {
  if (text == "critical") return kPriorityCritical;
  if (text == "high") return kPriorityHigh;
  if (text == "normal") return kPriorityNormal;
  if (text == "low") return kPriorityLow;
  bool numeric = !text.empty() && text.size() <= 9;
  for (size_t i = 0; i < text.size(); ++i)
    numeric = numeric && (std::isdigit(static_cast<unsigned char>(text[i])) || (i == 0 && text[i] == '-' && text.size() > 1));
  if (!numeric) return Status::InvalidArgument("'" + text + "' is not a priority; use a number or critical, high, normal, low");
  return std::stoi(text);
}

std::string priority_name(int p) {
  switch (p) {
    case kPriorityLow: return "low";
    case kPriorityNormal: return "normal";
    case kPriorityHigh: return "high";
    case kPriorityCritical: return "critical";
    default: return std::to_string(p);
  }
}

}  // namespace drover
