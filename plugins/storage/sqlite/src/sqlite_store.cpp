// Opening a store, what describe() reports, and the transactions StateStore runs in.
#include "sqlite_store.h"

#include <chrono>
#include <filesystem>

#include "schema.h"
#include "sqlite_tables.h"
#include "store_config.h"

namespace drover::sqlite_storage {

namespace {
int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Parses the config and prepares the directory that will hold the file.
std::string prepare_store_path(std::string_view config_yaml, std::string_view context_json) {
  std::string path = resolve_store_path(parse_config(config_yaml), context_json);
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw drover::sdk::Error(DROVER_UNAVAILABLE, "cannot create directory " + parent.string() +
                                                       " for the sqlite store: " + ec.message());
    }
  }
  return path;
}
}  // namespace

void SqliteStore::check_config(std::string_view yaml) { parse_config(yaml); }

SqliteStore::SqliteStore(std::string_view config_yaml, std::string_view context_json)
    : db_(prepare_store_path(config_yaml, context_json)) {
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
