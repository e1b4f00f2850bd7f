// StoreTables: the table primitives a storage backend implements in its own
// SQL dialect, each inside the transaction the operation runs in. They hold
// no rules: which status a task gets, what an operation may do, which events
// are written and how records look are decided once, in StateStore
// (state_store.h) and the files it uses. A backend may answer a primitive
// set-based (one statement for many ids) where its dialect allows.
#ifndef DROVER_STORAGE_COMMON_STORE_TABLES_H
#define DROVER_STORAGE_COMMON_STORE_TABLES_H

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "task_state.h"
#include "task_wait.h"

namespace drover::storage {

struct NewTask {
  std::string id;
  int64_t num = 0;       // t<num>; a sub-task's parent's num
  int64_t sequence = 0;  // 0 unless a sub-task
  std::optional<std::string> parent, epic, agent;
  std::string title, description;
  int64_t priority = 0, max_attempts = 0, timeout_ms = 0, now_ms = 0;
  std::string touches = "[]";  // JSON array of globs, kept as text
};

// What a new sub-task of a parent gets: its sequence, the parent's num and epic.
struct SubtaskSlot {
  int64_t sequence = 0;
  int64_t num = 0;
  std::optional<std::string> epic;
};

struct TaskFilter {
  std::optional<std::string> epic;
  std::optional<std::vector<std::string>> statuses, ids;
};

struct StatusChange {
  std::string id;
  PendingStatus to;
};

struct ClaimQuery {
  std::string executor;
  int64_t lease_ms = 0, now_ms = 0;
  std::optional<std::string> epic, default_agent;
  std::vector<std::string> exclude_agents;
  std::vector<std::string> exclude_ids;  // never claimed (ready ones; paused ones never either)
};

struct Claimed {
  std::string id;
  bool reclaimed = false;
  std::string previous_owner;  // of a reclaimed lease
};

struct Release {
  std::string id;
  int64_t not_before_ms = 0, now_ms = 0;
  std::optional<std::string> last_error;
  bool count_attempt = false;
};

// An executor as beat_executor keeps it (last_beat_ms already decided).
struct ExecutorRow {
  std::string id, host, version, state;
  int64_t pid = 0, started_ms = 0, workers = 0, lease_ms = 0, first_beat_ms = 0, last_beat_ms = 0;
};

// Which round's log: the agent output of one round of one attempt.
struct LogKey {
  std::string task_id;
  int64_t generation = 0, attempt = 1, round = 1;
};

// What the store keeps about one log besides its chunks.
struct LogHead {
  int64_t size = 0;   // bytes of the stream so far (next offset to append)
  int64_t kept = 0;   // bytes held in chunks (the cap drops some)
  bool finished = false;
};

// A stored piece of a log: data holds the stream's bytes [offset, offset + size).
struct LogChunk {
  int64_t offset = 0;
  std::string data;
};

// A settable column of update_task or edit_task (validated: one of the fixed
// column names, never request text) and its value: a string, an integer, a
// number or null. List columns (touches, learned_touches) are JSON text.
using FieldValue = std::pair<std::string, nlohmann::json>;

// (task, blocker) dependency edges.
using Edges = std::vector<std::pair<std::string, std::string>>;

// One status's share of a summary.
struct StatusTotals {
  std::string status;
  int64_t tasks = 0, tokens_in = 0, tokens_out = 0;
  double cost_usd = 0;
};

// The primitives, listed once: StoreTables declares them pure (SPEC "= 0"),
// each backend's tables class declares its overrides (SPEC "override"). Types
// are qualified so that the list reads the same in a backend's namespace.
#define DROVER_STORAGE_TABLE_PRIMITIVES(SPEC)                                                                \
  /* Serializes operations that reason about the dependency graph where the */                               \
  /* transaction alone does not (several PostgreSQL connections). */                                         \
  virtual void lock_graph() SPEC;                                                                            \
  /* Next value of a gap-free per-store counter: "task", "epic". */                                          \
  virtual int64_t next_counter(const char* name) SPEC;                                                       \
                                                                                                             \
  /* Tasks. for_update locks the row until the transaction ends. */                                          \
  virtual std::optional<drover::storage::TaskState> task_state(const std::string& id, bool for_update) SPEC; \
  /* The states of the existing tasks among ids, any order. */                                               \
  virtual std::vector<drover::storage::TaskState> task_states(const std::vector<std::string>& ids) SPEC;     \
  virtual std::optional<nlohmann::json> task(const std::string& id) SPEC;                                    \
  /* In list order (records.h). */                                                                           \
  virtual nlohmann::json tasks(const drover::storage::TaskFilter& filter) SPEC;                              \
  virtual drover::storage::SubtaskSlot take_subtask_slot(const std::string& parent) SPEC;                    \
  /* Status "waiting" until propagate settles it. */                                                         \
  virtual void insert_task(const drover::storage::NewTask& task) SPEC;                                       \
  /* False when the task does not exist. */                                                                  \
  virtual bool update_fields(const std::string& id, const std::vector<drover::storage::FieldValue>& fields,  \
                             int64_t now_ms) SPEC;                                                           \
                                                                                                             \
  /* The dependency graph. */                                                                                \
  virtual void insert_dependency(const std::string& task, const std::string& blocker) SPEC;                  \
  /* False when there was no such edge. */                                                                   \
  virtual bool delete_dependency(const std::string& task, const std::string& blocker) SPEC;                  \
  /* Deletes these tasks, their dependency edges (either end) and their */                                  \
  /* events. The caller made sure no other task depends on them. */                                         \
  virtual void delete_tasks(const std::vector<std::string>& ids) SPEC;                                       \
  /* (task, blocker) edges leaving these tasks, ordered. */                                                  \
  virtual drover::storage::Edges blocked_by_edges(const std::vector<std::string>& tasks) SPEC;               \
  /* Direct dependents of these tasks, numeric id order, each once. */                                       \
  virtual std::vector<std::string> dependents(const std::vector<std::string>& tasks) SPEC;                   \
  /* The blockers of these tasks, each task's in numeric id order. */                                        \
  virtual std::vector<drover::storage::BlockerState> blockers(const std::vector<std::string>& tasks) SPEC;   \
  /* Applies the changes to the tasks that are still pending (a concurrent */                                \
  /* claim may have started one); returns the ids changed. Leaving "ready" */                                \
  /* drops a task's wait. */                                                                                 \
  virtual std::vector<std::string> set_pending_statuses(                                                     \
      const std::vector<drover::storage::StatusChange>& changes, int64_t now_ms) SPEC;                       \
  /* Sets any status (cancel; waiting before re-deriving), same wait rule. */                                \
  virtual void set_status(const std::string& id, const std::string& status, const std::string& reason,       \
                          int64_t now_ms) SPEC;                                                              \
                                                                                                             \
  /* The lifecycle columns. The best claimable task (storage.h's claim_task), */                             \
  /* now running under the lease: */                                                                         \
  virtual std::optional<drover::storage::Claimed> claim(const drover::storage::ClaimQuery& query) SPEC;      \
  virtual int64_t renew_leases(const std::string& executor, int64_t expires_ms, int64_t now_ms) SPEC;        \
  /* Drops the lease; the status is left as it is. */                                                        \
  virtual void release(const drover::storage::Release& release) SPEC;                                        \
  /* Stores the wait, and reason as status_reason if the task is ready or waiting. */                        \
  virtual void set_wait(const std::string& id, const drover::storage::TaskWait& wait,                        \
                        const std::optional<std::string>& reason) SPEC;                                      \
  virtual void complete(const std::string& id, const std::optional<std::string>& summary,                    \
                        const std::optional<std::string>& merge_commit, int64_t now_ms) SPEC;                \
  virtual void fail(const std::string& id, const std::string& error, int64_t now_ms) SPEC;                   \
  /* reset/retry: waiting, attempts 0, generation + 1, times and lease cleared. */                           \
  virtual void restart(const std::string& id, int64_t now_ms) SPEC;                                          \
                                                                                                             \
  /* Epics, in id order, and the task counts. */                                                             \
  virtual bool epic_exists(const std::string& id) SPEC;                                                      \
  virtual void insert_epic(const std::string& id, int64_t num, const std::string& title,                     \
                           const std::string& description, int64_t now_ms) SPEC;                             \
  virtual nlohmann::json epics() SPEC;                                                                       \
  virtual std::vector<std::pair<std::string, drover::storage::StatusTotals>> epic_status_counts() SPEC;      \
  virtual std::vector<drover::storage::StatusTotals> status_totals(const std::optional<std::string>& epic)    \
      SPEC;                                                                                                  \
                                                                                                             \
  /* Workflows and steps (JSON values kept as text). False: the id exists. */                                \
  virtual bool insert_workflow(const std::string& id, const std::string& name, const std::string& input,     \
                               const std::string& executor, int64_t now_ms) SPEC;                            \
  virtual void set_workflow_executor(const std::string& id, const std::string& executor) SPEC;               \
  virtual std::optional<nlohmann::json> workflow(const std::string& id) SPEC;                                \
  virtual std::optional<nlohmann::json> finish_workflow(const std::string& id, const std::string& status,    \
                                                        const std::optional<std::string>& output,            \
                                                        int64_t now_ms) SPEC;                                \
  virtual nlohmann::json steps(const std::string& workflow_id) SPEC;                                         \
  /* False when the step is recorded already or the workflow does not exist. */                              \
  virtual bool insert_step(const std::string& workflow_id, int64_t step, const std::string& name,            \
                           const std::optional<std::string>& outcome, const std::optional<std::string>& error, \
                           int64_t now_ms) SPEC;                                                             \
  virtual std::optional<nlohmann::json> step(const std::string& workflow_id, int64_t step) SPEC;             \
                                                                                                             \
  /* The event log; insert_event returns the event record. */                                                \
  virtual nlohmann::json insert_event(const std::optional<std::string>& task_id, const std::string& kind,    \
                                      const std::string& message, const std::optional<std::string>& data,    \
                                      int64_t now_ms) SPEC;                                                  \
  virtual nlohmann::json events(const std::optional<std::string>& task_id, int64_t after_id,                 \
                                std::optional<int64_t> limit) SPEC;                                          \
                                                                                                             \
  /* Executors (ABI 1.4). The store's own clock, or fallback where it has none. */                           \
  virtual int64_t clock_ms(int64_t fallback) SPEC;                                                           \
  /* The row as it was (nullopt: new), then inserted or replaced. */                                         \
  virtual std::optional<drover::storage::ExecutorRow> executor(const std::string& id) SPEC;                  \
  virtual void put_executor(const drover::storage::ExecutorRow& row) SPEC;                                   \
  /* Every executor, last_beat_ms descending, then id. */                                                    \
  virtual std::vector<drover::storage::ExecutorRow> executors() SPEC;                                        \
  /* (lease owner, task id) of every running task with a lease, numeric id order. */                         \
  virtual std::vector<std::pair<std::string, std::string>> running_leases() SPEC;                            \
                                                                                                             \
  /* Agent output (ABI 1.4). for_update locks the log's row until the transaction ends. */                   \
  virtual std::optional<drover::storage::LogHead> log_head(const drover::storage::LogKey& key,               \
                                                           bool for_update) SPEC;                            \
  virtual void put_log_head(const drover::storage::LogKey& key, const drover::storage::LogHead& head,        \
                            int64_t now_ms) SPEC;                                                            \
  virtual void insert_log_chunk(const drover::storage::LogKey& key, int64_t offset, const std::string& data) SPEC; \
  /* Deletes the chunks lying wholly in [from, to); returns the bytes they held. */                          \
  virtual int64_t drop_log_chunks(const drover::storage::LogKey& key, int64_t from, int64_t to) SPEC;        \
  /* The chunks holding bytes of [from, from + max_bytes) in offset order; when */                           \
  /* no chunk holds byte from, the range starts at the first chunk after it. */                              \
  virtual std::vector<drover::storage::LogChunk> log_chunks(const drover::storage::LogKey& key, int64_t from, \
                                                            int64_t max_bytes) SPEC;                         \
  /* The latest log of the task matching the given parts (generation, then */                               \
  /* attempt, then round, each the largest where left out). */                                              \
  virtual std::optional<drover::storage::LogKey> latest_log(const std::string& task_id,                     \
                                                            std::optional<int64_t> generation,               \
                                                            std::optional<int64_t> attempt,                  \
                                                            std::optional<int64_t> round) SPEC;

class StoreTables {
 public:
  virtual ~StoreTables() = default;
  DROVER_STORAGE_TABLE_PRIMITIVES(= 0)
};

}  // namespace drover::storage

#endif
