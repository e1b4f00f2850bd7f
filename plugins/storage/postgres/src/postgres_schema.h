// Creating and versioning the plugin's tables inside its own PostgreSQL schema.
#ifndef DROVER_STORAGE_POSTGRES_POSTGRES_SCHEMA_H
#define DROVER_STORAGE_POSTGRES_POSTGRES_SCHEMA_H

#include <string>

#include "sql_session.h"

namespace drover::postgres {

// The schema version this build writes and understands.
constexpr int kSchemaVersion = 5;

// Creates the schema and its tables if missing, upgrades an older version, and
// refuses (DROVER_UNSUPPORTED) a schema written by a newer drover. Safe when
// several processes open the same store at once (an advisory lock serializes them).
void migrate_schema(SqlSession& session, const std::string& schema);

// "schema" as a quoted identifier. schema must already be a valid identifier.
std::string quoted_identifier(const std::string& name);

}  // namespace drover::postgres

#endif
