// Opening a store, describe(), the transactions StateStore runs in, and the
// plugin's entry point.
#include "postgres_store.h"

#include "postgres_schema.h"
#include "postgres_tables.h"
#include "request.h"

namespace drover::postgres {

namespace {
SqlEndpoint endpoint_for(const PostgresConfig& config) {
  SqlEndpoint endpoint;
  endpoint.conninfo = config.conninfo();
  endpoint.display = config.masked_url();
  endpoint.host = config.host();
  endpoint.password = config.password();
  endpoint.search_path = quoted_identifier(config.schema);
  return endpoint;
}
}  // namespace

void PostgresStore::check_config(std::string_view yaml) { PostgresConfig::parse(yaml); }

PostgresStore::PostgresStore(std::string_view config_yaml, std::string_view /*context_json*/)
    : config_(PostgresConfig::parse(config_yaml)), session_(std::make_unique<SqlSession>(endpoint_for(config_))) {
  migrate_schema(*session_, config_.schema);
}

std::string PostgresStore::describe(std::string_view request) {
  drover::storage::Request req("describe", request);
  return nlohmann::json{{"backend", "postgres"},
                        {"schema_version", kSchemaVersion},
                        {"location", config_.masked_url() + " schema " + config_.schema}}
      .dump();
}

std::string PostgresStore::write(const Body& body) {
  std::string out;
  session_->transact([&](SqlTransaction& tx) {
    PostgresTables tables(tx);
    out = body(tables);
  });
  return out;
}

std::string PostgresStore::read(const Body& body) {
  std::string out;
  session_->read([&](SqlTransaction& tx) {
    PostgresTables tables(tx);
    out = body(tables);
  });
  return out;
}

}  // namespace drover::postgres

DROVER_STORAGE_PLUGIN(drover::postgres::PostgresStore, "postgres", "0.1.0")
