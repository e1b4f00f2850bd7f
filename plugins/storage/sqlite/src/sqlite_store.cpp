// Opening a store, describe(), and the record lookups shared by the operations.
#include "sqlite_store.h"

#include <chrono>
#include <filesystem>

#include "request.h"
#include "schema.h"
#include "store_config.h"
#include "task_record.h"

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

std::string SqliteStore::describe(std::string_view request) {
  Request req("describe", request);
  nlohmann::json out = {{"backend", "sqlite"}, {"schema_version", schema_version_}, {"location", db_.path()}};
  return out.dump();
}

std::optional<nlohmann::json> SqliteStore::load_task(const std::string& id) {
  Query q = db_.query("SELECT " DROVER_TASK_COLUMNS " FROM tasks t WHERE t.id = ?1", std::string_view(id));
  if (!q.next()) return std::nullopt;
  return task_from_row(db_, q);
}

nlohmann::json SqliteStore::require_task_json(const Request& request, const std::string& id) {
  std::optional<nlohmann::json> task = load_task(id);
  if (!task) {
    throw drover::sdk::Error(DROVER_NOT_FOUND, request.operation() + ": task " + id + " does not exist");
  }
  return *task;
}

std::optional<SqliteStore::TaskState> SqliteStore::load_state(const std::string& id) {
  Query q = db_.query("SELECT id, status, status_reason, parent, lease_owner FROM tasks WHERE id = ?1",
                      std::string_view(id));
  if (!q.next()) return std::nullopt;
  return TaskState{q.text(0), q.text(1), q.text(2), q.optional_text(3), q.optional_text(4)};
}

SqliteStore::TaskState SqliteStore::require_state(const Request& request, const char* key, const std::string& id) {
  std::optional<TaskState> state = load_state(id);
  if (!state) {
    throw drover::sdk::Error(DROVER_NOT_FOUND,
                             request.operation() + ": task " + id + " (field '" + key + "') does not exist");
  }
  return *state;
}

void SqliteStore::require_epic(const Request& request, const std::string& id) {
  Query q = db_.query("SELECT 1 FROM epics WHERE id = ?1", std::string_view(id));
  if (!q.next()) {
    throw drover::sdk::Error(DROVER_NOT_FOUND, request.operation() + ": epic " + id +
                                                   " does not exist; create it first (list_epics shows the ids)");
  }
}

int64_t SqliteStore::next_counter(const char* name) {
  Query q = db_.query("UPDATE counters SET value = value + 1 WHERE name = ?1 RETURNING value", std::string_view(name));
  if (!q.next()) throw drover::sdk::Error(DROVER_ERROR, std::string("sqlite store: counter '") + name + "' is missing");
  int64_t value = q.integer(0);
  q.run();
  return value;
}

void SqliteStore::add_event(const std::optional<std::string>& task_id, std::string_view kind,
                            std::string_view message, const nlohmann::json& data, int64_t now_ms) {
  std::string data_text = data.is_null() ? std::string() : data.dump();
  Query q = db_.query("INSERT INTO events (task_id, kind, message, data, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
  q.bind_optional(1, task_id).bind(2, kind).bind(3, message).bind(5, now_ms);
  if (data.is_null()) {
    q.bind(4, nullptr);
  } else {
    q.bind(4, std::string_view(data_text));
  }
  q.run();
}

}  // namespace drover::sqlite_storage

DROVER_STORAGE_PLUGIN(drover::sqlite_storage::SqliteStore, "sqlite", "0.1.0")
