#include "postgres_schema.h"

#include <optional>

#include "drover/plugin/sdk.hpp"
#include "task_wait.h"

namespace drover::postgres {

namespace {
// Version 1. Every table lives in the configured schema (the session's search_path).
// Counters are rows, not sequences, so ids have no gaps after a rolled-back
// transaction and event ids grow in commit order.
const char* const kSchemaV1 = R"sql(
CREATE TABLE schema_version (version integer NOT NULL);
CREATE TABLE counters (name text PRIMARY KEY, value bigint NOT NULL);
INSERT INTO counters (name, value) VALUES ('task', 0), ('epic', 0), ('event', 0);
CREATE TABLE epics (
  num bigint PRIMARY KEY,
  id text NOT NULL UNIQUE,
  title text NOT NULL,
  description text NOT NULL,
  created_ms bigint NOT NULL
);
CREATE TABLE tasks (
  id text PRIMARY KEY,
  num bigint NOT NULL,
  sequence bigint NOT NULL DEFAULT 0,
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  epic text REFERENCES epics (id),
  parent text REFERENCES tasks (id),
  priority bigint NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('ready', 'waiting', 'running', 'completed', 'failed', 'blocked', 'cancelled')),
  status_reason text NOT NULL DEFAULT '',
  attempts bigint NOT NULL DEFAULT 0,
  max_attempts bigint NOT NULL DEFAULT 0,
  agent text,
  timeout_ms bigint NOT NULL DEFAULT 0,
  last_error text NOT NULL DEFAULT '',
  result_summary text NOT NULL DEFAULT '',
  session_id text NOT NULL DEFAULT '',
  tokens_in bigint NOT NULL DEFAULT 0,
  tokens_out bigint NOT NULL DEFAULT 0,
  cost_usd double precision NOT NULL DEFAULT 0,
  merge_commit text NOT NULL DEFAULT '',
  generation bigint NOT NULL DEFAULT 0,
  not_before_ms bigint NOT NULL DEFAULT 0,
  lease_owner text,
  lease_expires_ms bigint NOT NULL DEFAULT 0,
  created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  started_ms bigint NOT NULL DEFAULT 0,
  completed_ms bigint NOT NULL DEFAULT 0,
  subtasks bigint NOT NULL DEFAULT 0
);
CREATE INDEX tasks_ready ON tasks (priority DESC, created_ms, num, sequence) WHERE status = 'ready';
CREATE INDEX tasks_running_by_lease ON tasks (lease_expires_ms) WHERE status = 'running';
CREATE INDEX tasks_by_epic ON tasks (epic);
CREATE INDEX tasks_by_lease_owner ON tasks (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE TABLE dependencies (
  task text NOT NULL REFERENCES tasks (id),
  blocker text NOT NULL REFERENCES tasks (id),
  PRIMARY KEY (task, blocker)
);
CREATE INDEX dependencies_by_blocker ON dependencies (blocker, task);
CREATE TABLE workflows (
  id text PRIMARY KEY,
  name text NOT NULL,
  input text NOT NULL,
  status text NOT NULL,
  output text,
  executor text NOT NULL,
  created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL
);
CREATE TABLE workflow_steps (
  workflow_id text NOT NULL REFERENCES workflows (id),
  step bigint NOT NULL,
  name text NOT NULL,
  outcome text,
  error text,
  created_ms bigint NOT NULL,
  PRIMARY KEY (workflow_id, step)
);
CREATE TABLE events (
  id bigint PRIMARY KEY,
  task_id text,
  kind text NOT NULL,
  message text NOT NULL,
  data text,
  created_ms bigint NOT NULL
);
CREATE INDEX events_by_task ON events (task_id, id);
INSERT INTO schema_version (version) VALUES (1);
)sql";

// Version 2: why a ready task waits (release_task's "wait"); kind '' = not waiting.
const char* const kSchemaV2 = R"sql(
ALTER TABLE tasks ADD COLUMN wait_kind text NOT NULL DEFAULT '',
  ADD COLUMN wait_agent text NOT NULL DEFAULT '',
  ADD COLUMN wait_detail text NOT NULL DEFAULT '',
  ADD COLUMN wait_paths text NOT NULL DEFAULT '[]';
INSERT INTO schema_version (version) VALUES (2);
)sql";

// Version 3: steering and overlap-aware dispatch (storage ABI 1.2). touches and
// learned_touches are JSON arrays kept as text, like wait_paths.
const char* const kSchemaV3 = R"sql(
ALTER TABLE tasks ADD COLUMN touches text NOT NULL DEFAULT '[]',
  ADD COLUMN learned_touches text NOT NULL DEFAULT '[]',
  ADD COLUMN paused bigint NOT NULL DEFAULT 0;
INSERT INTO schema_version (version) VALUES (3);
)sql";

// Version 4: review before landing (storage ABI 1.3): a person approves the
// task's work; and cost_usd is NULL when the agent reported no cost (issue
// 14): a stored 0 was written for "none" (no agent reports a cost of exactly 0).
const char* const kSchemaV4 = R"sql(
ALTER TABLE tasks ADD COLUMN review bigint NOT NULL DEFAULT 0;
ALTER TABLE tasks ALTER COLUMN cost_usd DROP NOT NULL, ALTER COLUMN cost_usd DROP DEFAULT;
UPDATE tasks SET cost_usd = NULL WHERE cost_usd = 0;
INSERT INTO schema_version (version) VALUES (4);
)sql";

// Version 5: several machines, one project (storage ABI 1.4): the executors
// sharing the store, beaten by each `drover run`, and the agent output of
// every round, kept as chunks at their offsets in the stream.
const char* const kSchemaV5 = R"sql(
CREATE TABLE executors (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid bigint NOT NULL,
  started_ms bigint NOT NULL,
  version text NOT NULL,
  workers bigint NOT NULL,
  lease_ms bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'stopping', 'stopped')),
  first_beat_ms bigint NOT NULL,
  last_beat_ms bigint NOT NULL
);
CREATE TABLE task_logs (
  task_id text NOT NULL REFERENCES tasks (id),
  generation bigint NOT NULL,
  attempt bigint NOT NULL,
  round bigint NOT NULL,
  size bigint NOT NULL,
  kept bigint NOT NULL,
  finished boolean NOT NULL DEFAULT false,
  updated_ms bigint NOT NULL,
  PRIMARY KEY (task_id, generation, attempt, round)
);
CREATE TABLE log_chunks (
  task_id text NOT NULL,
  generation bigint NOT NULL,
  attempt bigint NOT NULL,
  round bigint NOT NULL,
  pos bigint NOT NULL,
  bytes bigint NOT NULL,
  data text NOT NULL,
  PRIMARY KEY (task_id, generation, attempt, round, pos)
);
INSERT INTO schema_version (version) VALUES (5);
)sql";

// Version 1 stores kept the wait of a ready task as prose in status_reason
// ("agent 'x' paused by a usage limit: ..."): the typed wait is read from it.
void convert_legacy_waits(SqlTransaction& tx) {
  for (const SqlRow& row : tx.exec("SELECT id, status_reason FROM tasks WHERE status = 'ready' AND status_reason <> ''")) {
    std::optional<storage::TaskWait> wait = storage::wait_from_legacy_reason(row.text(1));
    if (!wait) continue;
    tx.exec("UPDATE tasks SET wait_kind = $2, wait_agent = $3, wait_detail = $4, wait_paths = $5 WHERE id = $1",
            {row.text(0), wait->kind, wait->agent, wait->detail, wait->paths_text()});
  }
}

// Advisory lock class for schema creation; the second key is the schema's hash.
constexpr int kMigrationLockClass = 0x44520001;

void create_or_upgrade(SqlSession& session, const std::string& schema) {
  session.transact([&](SqlTransaction& tx) {
    tx.exec("SELECT pg_advisory_xact_lock($1, hashtext($2))", {std::to_string(kMigrationLockClass), schema});
    // CREATE SCHEMA needs the CREATE right on the database even with IF NOT EXISTS,
    // so a schema an administrator prepared is only looked up.
    if (tx.exec("SELECT 1 FROM pg_namespace WHERE nspname = $1", {schema}).empty()) {
      tx.exec("CREATE SCHEMA " + quoted_identifier(schema));
    }
    SqlRows table = tx.exec("SELECT to_regclass($1) IS NOT NULL", {quoted_identifier(schema) + ".schema_version"});
    int version = 0;
    if (table.at(0).boolean(0)) {
      SqlRows rows = tx.exec("SELECT max(version) FROM " + quoted_identifier(schema) + ".schema_version");
      version = static_cast<int>(rows.at(0).integer(0));
    }
    if (version > kSchemaVersion) {
      throw sdk::Error(DROVER_UNSUPPORTED, "PostgreSQL schema \"" + schema + "\" has storage schema version " +
                                               std::to_string(version) + ", written by a newer drover; this postgres " +
                                               "plugin supports up to version " + std::to_string(kSchemaVersion) +
                                               ". Upgrade drover to use this store.");
    }
    if (version < kSchemaVersion) tx.exec("SET LOCAL search_path = " + quoted_identifier(schema));
    if (version < 1) tx.exec(kSchemaV1);
    if (version < 2) {
      tx.exec(kSchemaV2);
      convert_legacy_waits(tx);
    }
    if (version < 3) tx.exec(kSchemaV3);
    if (version < 4) tx.exec(kSchemaV4);
    if (version < 5) tx.exec(kSchemaV5);
  });
}
}  // namespace

std::string quoted_identifier(const std::string& name) { return "\"" + name + "\""; }

void migrate_schema(SqlSession& session, const std::string& schema) {
  try {
    create_or_upgrade(session, schema);
  } catch (const sdk::Error& e) {
    // 42501: insufficient privilege, typically no CREATE right on the database.
    if (std::string(e.what()).find("SQLSTATE 42501") == std::string::npos) throw;
    throw sdk::Error(DROVER_INVALID_CONFIG, std::string(e.what()) + "; the role in storage.config.url needs the " +
                                                "right to create schema \"" + schema + "\" and its tables (GRANT " +
                                                "CREATE ON DATABASE ...), or an administrator creates the schema " +
                                                "and grants it to the role");
  }
}

}  // namespace drover::postgres
