// A single SQLite connection with cached prepared statements and transactions
// that retry when another process holds the write lock.
//
// Damage: when SQLite reports SQLITE_CORRUPT or SQLITE_NOTADB from any
// statement, or PRAGMA quick_check at open finds a problem (it runs when the
// file was not closed cleanly, see clean_close.h), the connection latches: that
// call and every later transaction fail with DROVER_DATA_CORRUPT naming the file,
// nothing more is written, and closing skips the checkpoint so not even the WAL
// reaches the damaged file. A read-only connection (drover export) instead reads
// what it can: a scan that reaches a damaged page ends there with a warning.
//
// Every statement is prepared once and bound with parameters; no SQL text is
// ever assembled from request data. Not thread-safe by itself: SqliteStore
// serialises access with a mutex.
#ifndef DROVER_STORAGE_SQLITE_DATABASE_H
#define DROVER_STORAGE_SQLITE_DATABASE_H

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace drover::sqlite_storage {

// SQLite reported SQLITE_BUSY/SQLITE_LOCKED after busy_timeout: the whole
// transaction is retried.
struct BusyError {
  std::string message;
};

// A parameter bound to a statement placeholder.
using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string_view>;

// A cached prepared statement in use; resets itself when it goes out of scope.
class Database;

class Query {
 public:
  Query(Database& db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  ~Query();

  // Binds parameter index (1-based).
  Query& bind(int index, const SqlValue& value);
  Query& bind_optional(int index, const std::optional<std::string>& value);

  // Advances to the next row; false when done.
  bool next();
  // Runs a statement that returns no rows.
  void run();

  bool is_null(int column) const;
  int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;

 private:
  Database& db_;
  sqlite3_stmt* stmt_;
};

enum class OpenMode {
  kReadWrite,  // creates the file (0600) and its directory (0700) if missing
  kReadOnly,   // writes nothing; reads what it can of a damaged file
};

class Database {
 public:
  // Opens the file, checks it if it was not closed cleanly, and applies the
  // connection pragmas. Throws drover::sdk::Error (DROVER_DATA_CORRUPT for a
  // damaged file).
  Database(const std::string& path, OpenMode mode);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  const std::string& path() const { return path_; }
  // True while a transaction is open (SQLite ends one by itself on some errors).
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  // True once the file was found damaged (see above).
  bool damaged() const { return !damage_.empty(); }

  // A prepared statement for sql (a string literal in the code), cached.
  Query query(const char* sql);
  template <class... Args>
  Query query(const char* sql, const Args&... args) {
    Query q = query(sql);
    int index = 1;
    (q.bind(index++, SqlValue(args)), ...);
    return q;
  }

  // Runs fn inside BEGIN IMMEDIATE ... COMMIT, retrying the whole transaction
  // while the database is locked by another connection.
  template <class Fn>
  auto write(Fn&& fn) {
    return transact("BEGIN IMMEDIATE", fn);
  }
  // Runs fn inside a read transaction (a consistent snapshot).
  template <class Fn>
  auto read(Fn&& fn) {
    return transact("BEGIN", fn);
  }

  // Runs statements without parameters (schema scripts, pragmas).
  void exec(const char* sql);

  // Throws BusyError or drover::sdk::Error for an SQLite result code; a
  // damaged file latches the connection (see above).
  [[noreturn]] void fail(int code, std::string_view what);

  // True iff a read-only scan should end quietly at a damaged page (code is
  // SQLITE_CORRUPT or SQLITE_NOTADB and the connection is read-only); warns.
  bool skip_damage(int code, std::string_view sql);

 private:
  friend class Query;
  template <class Fn>
  auto transact(const char* begin, Fn& fn) {
    for (int attempt = 1;; ++attempt) {
      refuse_if_damaged();
      try {
        exec(begin);
        try {
          if constexpr (std::is_void_v<decltype(fn())>) {
            fn();
            commit();
            return;
          } else {
            auto result = fn();
            commit();
            return result;
          }
        } catch (...) {
          rollback();
          throw;
        }
      } catch (const BusyError& busy) {
        backoff_or_give_up(attempt, busy);
      }
    }
  }
  void configure_connection();
  void check_integrity();
  void refuse_if_damaged() const;
  void commit();
  void close_connection() noexcept;
  void rollback() noexcept;
  void backoff_or_give_up(int attempt, const BusyError& busy);

  std::string path_;
  OpenMode mode_;
  sqlite3* db_ = nullptr;
  std::string damage_;  // why the file is damaged; empty while it is not
  bool warned_damage_ = false;
  std::map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace drover::sqlite_storage

#endif
