// One cgroup v2 per attempt, where the machine lets Drover make one: beneath
// Drover's own cgroup on the cgroup2 mount (found from /proc/self/mountinfo and
// the "0::" line of /proc/self/cgroup), when that directory is writable. The
// box joins it before starting the agent, so every process of the attempt is
// in it whatever it does (setsid, double fork); cgroup.kill ends them all,
// even after the box and Drover were killed. On a pure v1 or read-only
// hierarchy there is none, and the box's subreaper and the environment marker
// do the job (docs/agent-sandbox.md says what differs).
#ifndef DROVER_SANDBOX_ATTEMPT_CGROUP_H
#define DROVER_SANDBOX_ATTEMPT_CGROUP_H

#include <cstdint>
#include <string>

#include "drover/status.h"

namespace drover {

// The directory attempt cgroups are made in, or "" when there is none usable
// (`why` says why). DROVER_CGROUP=off turns cgroups off (used by the tests
// that check the fallback).
std::string attempt_cgroup_parent(std::string* why = nullptr);

// Makes <parent>/<name>; sets pids.max / memory.max when those controllers
// are enabled there and the limits are non-zero. `controllers_missing` lists
// the limits the cgroup cannot enforce ("pids memory").
Result<std::string> create_attempt_cgroup(const std::string& parent, const std::string& name, int max_processes,
                                          uint64_t max_memory, std::string* controllers_missing = nullptr);

// Kills every process in the cgroup (cgroup.kill, or SIGKILL to each member on
// kernels before 5.14), waits briefly until it is empty and removes it.
// Returns how many processes it found in it. A path not there is no error.
int kill_and_remove_cgroup(const std::string& path);

// Removes the empty attempt cgroups ("drover-*") under parent that are older
// than a minute: left by a Drover killed between its agent's end and the
// cgroup's removal. A populated cgroup cannot be removed, so this never
// touches a running attempt (nor, by age, one just being set up). Returns
// how many it removed.
int remove_stale_attempt_cgroups(const std::string& parent);

// Why the kernel stopped the cgroup's processes, from pids.events and
// memory.events ("" when it did not).
std::string cgroup_limit_hit(const std::string& path);

}  // namespace drover

#endif
