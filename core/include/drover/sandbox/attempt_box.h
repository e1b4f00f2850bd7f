// The host's side of drover-agent-box (box/drover_agent_box.cpp): what one
// attempt's box is told (the paths it may write, its cgroup, its limits, its
// marker), and what is done after it exited (its report read, anything of the
// attempt still running ended, the cgroup and private temp dir removed).
//
// Every process of an attempt carries DROVER_ATTEMPT_ID=<marker> in its
// environment unless it removed it; the marker and the cgroup are recorded in
// the task's agent.pid (see leftover_process.h), so a later run can end what a
// killed Drover and a killed box left behind.
#ifndef DROVER_SANDBOX_ATTEMPT_BOX_H
#define DROVER_SANDBOX_ATTEMPT_BOX_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "drover/status.h"

namespace drover {

inline constexpr const char* kAttemptMarkerVariable = "DROVER_ATTEMPT_ID";

// How one attempt is boxed (from BoxPolicy, see box_policy.h).
struct BoxSettings {
  std::string box_path;         // the drover-agent-box executable
  int landlock_abi = 0;         // > 0: restrict writes (sandbox: enforce)
  std::string cgroup_parent;    // "" = no cgroup per attempt
  std::string project_root;     // the user's checkout (never writable through the temp dir)
  std::vector<std::string> write_paths;  // more writable paths from drover.yaml (absolute)
  int max_processes = 0;        // 0 = no cap
  uint64_t max_memory = 0;      // bytes; 0 = no cap
  std::string limits_key;       // "agents.<name>.limits", for messages
};

// What the plugin's build_command asked for on top (its CLI's state).
struct PluginWritePaths {
  std::vector<std::string> dirs;   // "write_paths": created (0700) when missing
  std::vector<std::string> files;  // "write_files": allowed when they exist
};

struct BoxedAttempt {
  std::string marker;                          // DROVER_ATTEMPT_ID value
  std::string cgroup;                          // "" = none
  std::string report_path;                     // the box writes its JSON report here
  std::string private_tmp;                     // "" unless the agent got its own TMPDIR
  std::vector<std::string> write_paths;        // what the sandbox allows (empty when not enforcing)
  std::vector<std::string> wrapper;            // box argv, up to and including "--"
  std::map<std::string, std::string> env;      // set for the child on top of its own
  std::string process_note;                    // "<marker> <cgroup or ->[\n<private tmp>]" for agent.pid
  std::vector<std::string> notes;              // said in the attempt's log
};

// Prepares a box: marker, cgroup, writable paths, wrapper argv. `label` is
// "<task>.<attempt>" or "<task>.<attempt>.verify"; `report_path` where the box
// reports. A cgroup that cannot be made is a note, not an error.
Result<BoxedAttempt> prepare_boxed_attempt(const BoxSettings& settings, const std::string& label,
                                           const std::string& worktree, const std::string& report_path,
                                           const PluginWritePaths& plugin_paths);

struct BoxOutcome {
  std::string limit;                   // "processes" / "memory" when a limit stopped it
  std::string limit_reason;            // what to tell the user
  std::string error;                   // the box could not do its job (sandbox not applied)
  std::vector<std::string> leftovers;  // processes ended after the agent exited
};

// After the boxed process exited (however): reads the report, ends what is left
// of the attempt (cgroup, else the marker when the box did not finish its own
// sweep), removes the cgroup and the private temp dir.
BoxOutcome finish_boxed_attempt(const BoxedAttempt& attempt, const BoxSettings& settings);

// Ends every process carrying the marker and everything in the cgroup (either
// may be empty); returns how many were found. Used after a crash.
int end_attempt_processes(const std::string& marker, const std::string& cgroup);

// Removes private temp dirs (<temp>/drover-tmp-<marker>) older than a minute
// whose attempt has no process left (none carries its marker): left by a
// Drover killed before it could clean up. Returns how many it removed.
int remove_stale_private_tmps();

// The writable paths of a git worktree: its administrative directory, the
// repository's objects (and Git LFS's, when it has them), and the
// directories of its branch's ref and reflog.
// Empty when `worktree` is not a linked git worktree; a full clone's .git is
// returned whole.
std::vector<std::string> git_write_paths(const std::string& worktree);

// drover-agent-box: $DROVER_AGENT_BOX, else <dir of this executable>/../lib/drover/drover-agent-box.
Result<std::string> locate_agent_box();

}  // namespace drover

#endif
