// The task model the engine and the CLI work with: a task, an epic, an event
// and the typed reason a ready task is held back. Storage plugins speak JSON
// (plugin-api/include/drover/plugin/storage.h); the conversion happens once,
// in the plugin host's store adapter (plugin_task_store.h).
#ifndef DROVER_MODEL_TASK_H
#define DROVER_MODEL_TASK_H

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

enum class TaskStatus { kReady, kWaiting, kRunning, kCompleted, kFailed, kBlocked, kCancelled };

// "ready", "waiting", ... as stored; parse returns nullopt for anything else.
std::string_view to_string(TaskStatus status);
std::optional<TaskStatus> parse_task_status(std::string_view text);

// Why a ready task is not claimable yet. Stored as fields next to the task's
// not-before time, never as prose.
enum class WaitKind {
  kNone,
  kBackoff,      // a failed attempt's retry delay
  kQuota,        // the agent hit a usage or rate limit: its other tasks wait too
  kMerge,        // the user's checkout is in the way of the merge
  kInterrupted,  // stopped by a signal; `drover resume` continues at once
  kReview,       // its work waits for a person's `drover approve` or `drover reject`
};
std::string_view to_string(WaitKind kind);  // "" for kNone
std::optional<WaitKind> parse_wait_kind(std::string_view text);

// The not-before time of a task that waits for a person, not for a clock.
constexpr int64_t kNoTimeMs = INT64_MAX;

struct WaitReason {
  WaitKind kind = WaitKind::kNone;
  std::string agent;               // kQuota: the paused agent
  std::string detail;              // what the agent or the VCS said
  std::vector<std::string> paths;  // kMerge: the user's files in the way
  int64_t until_ms = 0;            // the task's not-before time
  bool active() const { return kind != WaitKind::kNone; }

  static WaitReason backoff(std::string detail) { return {WaitKind::kBackoff, "", std::move(detail), {}, 0}; }
  static WaitReason quota(std::string agent, std::string detail) {
    return {WaitKind::kQuota, std::move(agent), std::move(detail), {}, 0};
  }
  static WaitReason merge(std::string detail, std::vector<std::string> paths) {
    return {WaitKind::kMerge, "", std::move(detail), std::move(paths), 0};
  }
  static WaitReason interrupted(std::string detail) { return {WaitKind::kInterrupted, "", std::move(detail), {}, 0}; }
  static WaitReason review(std::string detail) { return {WaitKind::kReview, "", std::move(detail), {}, 0}; }
};

struct Task {
  std::string id;
  std::string title;
  std::string description;
  std::optional<std::string> epic;
  std::optional<std::string> parent;
  int sequence = 0;
  int priority = 1;
  TaskStatus status = TaskStatus::kReady;
  std::string status_reason;
  int attempts = 0;
  int max_attempts = 0;  // 0 = the project's default
  std::optional<std::string> agent;  // nullopt = the default agent
  int64_t timeout_ms = 0;            // 0 = the project's default
  std::string last_error;
  std::string result_summary;
  std::string session_id;
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  std::optional<double> cost_usd;  // nullopt: no attempt reported a cost
  std::string merge_commit;
  int64_t generation = 0;
  int64_t not_before_ms = 0;
  std::optional<std::string> lease_owner;
  int64_t lease_expires_ms = 0;
  int64_t created_ms = 0, updated_ms = 0, started_ms = 0, completed_ms = 0;
  std::vector<std::string> blocked_by;
  std::vector<std::string> blocks;
  WaitReason wait;
  bool reclaimed = false;  // set by a claim that took over an expired lease
  // What the task expects to edit: globs relative to the repository root
  // (path_glob.h), declared at creation or by `drover edit`.
  std::vector<std::string> touches;
  // Exact paths a merge conflict showed the task edits (recorded by the
  // engine, replaced as a whole). Both lists feed overlap-aware dispatch.
  std::vector<std::string> learned_touches;
  // Paused by the user: not claimed (a running attempt finishes first).
  bool paused = false;
  bool review = false;  // a person approves its work before it lands (or review: required)
  // Ready, waiting for a person's decision on its work.
  bool awaiting_review() const { return status == TaskStatus::kReady && wait.kind == WaitKind::kReview; }

  // The agent that runs this task: its own, else default_agent.
  std::string agent_or(const std::string& default_agent) const {
    return agent && !agent->empty() ? *agent : default_agent;
  }
};

struct Epic {
  std::string id;
  std::string title;
  std::string description;
  int64_t created_ms = 0;
  std::map<std::string, int> counts;  // task status -> number
};

struct TaskEvent {
  int64_t id = 0;
  std::optional<std::string> task_id;
  std::string kind;
  std::string message;
  nlohmann::json data;  // free-form details, as recorded
  int64_t created_ms = 0;
};

// The JSON form of the records (storage.h's shape). Used by the store adapter
// and by the CLI's --json outputs, so both print the same thing.
nlohmann::json to_json(const Task& task);
nlohmann::json to_json(const Epic& epic);
nlohmann::json to_json(const TaskEvent& event);
nlohmann::json to_json(const WaitReason& wait);  // null when not active
// Lenient: a missing or mistyped field keeps its default (a store may be newer).
Task task_from_json(const nlohmann::json& j);
Epic epic_from_json(const nlohmann::json& j);
TaskEvent event_from_json(const nlohmann::json& j);
WaitReason wait_from_json(const nlohmann::json& j, int64_t not_before_ms);

}  // namespace drover

#endif
