// Landlock (Linux >= 5.13): an unprivileged process restricts itself and its
// future children. Drover uses it for one thing: agents may write only where
// their attempt allows (see docs/agent-sandbox.md). Reads and execution are
// not restricted: only the write-type access rights of the kernel's ABI are
// "handled", and everything a ruleset does not handle stays allowed.
//
// Rights handled, by ABI version (probed at run time, never assumed):
//   1  write, truncate-by-open, remove file/dir, make reg/dir/sym/sock/fifo/char/block
//   2  + refer (rename or link across directories; with ABI 1 that is always denied)
//   3  + truncate
// Later ABIs add network, ioctl and scope rights; those are left unhandled.
#ifndef DROVER_SANDBOX_LANDLOCK_H
#define DROVER_SANDBOX_LANDLOCK_H

#include <cstdint>
#include <string>
#include <vector>

#include "drover/status.h"

namespace drover {

// The kernel's Landlock ABI version, or 0 when it has none (too old, or
// disabled at boot); `why` then says which.
int landlock_abi_version(std::string* why = nullptr);

// The write-type rights Drover handles under a given ABI.
uint64_t landlock_write_rights(int abi);

// Restricts the calling thread (and what it executes) to writing beneath
// `write_paths` only: sets no_new_privs, builds the ruleset, enforces it.
// A path that does not exist is skipped; a file gets the file rights only.
// Call it in a single-threaded process (the box's child before exec).
Status restrict_writes_to(const std::vector<std::string>& write_paths, int abi);

}  // namespace drover

#endif
