#include "database.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "drover/plugin/sdk.hpp"

namespace drover::sqlite_storage {

namespace {
// How long one statement waits for another connection's lock before SQLite
// reports SQLITE_BUSY, and how often the whole transaction is then retried.
constexpr int kBusyTimeoutMs = 5000;
constexpr int kMaxTransactionAttempts = 8;
}  // namespace

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(int index, const SqlValue& value) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::nullptr_t>(value)) {
    rc = sqlite3_bind_null(stmt_, index);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    rc = sqlite3_bind_int64(stmt_, index, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    rc = sqlite3_bind_double(stmt_, index, *d);
  } else {
    std::string_view s = std::get<std::string_view>(value);
    // SQLITE_TRANSIENT: SQLite copies the text, so temporaries are safe.
    rc = sqlite3_bind_text64(stmt_, index, s.data() == nullptr ? "" : s.data(), s.size(), SQLITE_TRANSIENT,
                             SQLITE_UTF8);
  }
  if (rc != SQLITE_OK) {
    throw drover::sdk::Error(DROVER_ERROR, std::string("sqlite: cannot bind parameter: ") + sqlite3_errmsg(db_));
  }
  return *this;
}

Query& Query::bind_optional(int index, const std::optional<std::string>& value) {
  if (value) return bind(index, std::string_view(*value));
  return bind(index, nullptr);
}

bool Query::next() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) throw BusyError{sqlite3_errmsg(db_)};
  std::string message = sqlite3_errmsg(db_);
  if (rc == SQLITE_FULL || rc == SQLITE_IOERR || (rc & 0xff) == SQLITE_IOERR) {
    throw drover::sdk::Error(DROVER_UNAVAILABLE, "sqlite: " + message + " (disk full or I/O error); free space and retry");
  }
  throw drover::sdk::Error(DROVER_ERROR, "sqlite: " + message + " in: " + sqlite3_sql(stmt_));
}

void Query::run() {
  while (next()) {
  }
}

bool Query::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
int64_t Query::integer(int column) const { return sqlite3_column_int64(stmt_, column); }
double Query::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Query::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(data, static_cast<size_t>(size));
}

std::optional<std::string> Query::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

Database::Database(const std::string& path) : path_(path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw drover::sdk::Error(DROVER_UNAVAILABLE,
                             "cannot open sqlite store " + path + ": " + message + "; check the path and its permissions");
  }
  try {
    configure_connection();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

void Database::configure_connection() {
  sqlite3_extended_result_codes(db_, 0);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  // Switching to WAL needs a brief exclusive lock; several processes opening a
  // new store at once may see SQLITE_BUSY here, so retry like a transaction.
  for (int attempt = 1;; ++attempt) {
    try {
      exec("PRAGMA journal_mode=WAL");
      break;
    } catch (const BusyError& busy) {
      backoff_or_give_up(attempt, busy);
    }
  }
  // NORMAL is durable in WAL mode except for the last commits before a power
  // loss (never after a process crash), and it keeps checkpoints cheap.
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Query Database::query(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, std::string("preparing: ") + sql);
    it = statements_.emplace(sql, stmt).first;
  }
  return Query(db_, it->second);
}

void Database::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    fail(rc, text);
  }
}

void Database::fail(int code, std::string_view what) const {
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw BusyError{std::string(what)};
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    throw drover::sdk::Error(DROVER_ERROR, "sqlite store " + path_ + " is not a valid drover database (" +
                                               std::string(what) + "); restore it from a backup or choose another path");
  }
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY) {
    throw drover::sdk::Error(DROVER_UNAVAILABLE, "sqlite store " + path_ + ": " + std::string(what) +
                                                     "; check disk space and permissions");
  }
  throw drover::sdk::Error(DROVER_ERROR, "sqlite store " + path_ + ": " + std::string(what));
}

void Database::rollback() noexcept {
  if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Database::backoff_or_give_up(int attempt, const BusyError& busy) {
  if (attempt >= kMaxTransactionAttempts) {
    throw drover::sdk::Error(DROVER_UNAVAILABLE, "sqlite store " + path_ + " stayed locked by another process (" +
                                                     busy.message + "); retry later");
  }
  if (attempt >= 3) {
    drover::sdk::log(DROVER_LOG_WARN, "sqlite store " + path_ + " is busy (" + busy.message + "); retry " +
                                          std::to_string(attempt) + " of " + std::to_string(kMaxTransactionAttempts));
  }
  // Randomised backoff so competing processes do not retry in lock-step.
  thread_local std::minstd_rand rng{std::random_device{}()};
  int base_ms = 5 << std::min(attempt, 6);
  std::uniform_int_distribution<int> jitter(0, base_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(base_ms + jitter(rng)));
}

}  // namespace drover::sqlite_storage
