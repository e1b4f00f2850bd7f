// SqliteTables: the table primitives of StoreTables in SQLite's dialect, on
// the connection of the running transaction. Lists of ids are bound as one
// JSON array and read with json_each, so no SQL text is built from data.
#ifndef DROVER_STORAGE_SQLITE_SQLITE_TABLES_H
#define DROVER_STORAGE_SQLITE_SQLITE_TABLES_H

#include "database.h"
#include "store_tables.h"

namespace drover::sqlite_storage {

class SqliteTables final : public drover::storage::StoreTables {
 public:
  explicit SqliteTables(Database& db) : db_(db) {}

  DROVER_STORAGE_TABLE_PRIMITIVES(override)

 private:
  std::vector<std::string> texts(Query q);  // column 0 of every row
  nlohmann::json task_records(Query q);     // rows of DROVER_STORAGE_TASK_COLUMNS
  Database& db_;
};

}  // namespace drover::sqlite_storage

#endif
