// BoxPolicy: how a run boxes its agents and verify commands, decided once at
// run start from drover.yaml and this machine (Landlock ABI, a usable cgroup
// v2, where drover-agent-box is). The run prints its announcements once.
#ifndef DROVER_SANDBOX_BOX_POLICY_H
#define DROVER_SANDBOX_BOX_POLICY_H

#include <map>
#include <string>
#include <vector>

#include "drover/config/config.h"
#include "drover/sandbox/attempt_box.h"
#include "drover/sandbox/sandbox_mode.h"
#include "drover/status.h"

namespace drover {

struct BoxPolicy {
  SandboxChoice sandbox;
  std::string box_path;
  std::string cgroup_parent;  // "" = none usable
  std::string project_root;
  std::vector<std::string> write_paths;  // sandbox.write_paths
  std::map<std::string, AgentContainment> agents;

  // An agent attempt: Landlock when enforcing, its limits and paths.
  BoxSettings for_agent(const std::string& agent_name) const;
  // A verify command: contained (no process outlives it), never sandboxed:
  // a build or test suite writes to caches all over the home directory.
  BoxSettings for_verify() const;
};

// Fails when sandbox: enforce is configured on a kernel without Landlock, or
// when drover-agent-box cannot be found. `announcements` gets the lines to
// print at run start (mode, containment, limits that are only sampled).
Result<BoxPolicy> make_box_policy(const Config& config, std::vector<std::string>* announcements);

}  // namespace drover

#endif
