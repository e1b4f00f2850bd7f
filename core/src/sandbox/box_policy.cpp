#include "drover/sandbox/box_policy.h"

#include "drover/sandbox/attempt_cgroup.h"
#include "drover/sandbox/landlock.h"

namespace drover {

BoxSettings BoxPolicy::for_agent(const std::string& agent_name) const {
  BoxSettings s;
  s.box_path = box_path;
  s.landlock_abi = sandbox.mode == SandboxMode::kEnforce ? sandbox.landlock_abi : 0;
  s.cgroup_parent = cgroup_parent;
  s.project_root = project_root;
  s.write_paths = write_paths;
  s.limits_key = "agents." + agent_name + ".limits";
  if (auto it = agents.find(agent_name); it != agents.end()) {
    s.write_paths.insert(s.write_paths.end(), it->second.write_paths.begin(), it->second.write_paths.end());
    s.max_processes = it->second.limits.processes;
    s.max_memory = it->second.limits.memory;
  }
  return s;
}

BoxSettings BoxPolicy::for_verify() const {
  BoxSettings s;
  s.box_path = box_path;
  s.cgroup_parent = cgroup_parent;
  s.project_root = project_root;
  return s;
}

Result<BoxPolicy> make_box_policy(const Config& config, std::vector<std::string>* announcements) {
  BoxPolicy p;
  std::string why_not;
  const int abi = landlock_abi_version(&why_not);
  auto choice = choose_sandbox_mode(config.sandbox_mode, abi, why_not, config.sandbox_where);
  if (!choice.ok()) return choice.status();
  p.sandbox = choice.value();
  auto box = locate_agent_box();
  if (!box.ok()) return box.status();
  p.box_path = box.value();
  std::string no_cgroup;
  p.cgroup_parent = attempt_cgroup_parent(&no_cgroup);
  // What killed runs could not clean up (never a running attempt's).
  remove_stale_attempt_cgroups(p.cgroup_parent);
  remove_stale_private_tmps();
  p.project_root = config.project_root;
  p.write_paths = config.sandbox_write_paths;
  p.agents = config.agent_containment;
  if (announcements != nullptr) {
    announcements->push_back(p.sandbox.announcement);
    announcements->push_back(
        p.cgroup_parent.empty()
            ? "process containment: subreaper and attempt marker (no cgroup v2: " + no_cgroup + ")"
            : "process containment: subreaper and a cgroup per attempt under " + p.cgroup_parent);
  }
  return p;
}

}  // namespace drover
