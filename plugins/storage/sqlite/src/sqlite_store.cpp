// Opening a store, what describe() reports, and the transactions StateStore runs in.
#include "sqlite_store.h"

#include <chrono>

#include "schema.h"
#include "sqlite_tables.h"
#include "store_config.h"

namespace drover::sqlite_storage {

namespace {
int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Database open_database(std::string_view config_yaml, std::string_view context_json) {
  StoreLocation where = resolve_store(parse_config(config_yaml), context_json);
  return Database(where.path, where.read_only ? OpenMode::kReadOnly : OpenMode::kReadWrite);
}
}  // namespace

void SqliteStore::check_config(std::string_view yaml) { parse_config(yaml); }

SqliteStore::SqliteStore(std::string_view config_yaml, std::string_view context_json)
    : db_(open_database(config_yaml, context_json)) {
  schema_version_ = create_or_migrate(db_, system_now_ms());
}

drover::storage::StoreIdentity SqliteStore::identity() const { return {"sqlite", schema_version_, db_.path()}; }

std::string SqliteStore::write(const Body& body) {
  std::lock_guard lock(mutex_);
  return db_.write([&] {
    SqliteTables tables(db_);
    return body(tables);
  });
}

std::string SqliteStore::read(const Body& body) {
  std::lock_guard lock(mutex_);
  return db_.read([&] {
    SqliteTables tables(db_);
    return body(tables);
  });
}

}  // namespace drover::sqlite_storage

DROVER_STORAGE_PLUGIN(drover::sqlite_storage::SqliteStore, "sqlite", "0.1.0")
