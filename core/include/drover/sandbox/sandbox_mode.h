// sandbox: enforce | detect | off (drover.yaml). What each mode guarantees is
// in docs/agent-sandbox.md; the run says the mode in effect once at its start.
#ifndef DROVER_SANDBOX_SANDBOX_MODE_H
#define DROVER_SANDBOX_SANDBOX_MODE_H

#include <optional>
#include <string>
#include <string_view>

#include "drover/status.h"

namespace drover {

enum class SandboxMode {
  kEnforce,  // Landlock: an agent's writes outside its allowed paths fail
  kDetect,   // no write restriction; writes into the user's checkout are reported
  kOff,      // neither (process containment and limits still apply)
};

std::string_view to_string(SandboxMode mode);
std::optional<SandboxMode> parse_sandbox_mode(std::string_view text);

// The mode a run uses: the configured one (nullopt = not configured) on a
// kernel with the given Landlock ABI (0 = none; `why_not` says why).
struct SandboxChoice {
  SandboxMode mode = SandboxMode::kDetect;
  int landlock_abi = 0;
  std::string announcement;  // the line the run prints at its start
};
Result<SandboxChoice> choose_sandbox_mode(std::optional<SandboxMode> configured, int landlock_abi,
                                          const std::string& why_not, const std::string& config_where);

}  // namespace drover

#endif
