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

  DROVER_STORAGE_TABLE_PRIMITIVES(override)

 private:
  // Task records matching `where` (over alias t, parameters $1...), list order.
  nlohmann::json task_records(const std::string& where, const std::vector<SqlParam>& params);
  SqlTransaction& tx_;
};

}  // namespace drover::postgres

#endif
