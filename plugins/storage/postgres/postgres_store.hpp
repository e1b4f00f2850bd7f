// The PostgreSQL storage plugin: every drover_storage_vtable_v1 operation as one
// transaction on a PostgreSQL schema owned by the plugin. Several executors
// (processes, machines) may share one schema: claims use FOR UPDATE SKIP LOCKED,
// dependency changes and status propagation take a per-schema advisory lock,
// counters are locked rows.
//
// JSON contract additions (storage.h allows extending JSON):
//   - claim_task always carries "reclaimed" (false for a ready task);
//   - events are appended for created, reclaimed, released, completed, failed and
//     retry/reset/cancelled, like the sqlite plugin;
//   - describe's "location" is the URL with its password masked plus " schema <name>".
#ifndef DROVER_PLUGINS_STORAGE_POSTGRES_POSTGRES_STORE_HPP
#define DROVER_PLUGINS_STORAGE_POSTGRES_POSTGRES_STORE_HPP

#include <memory>
#include <string>
#include <string_view>

#include "drover/plugin/sdk.hpp"
#include "postgres_config.hpp"
#include "sql_session.hpp"

namespace drover::postgres {

class PostgresStore final : public sdk::Storage {
 public:
  static void check_config(std::string_view yaml);
  PostgresStore(std::string_view config_yaml, std::string_view context_json);

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
  // Runs fn(tx) in one transaction (see SqlSession::transact) and returns its text.
  template <class Fn>
  std::string in_transaction(Fn&& fn) {
    std::string out;
    session_->transact([&](SqlTransaction& tx) { out = fn(tx); });
    return out;
  }
  // For operations that only read (see SqlSession::read).
  template <class Fn>
  std::string reading(Fn&& fn) {
    std::string out;
    session_->read([&](SqlTransaction& tx) { out = fn(tx); });
    return out;
  }

  PostgresConfig config_;
  std::unique_ptr<SqlSession> session_;
};

}  // namespace drover::postgres

#endif
