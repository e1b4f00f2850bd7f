// Agents run in their own process groups, so a drover killed with SIGKILL
// leaves them running. While an agent runs, the host keeps a small file with
// its process group id and start time, the attempt's marker and its cgroup;
// whoever takes the task over stops a group that is still alive before
// starting a new attempt, so two agents never work in one worktree, and then
// ends whatever of that attempt escaped the group (setsid, a double fork) and
// outlived its box: every process with the marker, everything in the cgroup.
#ifndef DROVER_PROCESS_LEFTOVER_PROCESS_H
#define DROVER_PROCESS_LEFTOVER_PROCESS_H

#include <string>
#include <sys/types.h>

namespace drover {

// Field 22 of /proc/<pid>/stat (start time in clock ticks), "" if gone.
std::string process_start_time(pid_t pid);

// Writes "<pid> <start time> <note>" to path (parent directories created);
// note is "<marker> <cgroup or ->" for a boxed attempt (and, on a second
// line, its private temp dir), else empty.
void write_process_file(const std::string& path, pid_t pid, const std::string& note = "");

// If path names a process group that is still alive (same pid and start
// time), terminates it (SIGTERM, then SIGKILL after grace_ms); then ends every
// process still carrying the recorded marker and everything in the recorded
// cgroup, and removes the attempt's private temp dir. Returns true iff it
// stopped something. Removes the file either way.
bool stop_leftover_process_group(const std::string& path, int grace_ms = 3000);

}  // namespace drover

#endif
