// A narrow, libpqxx-free view of a PostgreSQL connection: parameterized
// statements returning text cells, run inside one transaction that is retried
// when the connection drops. Only sql_session.cpp includes libpqxx, which keeps
// the slow-to-compile headers in one translation unit.
#ifndef DROVER_STORAGE_POSTGRES_SQL_SESSION_H
#define DROVER_STORAGE_POSTGRES_SQL_SESSION_H

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace drover::postgres {

// A statement parameter; std::nullopt is SQL NULL.
using SqlParam = std::optional<std::string>;

// One result row; cells are PostgreSQL's text representation (NULL = nullopt).
class SqlRow {
 public:
  explicit SqlRow(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  bool is_null(size_t column) const { return !cells_.at(column).has_value(); }
  const std::string& text(size_t column) const;  // "" for NULL
  std::optional<std::string> optional_text(size_t column) const { return cells_.at(column); }
  int64_t integer(size_t column) const;  // 0 for NULL
  double real(size_t column) const;      // 0 for NULL
  bool boolean(size_t column) const;     // false for NULL
  size_t size() const { return cells_.size(); }

 private:
  std::vector<std::optional<std::string>> cells_;
};

using SqlRows = std::vector<SqlRow>;

// The transaction a body runs in. exec() throws on SQL errors, which aborts the
// whole transaction: nothing a failed body wrote is kept.
class SqlTransaction {
 public:
  virtual ~SqlTransaction() = default;
  virtual SqlRows exec(const std::string& sql, const std::vector<SqlParam>& params = {}) = 0;
};

struct SqlEndpoint {
  std::string conninfo;     // what libpq connects with (may hold a password)
  std::string display;      // the same with the password masked, for messages
  std::string host;         // "host:port" for "cannot reach ..." messages
  std::string password;     // scrubbed from every message libpq or the server returns ("" = none)
  std::string search_path;  // quoted schema name set on every new connection ("" = none)
  std::vector<std::string> settings;  // SET statements run on every new connection
};

// One connection, shared by the threads that use a store handle (a mutex
// serializes them). Reconnects, with backoff, when the connection is lost.
class SqlSession {
 public:
  explicit SqlSession(SqlEndpoint endpoint);
  ~SqlSession();
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;

  // Runs body in one transaction and commits it. A lost connection (before the
  // commit) or a serialization failure reruns body from scratch in a new
  // transaction, a few times with backoff; then DROVER_UNAVAILABLE naming the
  // host. drover::sdk::Error thrown by body passes through unchanged; other SQL
  // errors become DROVER_ERROR with PostgreSQL's message.
  void transact(const std::function<void(SqlTransaction&)>& body);
  // Like transact, for bodies that only read: each statement runs on its own
  // (autocommit), saving the BEGIN and COMMIT round trips. Under READ COMMITTED
  // every statement takes a fresh snapshot anyway, so reads see the same thing.
  void read(const std::function<void(SqlTransaction&)>& body);

  const SqlEndpoint& endpoint() const { return endpoint_; }

 private:
  struct Connection;
  void run(const std::function<void(SqlTransaction&)>& body, bool autocommit);
  void connect_locked();
  // A libpq/server message on one line, with the password (if any) masked.
  std::string clean(const std::string& message) const;

  SqlEndpoint endpoint_;
  std::mutex mutex_;
  std::unique_ptr<Connection> connection_;
};

// A PostgreSQL array literal ('{"a","b"}') of text values, for "= ANY($n::text[])".
std::string text_array_literal(const std::vector<std::string>& values);
// The elements of a one-dimensional text[] in PostgreSQL's output format ('{a,"b c"}').
std::vector<std::string> parse_text_array(const std::string& literal);

}  // namespace drover::postgres

#endif
