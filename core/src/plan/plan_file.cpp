#include "drover/plan/plan_file.h"

#include <filesystem>
#include <sstream>

#include "drover/plan/plan_jsonl.h"
#include "drover/plan/plan_yaml.h"

namespace drover::plan {

Result<PlanFormat> parse_plan_format(const std::string& name) {
  if (name == "yaml" || name == "yml") return PlanFormat::kYaml;
  if (name == "jsonl") return PlanFormat::kJsonl;
  return Status::InvalidArgument("'" + name + "' is not a plan format; use yaml or jsonl");
}

const char* format_name(PlanFormat format) { return format == PlanFormat::kYaml ? "yaml" : "jsonl"; }

PlanFormat guess_plan_format(const std::string& path, const std::string& text) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return PlanFormat::kJsonl;
  if (ext == ".yaml" || ext == ".yml") return PlanFormat::kYaml;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    return line[first] == '{' ? PlanFormat::kJsonl : PlanFormat::kYaml;
  }
  return PlanFormat::kYaml;
}

ParsedPlan read_plan(const std::string& text, PlanFormat format) {
  return format == PlanFormat::kYaml ? read_yaml_plan(text) : read_jsonl_plan(text);
}

std::string write_plan(const Plan& plan, PlanFormat format) {
  return format == PlanFormat::kYaml ? write_yaml_plan(plan) : write_jsonl_plan(plan);
}

}  // namespace drover::plan
