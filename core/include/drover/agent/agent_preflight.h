// Preflight: can an agent start at all? Asked by `drover config check` and at
// the start of `drover run`, before any task is claimed, so a missing CLI is
// one clear refusal instead of every task spending its attempts (with
// backoff) on "command not found".
//
// The plugin says what it needs through its optional `requirements` entry
// (ABI 1.2: the binary, arguments that print its version, an install hint);
// a plugin without it is asked for a command as for an attempt, and that
// command's argv[0] is checked. Nothing the plugin describes is started,
// except the version probe: the binary with its version_args, with a short
// timeout, stdin on /dev/null, in a clean environment. A probe that cannot
// execute the program (exit 126/127: an interpreter such as node is missing,
// or the file is not executable) is a problem; a probe that fails otherwise
// or takes too long is not, since a slow or unusual CLI must not stop a run.
#ifndef DROVER_AGENT_AGENT_PREFLIGHT_H
#define DROVER_AGENT_AGENT_PREFLIGHT_H

#include <chrono>
#include <string>
#include <vector>

#include "drover/plugin/agent.h"
#include "drover/process/process_runner.h"
#include "drover/status.h"

namespace drover {

struct AgentRequirements {
  std::string binary;                     // empty: the agent runs no fixed program
  std::vector<std::string> version_args;  // empty: no version probe
  std::string install_hint;               // e.g. "npm install -g @anthropic-ai/claude-code"
};

// What the agent plugin says it needs (see above).
Result<AgentRequirements> agent_requirements(const drover_agent_vtable_v1& vtable, drover_agent* agent);

struct PreflightOptions {
  std::string cwd;  // where the version probe runs (the project root)
  std::chrono::milliseconds probe_timeout{5000};
};

// "" when the agent can start; otherwise one message that names the agent,
// what is missing and how to fix it. agent_name is its name in drover.yaml.
std::string why_agent_cannot_start(const std::string& agent_name, const AgentRequirements& needs,
                                   ProcessRunner& runner, const PreflightOptions& options);

}  // namespace drover

#endif
