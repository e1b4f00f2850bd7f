// The only translation unit that includes libpqxx (6.4 API).
#include "sql_session.h"

#include <chrono>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "drover/plugin/sdk.hpp"

namespace drover::postgres {

namespace {
// Attempts for one operation when the connection is lost, and the pause before each retry.
constexpr int kAttempts = 4;
constexpr std::chrono::milliseconds kBackoff[kAttempts - 1] = {std::chrono::milliseconds(100),
                                                               std::chrono::milliseconds(300),
                                                               std::chrono::milliseconds(900)};

// Work is pqxx::work (BEGIN ... COMMIT) or pqxx::nontransaction (each statement
// commits on its own: one round trip per statement, for reads).
// Statements with parameters are prepared once per connection and then executed
// by name, so PostgreSQL skips parsing and (mostly) planning. The set of distinct
// statement texts is small; past kMaxPrepared the rest run unprepared.
constexpr size_t kMaxPrepared = 256;

struct PreparedStatements {
  std::map<std::string, std::string> names;  // statement text -> name
  const std::string* find_or_prepare(pqxx::connection& connection, const std::string& sql) {
    auto it = names.find(sql);
    if (it != names.end()) return &it->second;
    if (names.size() >= kMaxPrepared) return nullptr;
    std::string name = "drover_" + std::to_string(names.size());
    connection.prepare(name, sql);
    return &names.emplace(sql, std::move(name)).first->second;
  }
};

template <class Work>
class PqxxTransaction final : public SqlTransaction {
 public:
  PqxxTransaction(pqxx::connection& connection, PreparedStatements& prepared)
      : connection_(connection), prepared_(prepared), work_(connection) {}

  SqlRows exec(const std::string& sql, const std::vector<SqlParam>& params) override {
    pqxx::result result;
    if (params.empty()) {
      result = work_.exec(sql);
    } else {
      std::vector<const char*> values;
      values.reserve(params.size());
      for (const SqlParam& p : params) values.push_back(p ? p->c_str() : nullptr);
      const std::string* name = prepared_.find_or_prepare(connection_, sql);
      if (name != nullptr) {
        result = work_.exec_prepared(*name, pqxx::prepare::make_dynamic_params(values));
      } else {
        result = work_.exec_params(sql, pqxx::prepare::make_dynamic_params(values));
      }
    }
    SqlRows rows;
    rows.reserve(result.size());
    for (const pqxx::row& row : result) {
      std::vector<std::optional<std::string>> cells;
      cells.reserve(row.size());
      for (const pqxx::field& field : row) {
        if (field.is_null()) {
          cells.emplace_back(std::nullopt);
        } else {
          cells.emplace_back(std::string(field.c_str(), field.size()));
        }
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  void commit() { work_.commit(); }

 private:
  pqxx::connection& connection_;
  PreparedStatements& prepared_;
  Work work_;
};

// libpqxx 6 does not always fill in sqlstate(); its exception type still tells.
std::string sqlstate_of(const pqxx::sql_error& e) {
  if (!e.sqlstate().empty()) return e.sqlstate();
  if (dynamic_cast<const pqxx::insufficient_privilege*>(&e) != nullptr) return "42501";
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) return "23505";
  if (dynamic_cast<const pqxx::undefined_table*>(&e) != nullptr) return "42P01";
  return "unknown";
}

// libpq messages span lines ("...failed: Connection refused\n\tIs the server
// running...?\n"); ours are one line.
std::string trimmed(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool space = c == '\n' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}
}  // namespace

// Server notices and warnings go to the host's log, not to stderr (libpqxx's default).
class NoticeLogger final : public pqxx::errorhandler {
 public:
  explicit NoticeLogger(pqxx::connection_base& connection) : pqxx::errorhandler(connection) {}
  bool operator()(const char message[]) noexcept override {
    try {
      sdk::log(DROVER_LOG_WARN, "PostgreSQL: " + trimmed(message));
    } catch (...) {
    }
    return false;  // handled: do not pass it on to the stderr printer
  }
};

struct SqlSession::Connection {
  explicit Connection(const std::string& conninfo) : pq(conninfo), notices(pq) {}
  pqxx::connection pq;
  NoticeLogger notices;         // declared after pq: unregisters before pq closes
  PreparedStatements prepared;  // belongs to this connection: a new one prepares again
};

const std::string& SqlRow::text(size_t column) const {
  static const std::string empty;
  const auto& cell = cells_.at(column);
  return cell ? *cell : empty;
}

int64_t SqlRow::integer(size_t column) const {
  const auto& cell = cells_.at(column);
  return cell ? std::stoll(*cell) : 0;
}

double SqlRow::real(size_t column) const {
  const auto& cell = cells_.at(column);
  return cell ? std::stod(*cell) : 0.0;
}

bool SqlRow::boolean(size_t column) const {
  const auto& cell = cells_.at(column);
  return cell && *cell == "t";
}

SqlSession::SqlSession(SqlEndpoint endpoint) : endpoint_(std::move(endpoint)) {
  // Connect now so a wrong URL is reported by open, not by the first operation.
  transact([](SqlTransaction&) {});
}

SqlSession::~SqlSession() = default;

void SqlSession::connect_locked() {
  connection_.reset();
  auto connection = std::make_unique<Connection>(endpoint_.conninfo);
  {
    // Only warnings and errors reach the log, not NOTICEs like "... already exists, skipping".
    pqxx::nontransaction setup(connection->pq);
    setup.exec("SET client_min_messages = warning");
    if (!endpoint_.search_path.empty()) setup.exec("SET search_path = " + endpoint_.search_path);
    for (const auto& statement : endpoint_.settings) setup.exec(statement);
  }
  connection_ = std::move(connection);
}

std::string SqlSession::clean(const std::string& message) const {
  std::string out = trimmed(message);
  // libpq may echo parts of a malformed connection string back.
  if (!endpoint_.password.empty()) {
    for (size_t at = out.find(endpoint_.password); at != std::string::npos;
         at = out.find(endpoint_.password, at + 4)) {
      out.replace(at, endpoint_.password.size(), "****");
    }
  }
  return out;
}

void SqlSession::transact(const std::function<void(SqlTransaction&)>& body) { run(body, false); }

void SqlSession::read(const std::function<void(SqlTransaction&)>& body) { run(body, true); }

void SqlSession::run(const std::function<void(SqlTransaction&)>& body, bool autocommit) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string last_problem;
  bool lost_connection = false;  // else the last attempt was rolled back by the server
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(kBackoff[attempt - 1]);
    try {
      if (!connection_ || !connection_->pq.is_open()) connect_locked();
      if (autocommit) {
        PqxxTransaction<pqxx::nontransaction> statements(connection_->pq, connection_->prepared);
        body(statements);
      } else {
        PqxxTransaction<pqxx::work> transaction(connection_->pq, connection_->prepared);
        body(transaction);
        transaction.commit();
      }
      return;
    } catch (const pqxx::in_doubt_error& e) {
      connection_.reset();
      throw sdk::Error(DROVER_UNAVAILABLE, "lost the connection to PostgreSQL at " + endpoint_.host +
                                               " while committing; the last change may or may not have been "
                                               "saved: " + clean(e.what()));
    } catch (const pqxx::broken_connection& e) {
      connection_.reset();
      lost_connection = true;
      last_problem = clean(e.what());
    } catch (const pqxx::transaction_rollback& e) {
      // Serialization failure or deadlock: the transaction was rolled back whole; run it again.
      lost_connection = false;
      last_problem = clean(e.what());
    } catch (const pqxx::sql_error& e) {
      throw sdk::Error(DROVER_ERROR, "PostgreSQL at " + endpoint_.host + " refused a statement (SQLSTATE " +
                                         sqlstate_of(e) + "): " + clean(e.what()));
    } catch (const pqxx::usage_error& e) {
      throw sdk::Error(DROVER_ERROR, std::string("postgres storage: ") + e.what());
    }
  }
  if (!lost_connection) {
    throw sdk::Error(DROVER_UNAVAILABLE, "PostgreSQL at " + endpoint_.host + " rolled the transaction back " +
                                             std::to_string(kAttempts) + " times (" + last_problem +
                                             "); the store is too contended right now, try again");
  }
  throw sdk::Error(DROVER_UNAVAILABLE, "cannot reach PostgreSQL at " + endpoint_.host + " (" + endpoint_.display +
                                           ") after " + std::to_string(kAttempts) + " attempts: " + last_problem +
                                           "; check that the server is running and storage.config.url");
}

std::string text_array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<std::string> parse_text_array(const std::string& literal) {
  std::vector<std::string> out;
  if (literal.size() < 2 || literal.front() != '{' || literal.back() != '}') return out;
  size_t i = 1;
  const size_t end = literal.size() - 1;
  while (i < end) {
    std::string element;
    if (literal[i] == '"') {
      for (++i; i < end && literal[i] != '"'; ++i) {
        if (literal[i] == '\\' && i + 1 < end) ++i;
        element += literal[i];
      }
      ++i;  // closing quote
    } else {
      for (; i < end && literal[i] != ','; ++i) element += literal[i];
    }
    out.push_back(std::move(element));
    if (i < end && literal[i] == ',') ++i;
  }
  return out;
}

}  // namespace drover::postgres
