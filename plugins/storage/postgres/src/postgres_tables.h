// PostgresTables: the table primitives of StoreTables in PostgreSQL's
// dialect, on the running transaction. Lists of ids travel as one text[]
// parameter, so each primitive is one statement however many ids it covers,
// and no SQL text is built from data.
#ifndef DROVER_STORAGE_POSTGRES_POSTGRES_TABLES_H
#define DROVER_STORAGE_POSTGRES_POSTGRES_TABLES_H

#include "sql_session.h"
#include "store_tables.h"

namespace drover::postgres {

namespace st = drover::storage;

class PostgresTables final : public st::StoreTables {
 public:
  explicit PostgresTables(SqlTransaction& tx) : tx_(tx) {}

  // A per-schema advisory lock: executors on other connections take turns.
  void lock_graph() override;
  int64_t next_counter(const char* name) override;

  std::optional<st::TaskState> task_state(const std::string& id, bool for_update) override;
  std::vector<st::TaskState> task_states(const std::vector<std::string>& ids) override;
  std::optional<nlohmann::json> task(const std::string& id) override;
  nlohmann::json tasks(const st::TaskFilter& filter) override;
  st::SubtaskSlot take_subtask_slot(const std::string& parent) override;
  void insert_task(const st::NewTask& task) override;
  bool update_fields(const std::string& id, const std::vector<st::FieldValue>& fields, int64_t now_ms) override;

  void insert_dependency(const std::string& task, const std::string& blocker) override;
  std::vector<std::pair<std::string, std::string>> blocked_by_edges(const std::vector<std::string>& tasks) override;
  std::vector<std::string> dependents(const std::vector<std::string>& tasks) override;
  std::vector<st::BlockerState> blockers(const std::vector<std::string>& tasks) override;
  std::vector<std::string> set_pending_statuses(const std::vector<st::StatusChange>& changes, int64_t now_ms) override;
  void set_status(const std::string& id, const std::string& status, const std::string& reason,
                  int64_t now_ms) override;

  std::optional<st::Claimed> claim(const st::ClaimQuery& query) override;
  int64_t renew_leases(const std::string& executor, int64_t expires_ms, int64_t now_ms) override;
  void release(const st::Release& release) override;
  void set_wait(const std::string& id, const st::TaskWait& wait, const std::optional<std::string>& reason) override;
  void complete(const std::string& id, const std::optional<std::string>& summary,
                const std::optional<std::string>& merge_commit, int64_t now_ms) override;
  void fail(const std::string& id, const std::string& error, int64_t now_ms) override;
  void restart(const std::string& id, int64_t now_ms) override;

  bool epic_exists(const std::string& id) override;
  void insert_epic(const std::string& id, int64_t num, const std::string& title, const std::string& description,
                   int64_t now_ms) override;
  nlohmann::json epics() override;
  std::vector<std::pair<std::string, st::StatusTotals>> epic_status_counts() override;
  std::vector<st::StatusTotals> status_totals(const std::optional<std::string>& epic) override;

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
  // Task records matching `where` (over alias t, parameters $1...), list order.
  nlohmann::json task_records(const std::string& where, const std::vector<SqlParam>& params);
  SqlTransaction& tx_;
};

}  // namespace drover::postgres

#endif
