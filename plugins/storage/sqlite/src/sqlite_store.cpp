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

// Enough to share a transaction among every worker of a large run, few enough
// that the first of them does not wait long for its answer.
constexpr std::size_t kMaxWritesPerTransaction = 32;

SqliteStore::SqliteStore(std::string_view config_yaml, std::string_view context_json)
    : db_(open_database(config_yaml, context_json)),
      batches_([this](const std::vector<PendingWrite*>& batch) { run_batch(batch); }, kMaxWritesPerTransaction) {
  schema_version_ = create_or_migrate(db_, system_now_ms());
}

drover::storage::StoreIdentity SqliteStore::identity() const { return {"sqlite", schema_version_, db_.path()}; }

std::string SqliteStore::run_write(const Body& body) {
  PendingWrite write;
  write.body = &body;
  return batches_.submit(write);
}

void SqliteStore::run_batch(const std::vector<PendingWrite*>& batch) {
  std::lock_guard lock(mutex_);
  try {
    if (batch.size() == 1) {
      PendingWrite& w = *batch.front();
      w.result = db_.write([&] {
        SqliteTables tables(db_);
        return (*w.body)(tables);
      });
      return;
    }
    db_.write([&] {
      for (PendingWrite* w : batch) {
        w->error = nullptr;  // a retried transaction runs every body again
        db_.exec("SAVEPOINT drover_write");
        try {
          SqliteTables tables(db_);
          w->result = (*w->body)(tables);
          db_.exec("RELEASE drover_write");
        } catch (const BusyError&) {
          throw;  // the whole transaction is retried
        } catch (...) {
          // A full disk or an I/O error may have ended the whole transaction,
          // and a damaged file takes no more writes: then every write fails.
          if (db_.damaged() || !db_.in_transaction()) throw;
          db_.exec("ROLLBACK TO drover_write");
          db_.exec("RELEASE drover_write");
          w->error = std::current_exception();
        }
      }
    });
  } catch (...) {
    // Nothing of the batch committed, whatever each body returned.
    for (PendingWrite* w : batch) w->error = std::current_exception();
  }
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
