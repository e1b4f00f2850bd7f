// Preflight of a run: before any task is claimed, every agent the work needs
// can start (drover/agent/agent_preflight.h) and the target branch exists.
// Each problem is one message naming what is wrong, where, and the fix.
#ifndef DROVER_CLI_PREFLIGHT_H
#define DROVER_CLI_PREFLIGHT_H

#include <string>
#include <vector>

#include "drover/project.h"

namespace drover::cli {

// Which agents are needed: `drover config check` asks for default_agent too
// (a new project has no task yet, and the default agent is the first one a
// user meets); `drover run` only for the agents of tasks it may run.
enum class PreflightScope { kDefaultAgentAndTasks, kRunnableTasks };

std::vector<std::string> preflight_problems(Project& p, PreflightScope scope);

}  // namespace drover::cli

#endif
