// SqliteTables: the table primitives of StoreTables in SQLite's dialect, on
// the connection of the running transaction. Lists of ids are bound as one
// JSON array and read with json_each, so no SQL text is built from data.
#ifndef DROVER_STORAGE_SQLITE_SQLITE_TABLES_H
#define DROVER_STORAGE_SQLITE_SQLITE_TABLES_H

#include "database.h"
#include "store_tables.h"

namespace drover::sqlite_storage {

using drover::storage::BlockerState;
using drover::storage::Claimed;
using drover::storage::ClaimQuery;
using drover::storage::FieldValue;
using drover::storage::NewTask;
using drover::storage::Release;
using drover::storage::StatusChange;
using drover::storage::StatusTotals;
using drover::storage::SubtaskSlot;
using drover::storage::TaskFilter;
using drover::storage::TaskState;
using drover::storage::TaskWait;

class SqliteTables final : public drover::storage::StoreTables {
 public:
  explicit SqliteTables(Database& db) : db_(db) {}

  // BEGIN IMMEDIATE already serializes every writer of the file.
  void lock_graph() override {}
  int64_t next_counter(const char* name) override;

  std::optional<TaskState> task_state(const std::string& id, bool for_update) override;
  std::vector<TaskState> task_states(const std::vector<std::string>& ids) override;
  std::optional<nlohmann::json> task(const std::string& id) override;
  nlohmann::json tasks(const TaskFilter& filter) override;
  SubtaskSlot take_subtask_slot(const std::string& parent) override;
  void insert_task(const NewTask& task) override;
  bool update_fields(const std::string& id, const std::vector<FieldValue>& fields, int64_t now_ms) override;

  void insert_dependency(const std::string& task, const std::string& blocker) override;
  std::vector<std::pair<std::string, std::string>> blocked_by_edges(const std::vector<std::string>& tasks) override;
  std::vector<std::string> dependents(const std::vector<std::string>& tasks) override;
  std::vector<BlockerState> blockers(const std::vector<std::string>& tasks) override;
  std::vector<std::string> set_pending_statuses(const std::vector<StatusChange>& changes, int64_t now_ms) override;
  void set_status(const std::string& id, const std::string& status, const std::string& reason,
                  int64_t now_ms) override;

  std::optional<Claimed> claim(const ClaimQuery& query) override;
  int64_t renew_leases(const std::string& executor, int64_t expires_ms, int64_t now_ms) override;
  void release(const Release& release) override;
  void set_wait(const std::string& id, const TaskWait& wait, const std::optional<std::string>& reason) override;
  void complete(const std::string& id, const std::optional<std::string>& summary,
                const std::optional<std::string>& merge_commit, int64_t now_ms) override;
  void fail(const std::string& id, const std::string& error, int64_t now_ms) override;
  void restart(const std::string& id, int64_t now_ms) override;

  bool epic_exists(const std::string& id) override;
  void insert_epic(const std::string& id, int64_t num, const std::string& title, const std::string& description,
                   int64_t now_ms) override;
  nlohmann::json epics() override;
  std::vector<std::pair<std::string, StatusTotals>> epic_status_counts() override;
  std::vector<StatusTotals> status_totals(const std::optional<std::string>& epic) override;

  bool insert_workflow(const std::string& id, const std::string& name, const std::string& input,
                       const std::string& executor, int64_t now_ms) override;
  void set_workflow_executor(const std::string& id, const std::string& executor) override;
  std::optional<nlohmann::json> workflow(const std::string& id) override;
  std::optional<nlohmann::json> finish_workflow(const std::string& id, const std::string& status,
                                                const std::optional<std::string>& output, int64_t now_ms) override;
  nlohmann::json steps(const std::string& workflow_id) override;
  bool insert_step(const std::string& workflow_id, int64_t step, const std::string& name,
                   const std::optional<std::string>& outcome, const std::optional<std::string>& error,
                   int64_t now_ms) override;
  std::optional<nlohmann::json> step(const std::string& workflow_id, int64_t step) override;

  nlohmann::json insert_event(const std::optional<std::string>& task_id, const std::string& kind,
                              const std::string& message, const std::optional<std::string>& data,
                              int64_t now_ms) override;
  nlohmann::json events(const std::optional<std::string>& task_id, int64_t after_id,
                        std::optional<int64_t> limit) override;

 private:
  std::vector<std::string> texts(Query q);  // column 0 of every row
  nlohmann::json task_records(Query q);     // rows of DROVER_STORAGE_TASK_COLUMNS
  Database& db_;
};

}  // namespace drover::sqlite_storage

#endif
