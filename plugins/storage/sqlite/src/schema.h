// The store's SQL schema and its migrations.
#ifndef DROVER_STORAGE_SQLITE_SCHEMA_H
#define DROVER_STORAGE_SQLITE_SCHEMA_H

#include <cstdint>

#include "database.h"

namespace drover::sqlite_storage {

// The newest schema version this plugin knows how to use.
constexpr int64_t kSchemaVersion = 5;

// Creates the schema in a new store, or migrates an older one up to
// kSchemaVersion, in one write transaction. A store written by a newer plugin
// is refused with DROVER_UNSUPPORTED. Returns the schema version in use.
int64_t create_or_migrate(Database& db, int64_t now_ms);

}  // namespace drover::sqlite_storage

#endif
