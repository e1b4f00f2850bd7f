// Choosing between the two plan formats and reading or writing either one.
#ifndef DROVER_PLAN_PLAN_FILE_H
#define DROVER_PLAN_PLAN_FILE_H

#include <string>

#include "drover/plan/plan.h"
#include "drover/status.h"

namespace drover::plan {

enum class PlanFormat { kYaml, kJsonl };

// "yaml" | "jsonl"
Result<PlanFormat> parse_plan_format(const std::string& name);
const char* format_name(PlanFormat format);

// By extension (.jsonl/.ndjson/.json -> JSON Lines, .yaml/.yml -> YAML), else
// JSON Lines when the first line that is not blank or a `#` comment starts
// with `{`, else YAML.
PlanFormat guess_plan_format(const std::string& path, const std::string& text);

ParsedPlan read_plan(const std::string& text, PlanFormat format);
std::string write_plan(const Plan& plan, PlanFormat format);

}  // namespace drover::plan

#endif
