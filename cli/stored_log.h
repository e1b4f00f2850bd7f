// `drover logs` from the store (storage ABI 1.4): the agent output every
// executor streams there (LogShipper), readable on any machine sharing the
// store. status_commands.cpp decides when to use it: the local file where
// this machine has the round's log (complete, and no load on the store),
// the store otherwise.
#ifndef DROVER_CLI_STORED_LOG_H
#define DROVER_CLI_STORED_LOG_H

#include <optional>
#include <string>

#include "drover/ports/task_store.h"

namespace drover::cli {

// The round read_log would show (the latest matching; attempt/round 0 = the
// latest), or nullopt when the store has no log for it (or cannot keep logs).
std::optional<StoredLogKey> stored_round(TaskStore& store, const std::string& task_id, int attempt, int round);

// Prints the round's log as the store keeps it to stdout (a part the cap
// dropped is said on stderr).
void print_stored_log(TaskStore& store, const StoredLogKey& key);

// Prints the task's attempt (of its generation) as it is streamed, from the
// start, until the round ends — every later round of the attempt too unless
// round > 0 — or the task stops running that attempt.
void follow_stored_log(TaskStore& store, const std::string& task_id, int64_t generation, int attempt, int round);

}  // namespace drover::cli

#endif
