// SqliteStore: the drover storage contract (drover/plugin/storage.h) on one
// SQLite database file.
//
// One connection per open store, guarded by a mutex, so a store handle may be
// shared by the threads of a process; several processes share the file
// through SQLite's locking (WAL, every write transaction BEGIN IMMEDIATE).
//
// The operations are split by topic: task_operations.cpp (epics, creating and
// reading tasks, dependencies), task_lifecycle.cpp (claim, leases, complete,
// fail, reset), workflow_operations.cpp (workflows, steps, events, summary).
//
// Choices where the contract leaves room (documented for the engine):
//   - a sub-task created without "epic" inherits its parent's epic;
//   - fail_task sets status_reason and last_error to the error text;
//   - "blocked" propagation and re-derivation touch pending tasks only
//     (ready/waiting/blocked): a running dependent keeps running;
//   - complete_task on a cancelled task and fail_task on a completed or
//     cancelled one are DROVER_CONFLICT; retry of a task that is not
//     failed/blocked/cancelled, reset of a running one, cancel of a
//     completed one are DROVER_CONFLICT too;
//   - besides "completed" and "failed", the event log gets "created",
//     "released", "reclaimed", "retry", "reset" and "cancelled" events.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "database.h"
#include "drover/plugin/sdk.hpp"

namespace drover::sqlite_storage {

class Request;

class SqliteStore final : public drover::sdk::Storage {
 public:
  static void check_config(std::string_view yaml);
  SqliteStore(std::string_view config_yaml, std::string_view context_json);

  std::string describe(std::string_view request) override;
  std::string create_epic(std::string_view request) override;
  std::string list_epics(std::string_view request) override;
  std::string create_task(std::string_view request) override;
  std::string get_task(std::string_view request) override;
  std::string list_tasks(std::string_view request) override;
  std::string add_dependency(std::string_view request) override;
  std::string update_task(std::string_view request) override;
  std::string claim_task(std::string_view request) override;
  std::string renew_leases(std::string_view request) override;
  std::string release_task(std::string_view request) override;
  std::string complete_task(std::string_view request) override;
  std::string fail_task(std::string_view request) override;
  std::string reset_task(std::string_view request) override;
  std::string start_workflow(std::string_view request) override;
  std::string get_workflow(std::string_view request) override;
  std::string finish_workflow(std::string_view request) override;
  std::string record_step(std::string_view request) override;
  std::string append_event(std::string_view request) override;
  std::string list_events(std::string_view request) override;
  std::string summary(std::string_view request) override;

 private:
  // The few columns the status rules need.
  struct TaskState {
    std::string id;
    std::string status;
    std::string status_reason;
    std::optional<std::string> parent;
    std::optional<std::string> lease_owner;
  };

  // Reads a task as its JSON record; nullopt if it does not exist.
  std::optional<nlohmann::json> load_task(const std::string& id);
  nlohmann::json require_task_json(const Request& request, const std::string& id);
  std::optional<TaskState> load_state(const std::string& id);
  TaskState require_state(const Request& request, const char* key, const std::string& id);
  void require_epic(const Request& request, const std::string& id);

  // Status rules (task_graph.cpp).
  // The status a not-yet-started task should have given its blockers:
  // ready, waiting or blocked (with a reason).
  std::pair<std::string, std::string> derive_pending_status(const std::string& id);
  // Re-derives the status of every pending (ready/waiting/blocked) task
  // reachable through "blocks" edges from start, and of start itself when
  // include_start; appends the ids whose status changed.
  void propagate(const std::string& start, bool include_start, int64_t now_ms, std::vector<std::string>& changed);
  void set_status(const std::string& id, const std::string& status, const std::string& reason, int64_t now_ms);
  // The blocked-by path from `from` to `to`, both included, or empty.
  std::vector<std::string> dependency_path(const std::string& from, const std::string& to);
  void insert_dependency(const std::string& task, const std::string& blocker, bool implicit);
  int64_t next_counter(const char* name);
  void add_event(const std::optional<std::string>& task_id, std::string_view kind, std::string_view message,
                 const nlohmann::json& data, int64_t now_ms);

  std::mutex mutex_;
  Database db_;
  int64_t schema_version_ = 0;
};

}  // namespace drover::sqlite_storage
