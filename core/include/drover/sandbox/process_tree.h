// The processes of one attempt, found from /proc: a process's descendants
// (what the box adopted as subreaper plus what still has a living parent), or
// every process whose environment carries the attempt's marker
// (DROVER_ATTEMPT_ID=<marker>), for when the box itself is gone.
#ifndef DROVER_SANDBOX_PROCESS_TREE_H
#define DROVER_SANDBOX_PROCESS_TREE_H

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace drover {

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string name;  // comm, e.g. "sleep"
  bool zombie = false;  // ended, not yet reaped (never in descendants_of's answer)
};

// Every process below `root` (not root itself), from one pass over /proc.
std::vector<ProcessInfo> descendants_of(pid_t root);

// Every process (other than the caller) whose environment holds
// `variable=value` exactly. Needs the right to read their /proc/<pid>/environ
// (same user or root).
std::vector<ProcessInfo> processes_with_environment(const std::string& variable, const std::string& value);

// Resident memory of the given processes, in bytes (those gone count 0).
uint64_t resident_bytes(const std::vector<ProcessInfo>& processes);

// Ends the processes `find` returns: SIGTERM, then SIGKILL to those still there
// after `grace` (0 = SIGKILL at once), repeating until `find` returns nothing
// or `limit` passed. `reap` is called between rounds (the box reaps its
// children there). Returns what was found first ("sleep (pid 42)").
template <class Find, class Reap>
std::vector<std::string> end_processes(Find find, Reap reap, std::chrono::milliseconds grace,
                                       std::chrono::milliseconds limit);

// "sleep (pid 42)"
std::string describe(const ProcessInfo& p);
void signal_all(const std::vector<ProcessInfo>& processes, int sig);

}  // namespace drover

#include "drover/sandbox/process_tree_inl.h"

#endif
