// Why a ready task waits: the typed "wait" of a task record (storage.h).
//
// The engine gives a running task back with release_task and says why it
// waits (a retry backoff, an agent's usage limit, a merge that waits for the
// user, an interrupted run). The store keeps that as four columns instead of
// prose in status_reason, so nobody parses text back.
#ifndef DROVER_STORAGE_COMMON_TASK_WAIT_H
#define DROVER_STORAGE_COMMON_TASK_WAIT_H

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover::storage {

struct TaskWait {
  std::string kind;  // backoff, quota, merge, interrupted; "" = not waiting
  std::string agent;
  std::string detail;
  std::vector<std::string> paths;

  // The stored form of paths: a JSON array of strings.
  std::string paths_text() const;
};

// Reads release_task's "wait" value (absent or null: nullopt). A kind outside
// the four, or a field of the wrong type, is DROVER_INVALID_ARGUMENT naming
// operation and field.
std::optional<TaskWait> read_wait(std::string_view operation, const nlohmann::json* value);

// The record's "wait": null unless the task is ready and a wait is stored.
// paths_text is the stored JSON array (a malformed one reads as []).
nlohmann::json wait_record(std::string_view status, const std::string& kind, const std::string& agent,
                           const std::string& detail, const std::string& paths_text, int64_t not_before_ms);

// The wait an older drover wrote as prose in status_reason, for the schema
// migration that introduced the typed fields; nullopt for any other text.
std::optional<TaskWait> wait_from_legacy_reason(std::string_view reason);

}  // namespace drover::storage

#endif
