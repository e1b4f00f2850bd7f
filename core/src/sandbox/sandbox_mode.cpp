#include "drover/sandbox/sandbox_mode.h"

namespace drover {

std::string_view to_string(SandboxMode mode) {
  switch (mode) {
    case SandboxMode::kEnforce: return "enforce";
    case SandboxMode::kDetect: return "detect";
    case SandboxMode::kOff: return "off";
  }
  return "detect";
}

std::optional<SandboxMode> parse_sandbox_mode(std::string_view text) {
  if (text == "enforce") return SandboxMode::kEnforce;
  if (text == "detect") return SandboxMode::kDetect;
  if (text == "off") return SandboxMode::kOff;
  return std::nullopt;
}

Result<SandboxChoice> choose_sandbox_mode(std::optional<SandboxMode> configured, int landlock_abi,
                                          const std::string& why_not, const std::string& config_where) {
  SandboxChoice c;
  c.landlock_abi = landlock_abi;
  if (configured == SandboxMode::kEnforce && landlock_abi == 0) {
    return Status::InvalidConfig((config_where.empty() ? std::string("drover.yaml") : config_where) +
                                 ": sandbox: enforce cannot be honoured: " + why_not +
                                 "; use `sandbox: detect` (writes are reported, not prevented) or run on Linux 5.13+");
  }
  if (configured) {
    c.mode = *configured;
  } else {
    c.mode = landlock_abi > 0 ? SandboxMode::kEnforce : SandboxMode::kDetect;
  }
  switch (c.mode) {
    case SandboxMode::kEnforce:
      c.announcement = "sandbox: enforce (Landlock ABI " + std::to_string(landlock_abi) +
                       "): agents write only to their worktree, its git files, temp and their own state directories";
      break;
    case SandboxMode::kDetect:
      c.announcement = configured ? "sandbox: detect (as configured): agents' writes are not restricted"
                                  : "sandbox: detect, not enforce: " + why_not + "; agents' writes are not restricted";
      break;
    case SandboxMode::kOff:
      c.announcement = "sandbox: off (as configured): agents' writes are not restricted";
      break;
  }
  return c;
}

}  // namespace drover
