#include "database.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "clean_close.h"
#include "drover/plugin/private_files.hpp"
#include "drover/plugin/sdk.hpp"

namespace drover::sqlite_storage {

namespace {
// How long one statement waits for another connection's lock before SQLite
// reports SQLITE_BUSY, and how often the whole transaction is then retried.
constexpr int kBusyTimeoutMs = 5000;
constexpr int kMaxTransactionAttempts = 8;

bool is_damage(int code) {
  int primary = code & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

// Creates the file 0600 (and its directory 0700) before SQLite does, since
// SQLite would create it 0644 less the umask; its WAL and shm files take the
// database file's mode.
void create_private_store_file(const std::string& path) {
  std::string::size_type slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (int err = drover::sdk::create_private_directories(path.substr(0, slash)); err != 0) {
      throw drover::sdk::Error(DROVER_UNAVAILABLE, "cannot create directory " + path.substr(0, slash) +
                                                       " for the sqlite store: " + std::strerror(err) +
                                                       "; check the path and its permissions");
    }
  }
  int fd = drover::sdk::open_private_file(path, O_RDWR);
  if (fd < 0) {
    throw drover::sdk::Error(DROVER_UNAVAILABLE, "cannot create sqlite store " + path + ": " + std::strerror(errno) +
                                                     "; check the path and its permissions");
  }
  ::close(fd);
}
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
    throw drover::sdk::Error(DROVER_ERROR, std::string("sqlite: cannot bind parameter: ") + sqlite3_errmsg(db_.db_));
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
  if (db_.skip_damage(rc, sqlite3_sql(stmt_))) return false;
  db_.fail(rc, std::string(sqlite3_errmsg(db_.db_)) + " in: " + sqlite3_sql(stmt_));
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

Database::Database(const std::string& path, OpenMode mode) : path_(path), mode_(mode) {
  bool check = false;
  if (mode == OpenMode::kReadWrite) {
    create_private_store_file(path);
    check = !take_clean_close_mark(path);
  }
  int flags = (mode == OpenMode::kReadWrite ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw drover::sdk::Error(DROVER_UNAVAILABLE,
                             "cannot open sqlite store " + path + ": " + message + "; check the path and its permissions");
  }
  try {
    sqlite3_extended_result_codes(db_, 0);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    if (check) check_integrity();
    configure_connection();
  } catch (...) {
    close_connection();
    throw;
  }
}

// Before anything is written: PRAGMA quick_check (the b-trees, their pages and
// the free list; linear in the file's size, without checking that indexes
// match their tables) answers "ok" or lists what is wrong.
void Database::check_integrity() {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "PRAGMA quick_check(1)", -1, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, std::string(sqlite3_errmsg(db_)) + " (checking the file at open)");
  std::string verdict;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) verdict = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  std::string message = rc == SQLITE_ROW ? std::string() : sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  if (rc == SQLITE_ROW && verdict == "ok") return;
  if (rc == SQLITE_ROW) fail(SQLITE_CORRUPT, "PRAGMA quick_check: " + verdict);
  fail(rc, message + " (checking the file at open)");
}

void Database::configure_connection() {
  if (mode_ == OpenMode::kReadOnly) {
    exec("PRAGMA query_only=ON");
    return;
  }
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
  close_connection();
  if (mode_ == OpenMode::kReadWrite && damage_.empty()) leave_clean_close_mark(path_);
}

void Database::close_connection() noexcept {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
  // The last connection to close checkpoints the WAL into the file; a damaged
  // file must not receive even that.
  if (!damage_.empty()) sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_close(db_);
  db_ = nullptr;
}

Query Database::query(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, std::string("preparing: ") + sql);
    it = statements_.emplace(sql, stmt).first;
  }
  return Query(*this, it->second);
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

void Database::fail(int code, std::string_view what) {
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw BusyError{std::string(what)};
  if (is_damage(code)) {
    if (damage_.empty()) {
      damage_ = "sqlite store " + path_ + " is damaged (" + std::string(what) +
                "); drover will not write to it again. Restore the file from a backup, or save what can still be "
                "read with `drover export -o tasks.yaml` and import that into a new store";
    }
    refuse_if_damaged();
  }
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY) {
    throw drover::sdk::Error(DROVER_UNAVAILABLE, "sqlite store " + path_ + ": " + std::string(what) +
                                                     "; check disk space and permissions");
  }
  throw drover::sdk::Error(DROVER_ERROR, "sqlite store " + path_ + ": " + std::string(what));
}

bool Database::skip_damage(int code, std::string_view sql) {
  if (mode_ != OpenMode::kReadOnly || !is_damage(code)) return false;
  if (!warned_damage_) {
    drover::sdk::log(DROVER_LOG_WARN, "sqlite store " + path_ + " is damaged; reading only what can be read (" +
                                          sqlite3_errmsg(db_) + " in: " + std::string(sql) + ")");
    warned_damage_ = true;
  }
  return true;
}

void Database::refuse_if_damaged() const {
  if (!damage_.empty()) throw drover::sdk::Error(DROVER_DATA_CORRUPT, damage_);
}

// A read-only connection has nothing to commit; ending its read transaction
// with a rollback also gets past a scan that stopped at a damaged page.
void Database::commit() {
  if (mode_ == OpenMode::kReadOnly) {
    rollback();
    return;
  }
  exec("COMMIT");
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
