// The PostgreSQL storage plugin: the operations and rules of StateStore
// (plugins/storage/common), each one transaction on a PostgreSQL schema owned
// by the plugin, over PostgresTables. Several executors (processes, machines)
// may share one schema: claims use FOR UPDATE SKIP LOCKED, dependency changes
// and status propagation take a per-schema advisory lock, counters are locked
// rows.
#ifndef DROVER_STORAGE_POSTGRES_POSTGRES_STORE_H
#define DROVER_STORAGE_POSTGRES_POSTGRES_STORE_H

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "postgres_config.h"
#include "sql_session.h"
#include "state_store.h"

namespace drover::postgres {

class PostgresStore final : public drover::storage::StateStore {
 public:
  static void check_config(std::string_view yaml);
  PostgresStore(std::string_view config_yaml, std::string_view context_json);

 private:
  // The URL with its password masked, plus " schema <name>".
  drover::storage::StoreIdentity identity() const override;
  // See SqlSession::transact: a lost connection reruns the body.
  std::string run_write(const Body& body) override;
  // See SqlSession::read: statements run without BEGIN/COMMIT.
  std::string read(const Body& body) override;
  // Runs body on the tables of a transaction that session_ runs with `in`.
  std::string run(void (SqlSession::*in)(const std::function<void(SqlTransaction&)>&), const Body& body);

  PostgresConfig config_;
  std::unique_ptr<SqlSession> session_;
};

}  // namespace drover::postgres

#endif
