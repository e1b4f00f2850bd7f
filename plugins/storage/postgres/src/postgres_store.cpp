// Opening a store, what describe() reports, the transactions StateStore runs in, and the
// plugin's entry point.
#include "postgres_store.h"

#include "postgres_schema.h"
#include "postgres_tables.h"

namespace drover::postgres {

namespace {
SqlEndpoint endpoint_for(const PostgresConfig& config) {
  SqlEndpoint endpoint;
  endpoint.conninfo = config.conninfo();
  endpoint.display = config.masked_url();
  endpoint.host = config.host();
  endpoint.password = config.password();
  endpoint.search_path = quoted_identifier(config.schema);
  endpoint.settings = config.session_settings();
  return endpoint;
}
}  // namespace

void PostgresStore::check_config(std::string_view yaml) { PostgresConfig::parse(yaml); }

PostgresStore::PostgresStore(std::string_view config_yaml, std::string_view /*context_json*/)
    : config_(PostgresConfig::parse(config_yaml)), session_(std::make_unique<SqlSession>(endpoint_for(config_))) {
  migrate_schema(*session_, config_.schema);
}

drover::storage::StoreIdentity PostgresStore::identity() const {
  return {"postgres", kSchemaVersion, config_.masked_url() + " schema " + config_.schema};
}

std::string PostgresStore::run_write(const Body& body) { return run(&SqlSession::transact, body); }

std::string PostgresStore::read(const Body& body) { return run(&SqlSession::read, body); }

std::string PostgresStore::run(void (SqlSession::*in)(const std::function<void(SqlTransaction&)>&), const Body& body) {
  std::string out;
  (session_.get()->*in)([&](SqlTransaction& tx) {
    PostgresTables tables(tx);
    out = body(tables);
  });
  return out;
}

}  // namespace drover::postgres

DROVER_STORAGE_PLUGIN(drover::postgres::PostgresStore, "postgres", "0.1.0")
