// Schema versioning: PRAGMA user_version holds the version (readable without
// any table), and the schema_version table keeps the history of migrations.
// Migration N takes a store from version N-1 to N; a new store runs all of them.
#include "schema.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drover/plugin/sdk.hpp"
#include "task_wait.h"

namespace drover::sqlite_storage {

namespace {

struct Migration {
  int64_t version;
  const char* sql;
  // Runs after sql, in the same transaction, for what SQL alone cannot say.
  void (*convert)(Database& db) = nullptr;
};

// Version 2 turns the prose that version 1 stores kept in status_reason for a
// ready task ("agent 'x' paused by a usage limit: ...") into the typed wait.
void convert_legacy_waits(Database& db) {
  std::vector<std::pair<std::string, std::string>> reasons;
  Query q = db.query("SELECT id, status_reason FROM tasks WHERE status = 'ready' AND status_reason <> ''");
  while (q.next()) reasons.emplace_back(q.text(0), q.text(1));
  for (const auto& [id, reason] : reasons) {
    std::optional<drover::storage::TaskWait> wait = drover::storage::wait_from_legacy_reason(reason);
    if (!wait) continue;
    std::string paths = wait->paths_text();
    db.query("UPDATE tasks SET wait_kind = ?2, wait_agent = ?3, wait_detail = ?4, wait_paths = ?5 WHERE id = ?1",
             std::string_view(id), std::string_view(wait->kind), std::string_view(wait->agent),
             std::string_view(wait->detail), std::string_view(paths))
        .run();
  }
}

constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE schema_version (
  version    INTEGER PRIMARY KEY,
  applied_ms INTEGER NOT NULL
);

-- Per-store id counters: 'task' for t<N>, 'epic' for e<N>.
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('task', 0), ('epic', 0);

CREATE TABLE epics (
  id          TEXT PRIMARY KEY,            -- e<num>
  num         INTEGER NOT NULL UNIQUE,
  title       TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_ms  INTEGER NOT NULL
);

CREATE TABLE tasks (
  id               TEXT PRIMARY KEY,       -- t<num> or t<num>.<sequence>
  num              INTEGER NOT NULL,       -- for a sub-task: its parent's num
  sequence         INTEGER NOT NULL DEFAULT 0,
  parent           TEXT REFERENCES tasks (id),
  epic             TEXT REFERENCES epics (id),
  title            TEXT NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  priority         INTEGER NOT NULL DEFAULT 0,
  status           TEXT NOT NULL CHECK (status IN
                     ('ready', 'waiting', 'running', 'completed', 'failed', 'blocked', 'cancelled')),
  status_reason    TEXT NOT NULL DEFAULT '',
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL DEFAULT 0,
  agent            TEXT,
  timeout_ms       INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT NOT NULL DEFAULT '',
  result_summary   TEXT NOT NULL DEFAULT '',
  session_id       TEXT NOT NULL DEFAULT '',
  tokens_in        INTEGER NOT NULL DEFAULT 0,
  tokens_out       INTEGER NOT NULL DEFAULT 0,
  cost_usd         REAL NOT NULL DEFAULT 0,
  merge_commit     TEXT NOT NULL DEFAULT '',
  generation       INTEGER NOT NULL DEFAULT 0,
  not_before_ms    INTEGER NOT NULL DEFAULT 0,
  lease_owner      TEXT,
  lease_expires_ms INTEGER NOT NULL DEFAULT 0,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL,
  started_ms       INTEGER NOT NULL DEFAULT 0,
  completed_ms     INTEGER NOT NULL DEFAULT 0,
  last_subtask     INTEGER NOT NULL DEFAULT 0, -- sequence of the newest sub-task
  UNIQUE (num, sequence)
);
CREATE INDEX tasks_by_status ON tasks (status, priority DESC, created_ms, num, sequence);
-- Finding expired leases must not walk every running task.
CREATE INDEX tasks_by_lease_expiry ON tasks (status, lease_expires_ms);
CREATE INDEX tasks_by_epic ON tasks (epic);
CREATE INDEX tasks_by_lease_owner ON tasks (lease_owner) WHERE lease_owner IS NOT NULL;

-- task_id is blocked by blocker_id. implicit = 1 for sub-task ordering edges.
CREATE TABLE dependencies (
  task_id    TEXT NOT NULL REFERENCES tasks (id),
  blocker_id TEXT NOT NULL REFERENCES tasks (id),
  implicit   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, blocker_id)
) WITHOUT ROWID;
CREATE INDEX dependencies_by_blocker ON dependencies (blocker_id, task_id);

CREATE TABLE workflows (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  input      TEXT NOT NULL,                 -- JSON
  status     TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  output     TEXT,                          -- JSON or NULL
  executor   TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE steps (
  workflow_id TEXT NOT NULL REFERENCES workflows (id),
  step        INTEGER NOT NULL,
  name        TEXT NOT NULL,
  outcome     TEXT,                         -- JSON or NULL
  error       TEXT,
  created_ms  INTEGER NOT NULL,
  PRIMARY KEY (workflow_id, step)
) WITHOUT ROWID;

CREATE TABLE events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id    TEXT REFERENCES tasks (id),
  kind       TEXT NOT NULL,
  message    TEXT NOT NULL,
  data       TEXT,                          -- JSON or NULL
  created_ms INTEGER NOT NULL
);
CREATE INDEX events_by_task ON events (task_id, id);
)sql"},
    {2, R"sql(
-- Why a ready task waits (release_task's "wait"); kind '' = not waiting.
ALTER TABLE tasks ADD COLUMN wait_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN wait_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN wait_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN wait_paths TEXT NOT NULL DEFAULT '[]';  -- JSON array of strings
-- Nothing reads whether an edge was implicit (sub-task order) or explicit.
ALTER TABLE dependencies DROP COLUMN implicit;
)sql",
     convert_legacy_waits},
    {3, R"sql(
-- Steering and overlap-aware dispatch (storage ABI 1.2).
ALTER TABLE tasks ADD COLUMN touches TEXT NOT NULL DEFAULT '[]';          -- JSON array of globs
ALTER TABLE tasks ADD COLUMN learned_touches TEXT NOT NULL DEFAULT '[]';  -- JSON array of paths
ALTER TABLE tasks ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
)sql"},
    {4, R"sql(
-- Review before landing (storage ABI 1.3): a person approves the task's work.
ALTER TABLE tasks ADD COLUMN review INTEGER NOT NULL DEFAULT 0;
-- And cost_usd is NULL when the agent reported no cost (issue 14); a stored 0
-- was written for "none" (no agent reports a cost of exactly 0). SQLite
-- cannot drop NOT NULL in place: a nullable column replaces it (queries name
-- their columns, so its new place at the end does not matter).
ALTER TABLE tasks ADD COLUMN cost_reported REAL;
UPDATE tasks SET cost_reported = NULLIF(cost_usd, 0);
ALTER TABLE tasks DROP COLUMN cost_usd;
ALTER TABLE tasks RENAME COLUMN cost_reported TO cost_usd;
)sql"},
    {5, R"sql(
-- Several machines, one project (storage ABI 1.4): the executors sharing the
-- store, beaten by each `drover run`, and the agent output of every round,
-- kept as chunks at their offsets in the stream (log_operations.cpp).
CREATE TABLE executors (
  id            TEXT PRIMARY KEY,           -- the lease owner name of the run
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  started_ms    INTEGER NOT NULL,
  version       TEXT NOT NULL,
  workers       INTEGER NOT NULL,
  lease_ms      INTEGER NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('running', 'stopping', 'stopped')),
  first_beat_ms INTEGER NOT NULL,
  last_beat_ms  INTEGER NOT NULL
);
CREATE TABLE task_logs (
  task_id    TEXT NOT NULL REFERENCES tasks (id),
  generation INTEGER NOT NULL,
  attempt    INTEGER NOT NULL,
  round      INTEGER NOT NULL,
  size       INTEGER NOT NULL,             -- bytes of the stream so far
  kept       INTEGER NOT NULL,             -- bytes held in log_chunks
  finished   INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (task_id, generation, attempt, round)
) WITHOUT ROWID;
CREATE TABLE log_chunks (
  task_id    TEXT NOT NULL,
  generation INTEGER NOT NULL,
  attempt    INTEGER NOT NULL,
  round      INTEGER NOT NULL,
  pos        INTEGER NOT NULL,             -- offset of data in the stream
  bytes      INTEGER NOT NULL,             -- length of data in bytes
  data       TEXT NOT NULL,
  PRIMARY KEY (task_id, generation, attempt, round, pos)
) WITHOUT ROWID;
)sql"},
};

int64_t stored_version(Database& db) {
  Query q = db.query("PRAGMA user_version");
  return q.next() ? q.integer(0) : 0;
}

// The history table may record a version that user_version lost (e.g. a copy
// made by a tool that does not preserve the header); trust the larger one.
int64_t recorded_version(Database& db) {
  Query exists = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!exists.next()) return 0;
  Query q = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  return q.next() ? q.integer(0) : 0;
}

void refuse_newer(Database& db, int64_t version) {
  throw drover::sdk::Error(DROVER_UNSUPPORTED, "store " + db.path() + " has schema version " +
                                                   std::to_string(version) + "; this sqlite plugin supports up to " +
                                                   std::to_string(kSchemaVersion) + ": upgrade drover");
}

}  // namespace

int64_t create_or_migrate(Database& db, int64_t now_ms) {
  // Fast path without the write lock: an up-to-date store needs nothing.
  int64_t current = db.read([&] { return std::max(stored_version(db), recorded_version(db)); });
  if (current > kSchemaVersion) refuse_newer(db, current);
  if (current == kSchemaVersion) return current;

  return db.write([&] {
    // Re-read under the write lock: another process may have migrated meanwhile.
    int64_t version = std::max(stored_version(db), recorded_version(db));
    if (version > kSchemaVersion) refuse_newer(db, version);
    for (const Migration& m : kMigrations) {
      if (m.version <= version) continue;
      db.exec(m.sql);
      if (m.convert != nullptr) m.convert(db);
      db.query("INSERT INTO schema_version (version, applied_ms) VALUES (?1, ?2)", m.version, now_ms).run();
      version = m.version;
    }
    // PRAGMA does not take parameters; the value is a compile-time constant.
    static const std::string set_version = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
    db.exec(set_version.c_str());
    return version;
  });
}

}  // namespace drover::sqlite_storage
