// Task field conventions shared by the CLI, import/export and the engine.
#ifndef DROVER_TASK_FIELDS_H
#define DROVER_TASK_FIELDS_H

#include <string>

#include "drover/status.h"

namespace drover {

// Named priorities; higher runs first.
constexpr int kPriorityLow = 0;
constexpr int kPriorityNormal = 1;
constexpr int kPriorityHigh = 2;
constexpr int kPriorityCritical = 3;

// "critical"|"high"|"normal"|"low" or an integer.
Result<int> parse_priority(const std::string& text);
// The name for 0..3, else the number.
std::string priority_name(int priority);

}  // namespace drover

#endif
