// StateStore: the operations of drover/plugin/storage.h, written once over
// StoreTables (store_tables.h). A backend derives from it, says how to run a
// write transaction and a read and what describe() reports, and implements
// the tables in its SQL dialect; every request check, status rule, lease rule, event and record
// comes from here, so the backends cannot drift apart.
//
// The operations are split by topic: task_operations.cpp (epics, creating
// and reading tasks, dependencies, field updates), task_lifecycle.cpp (claim,
// leases, release, complete, fail, reset), workflow_operations.cpp
// (workflows, steps, events, summary), task_steering.cpp (edit, remove,
// remove a dependency, pause, review), executor_operations.cpp (executors'
// heartbeats), log_operations.cpp (agent output: append, cap, read) and
// apply_writes.cpp (several writes in one transaction).
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
//   - claim_task's task carries "reclaimed" (false for a ready task);
//   - besides "completed" and "failed", the event log gets "created",
//     "released", "reclaimed", "retry", "reset" and "cancelled" events;
//   - list_events refuses a negative limit; text the store keeps may not
//     hold NUL characters;
//   - remove_task does not count the edges sub-task order makes (a parent
//     waits for its sub-tasks, a sub-task for the previous one) as "others
//     depend on it": removing a sub-task re-links the next one to the
//     previous one and re-derives both the next one and the parent.
#ifndef DROVER_STORAGE_COMMON_STATE_STORE_H
#define DROVER_STORAGE_COMMON_STATE_STORE_H

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "drover/plugin/sdk.hpp"
#include "store_tables.h"
#include "task_events.h"

namespace drover::storage {

class Request;

// What describe() reports about an open store.
struct StoreIdentity {
  std::string backend;
  int64_t schema_version = 0;
  std::string location;  // never with a password
};

class StateStore : public drover::sdk::Storage {
 public:
  std::string describe(std::string_view request) final;
  std::string create_epic(std::string_view request) final;
  std::string list_epics(std::string_view request) final;
  std::string create_task(std::string_view request) final;
  std::string get_task(std::string_view request) final;
  std::string list_tasks(std::string_view request) final;
  std::string add_dependency(std::string_view request) final;
  std::string update_task(std::string_view request) final;
  std::string claim_task(std::string_view request) final;
  std::string renew_leases(std::string_view request) final;
  std::string release_task(std::string_view request) final;
  std::string complete_task(std::string_view request) final;
  std::string fail_task(std::string_view request) final;
  std::string reset_task(std::string_view request) final;
  std::string start_workflow(std::string_view request) final;
  std::string get_workflow(std::string_view request) final;
  std::string finish_workflow(std::string_view request) final;
  std::string record_step(std::string_view request) final;
  std::string append_event(std::string_view request) final;
  std::string list_events(std::string_view request) final;
  std::string summary(std::string_view request) final;
  // ABI 1.2: steering (task_steering.cpp).
  std::string edit_task(std::string_view request) final;
  std::string remove_task(std::string_view request) final;
  std::string remove_dependency(std::string_view request) final;
  std::string set_paused(std::string_view request) final;
  // ABI 1.3: a person's decision on a task awaiting review (task_steering.cpp).
  std::string review_task(std::string_view request) final;
  // ABI 1.4: executors sharing the store (executor_operations.cpp) and agent
  // output kept in it (log_operations.cpp).
  std::string beat_executor(std::string_view request) final;
  std::string list_executors(std::string_view request) final;
  std::string append_log(std::string_view request) final;
  std::string read_log(std::string_view request) final;
  // ABI 1.5: several claims in one transaction (task_lifecycle.cpp).
  std::string claim_tasks(std::string_view request) final;
  // ABI 1.6: several writes in one transaction (apply_writes.cpp).
  std::string apply_writes(std::string_view request) final;

 protected:
  virtual StoreIdentity identity() const = 0;

  using Body = std::function<std::string(StoreTables&)>;
  // Runs body in one write transaction and returns its text; a body that
  // throws writes nothing. A backend may run body again (a retried transaction).
  virtual std::string run_write(const Body& body) = 0;
  // Runs body over a consistent view, for operations that only read.
  virtual std::string read(const Body& body) = 0;

 private:
  // The four operations apply_writes takes, from their parsed request.
  std::string update_task_from(const Request& req);
  std::string record_step_from(const Request& req);
  std::string append_event_from(const Request& req);
  std::string finish_workflow_from(const Request& req);
  // Every write operation's transaction: run_write's, or, inside
  // apply_writes on this thread, the one apply_writes opened.
  std::string write(const Body& body);
  void add_event(StoreTables& tables, const std::optional<std::string>& task_id, const TaskEvent& event,
                 int64_t now_ms);
  nlohmann::json claim_one(StoreTables& tables, const ClaimQuery& query);
};

}  // namespace drover::storage

#endif
