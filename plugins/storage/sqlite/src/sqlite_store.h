// SqliteStore: the drover storage contract (drover/plugin/storage.h) on one
// SQLite database file. The operations and their rules are StateStore's
// (plugins/storage/common); this class opens the file, runs transactions and
// hands StateStore the SQLite tables (sqlite_tables.h).
#ifndef DROVER_STORAGE_SQLITE_SQLITE_STORE_H
#define DROVER_STORAGE_SQLITE_SQLITE_STORE_H

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "database.h"
#include "state_store.h"
#include "write_batches.h"

namespace drover::sqlite_storage {

class SqliteStore final : public drover::storage::StateStore {
 public:
  SqliteStore(std::string_view config_yaml, std::string_view context_json);
  static void check_config(std::string_view yaml);

 private:
  drover::storage::StoreIdentity identity() const override;
  std::string run_write(const Body& body) override;  // BEGIN IMMEDIATE: writers take turns on the file
  std::string read(const Body& body) override;
  // One transaction for the writes a batch holds, each in a savepoint of its
  // own: a write whose body fails is undone alone, the others still commit.
  void run_batch(const std::vector<PendingWrite*>& batch);

  // One connection per open store, guarded by the mutex, so a store handle may
  // be shared by the threads of a process; several processes share the file
  // through SQLite's locking (WAL, every write transaction BEGIN IMMEDIATE).
  // Concurrent writers of this process share transactions (write_batches.h).
  std::mutex mutex_;
  Database db_;
  int64_t schema_version_ = 0;
  WriteBatches batches_;
};

}  // namespace drover::sqlite_storage

#endif
