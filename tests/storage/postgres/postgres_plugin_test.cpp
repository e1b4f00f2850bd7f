// PostgreSQL-specific behaviour of the postgres storage plugin, through the C ABI
// only: configuration, password masking, unreachable servers, reconnecting after
// a lost connection, refusing a newer schema, and races between several handles
// (each its own connection). The shared behaviour is the storage conformance
// suite's job (tests/storage). Tests needing a server are skipped unless
// DROVER_TEST_POSTGRES_URL is set (scripts/start-postgres.sh prints one).
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "abi_plugin.h"

namespace {

using drover::testing::AbiPlugin;
using drover::testing::call_op;
using drover::testing::CallResult;
using drover::testing::to_str;
using json = nlohmann::json;

const AbiPlugin& plugin() {
  static AbiPlugin p(DROVER_POSTGRES_PLUGIN_PATH);
  return p;
}
const drover_storage_vtable_v1& vt() { return plugin().vtable<drover_storage_vtable_v1>(); }

std::string server_url() {
  const char* url = std::getenv("DROVER_TEST_POSTGRES_URL");
  return url == nullptr ? "" : url;
}

std::string unique_schema() {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  return "drover_pgtest_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(salt);
}

// Runs SQL on the test server directly (libpq), as an operator would.
std::string admin_sql(const std::string& sql, const std::string& url = server_url()) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect: " + message);
  }
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
  PGresult* result = PQexec(conn, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  std::string value = (status == PGRES_TUPLES_OK && PQntuples(result) > 0) ? PQgetvalue(result, 0, 0) : "";
  std::string message = PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(conn);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) throw std::runtime_error(sql + ": " + message);
  return value;
}

struct OpenResult {
  drover_status status;
  drover_storage* store;
  std::string error;
};

OpenResult open_store(const std::string& yaml) {
  drover_error error;
  drover_storage* store = nullptr;
  drover_status status = vt().open(to_str(yaml), to_str("{\"project_root\":\"/tmp\",\"drover_dir\":\"/tmp\"}"),
                                   &store, &error);
  return {status, store, error.message};
}

std::string config_for(const std::string& schema, const std::string& url = server_url()) {
  return "url: " + json(url).dump() + "\nschema: " + schema + "\n";
}

json call(drover_storage* store, drover_storage_op op, const json& request) {
  CallResult r = call_op(op, store, request.dump());
  if (!r.ok()) throw std::runtime_error("status " + std::to_string(r.status) + ": " + r.error);
  return json::parse(r.output);
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (server_url().empty()) GTEST_SKIP() << "DROVER_TEST_POSTGRES_URL is not set";
    schema_ = unique_schema();
  }
  void TearDown() override {
    for (drover_storage* s : stores_) vt().close(s);
    if (!schema_.empty() && !server_url().empty()) admin_sql("DROP SCHEMA IF EXISTS \"" + schema_ + "\" CASCADE");
  }
  drover_storage* open() {
    OpenResult r = open_store(config_for(schema_));
    EXPECT_EQ(r.status, DROVER_OK) << r.error;
    if (r.store != nullptr) stores_.push_back(r.store);
    return r.store;
  }
  std::string schema_;
  std::vector<drover_storage*> stores_;
};

TEST(PostgresConfig, RejectsUnknownKeyNamingIt) {
  drover_error error;
  EXPECT_EQ(vt().check_config(to_str("url: postgresql://x@h/d\nport: 5\n"), &error), DROVER_INVALID_CONFIG);
  EXPECT_NE(error.message.find("'port'"), std::string::npos) << error.message;
}

TEST(PostgresConfig, RequiresUrlOrEnvironment) {
  unsetenv("DROVER_DATABASE_URL");
  drover_error error;
  EXPECT_EQ(vt().check_config(to_str("schema: s\n"), &error), DROVER_INVALID_CONFIG);
  EXPECT_NE(error.message.find("storage.config.url"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("DROVER_DATABASE_URL"), std::string::npos) << error.message;
  setenv("DROVER_DATABASE_URL", "postgresql://drover@127.0.0.1/drover", 1);
  drover_error ok;
  EXPECT_EQ(vt().check_config(to_str("{}"), &ok), DROVER_OK) << ok.message;
  unsetenv("DROVER_DATABASE_URL");
}

TEST(PostgresConfig, RejectsInvalidSchemaAndTimeout) {
  drover_error error;
  EXPECT_EQ(vt().check_config(to_str("url: postgresql://h/d\nschema: \"a; drop\"\n"), &error), DROVER_INVALID_CONFIG);
  EXPECT_NE(error.message.find("schema"), std::string::npos) << error.message;
  EXPECT_EQ(vt().check_config(to_str("url: postgresql://h/d\nconnect_timeout: soon\n"), &error),
            DROVER_INVALID_CONFIG);
  EXPECT_EQ(vt().check_config(to_str("url: postgresql://h/d\nnetwork_timeout: 0\n"), &error), DROVER_INVALID_CONFIG);
  EXPECT_NE(error.message.find("network_timeout must be a positive number of seconds, not '0'"), std::string::npos)
      << error.message;
  drover_error ok;
  EXPECT_EQ(vt().check_config(to_str("url: postgresql://h/d\nnetwork_timeout: 5\n"), &ok), DROVER_OK) << ok.message;
}

TEST(PostgresOpen, UnreachableServerIsUnavailableNamingHostWithoutPassword) {
  OpenResult r = open_store("url: postgresql://drover:s3cret@127.0.0.1:1/drover\nconnect_timeout: 2\n");
  EXPECT_EQ(r.status, DROVER_UNAVAILABLE);
  EXPECT_NE(r.error.find("127.0.0.1:1"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("s3cret"), std::string::npos) << r.error;

  // Keyword form, with a token libpq cannot parse right after the password.
  OpenResult k = open_store("url: \"host=127.0.0.1 port=1 password=s3cret bogus\"\nconnect_timeout: 2\n");
  EXPECT_NE(k.status, DROVER_OK);
  EXPECT_EQ(k.error.find("s3cret"), std::string::npos) << k.error;
}

TEST_F(ServerTest, DescribeMasksPassword) {
  std::string url = server_url();
  size_t at = url.find('@');
  ASSERT_NE(at, std::string::npos) << "expected a URL with a user name: " << url;
  url.insert(at, ":s3cret");  // trust authentication ignores it
  OpenResult r = open_store(config_for(schema_, url));
  ASSERT_EQ(r.status, DROVER_OK) << r.error;
  stores_.push_back(r.store);
  json d = call(r.store, vt().describe, json::object());
  EXPECT_EQ(d["backend"], "postgres");
  EXPECT_EQ(d["schema_version"], 5);
  std::string location = d["location"];
  EXPECT_EQ(location.find("s3cret"), std::string::npos) << location;
  EXPECT_NE(location.find("****"), std::string::npos) << location;
}

TEST_F(ServerTest, DescribeMasksPasswordInKeywordValueUrl) {
  // postgresql://drover@127.0.0.1:54329/drover_test -> host=... port=... user=... dbname=... password=...
  std::string url = server_url();
  size_t scheme = url.find("://"), at = url.find('@'), colon = url.rfind(':'), slash = url.rfind('/');
  ASSERT_TRUE(scheme != std::string::npos && at != std::string::npos && colon > at && slash > colon) << url;
  std::string keywords = "host=" + url.substr(at + 1, colon - at - 1) + " port=" + url.substr(colon + 1, slash - colon - 1) +
                         " user=" + url.substr(scheme + 3, at - scheme - 3) + " dbname=" + url.substr(slash + 1) +
                         " password=s3cret";
  OpenResult r = open_store(config_for(schema_, keywords));
  ASSERT_EQ(r.status, DROVER_OK) << r.error;
  stores_.push_back(r.store);
  std::string location = call(r.store, vt().describe, json::object())["location"];
  EXPECT_EQ(location.find("s3cret"), std::string::npos) << location;
  EXPECT_NE(location.find("password=****"), std::string::npos) << location;
}

// The test server's URL with another user name (scripts/start-postgres.sh trusts loopback).
std::string url_as(const std::string& user) {
  std::string url = server_url();
  size_t scheme = url.find("://"), at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return "";
  return url.substr(0, scheme + 3) + user + url.substr(at);
}

TEST_F(ServerTest, RoleWithoutCreateRightGetsAHintAndCanUseAPreparedSchema) {
  std::string superuser = url_as("postgres");
  try {
    admin_sql("DO $$ BEGIN CREATE ROLE drover_limited LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
              superuser);
  } catch (const std::exception& e) {
    GTEST_SKIP() << "needs the superuser 'postgres' on the test server: " << e.what();
  }
  OpenResult refused = open_store(config_for(schema_, url_as("drover_limited")));
  EXPECT_EQ(refused.status, DROVER_INVALID_CONFIG) << refused.error;
  EXPECT_NE(refused.error.find("GRANT"), std::string::npos) << refused.error;
  if (refused.store != nullptr) vt().close(refused.store);

  admin_sql("CREATE SCHEMA \"" + schema_ + "\" AUTHORIZATION drover_limited", superuser);
  OpenResult r = open_store(config_for(schema_, url_as("drover_limited")));
  ASSERT_EQ(r.status, DROVER_OK) << r.error;
  stores_.push_back(r.store);
  EXPECT_EQ(call(r.store, vt().create_task, {{"title", "limited"}})["id"], "t1");
  admin_sql("DROP SCHEMA \"" + schema_ + "\" CASCADE", superuser);  // TearDown's user does not own it
  schema_.clear();
}

TEST_F(ServerTest, RefusesSchemaWrittenByNewerDrover) {
  ASSERT_NE(open(), nullptr);
  admin_sql("UPDATE \"" + schema_ + "\".schema_version SET version = 99");
  OpenResult r = open_store(config_for(schema_));
  EXPECT_EQ(r.status, DROVER_UNSUPPORTED);
  EXPECT_NE(r.error.find("99"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("Upgrade drover"), std::string::npos) << r.error;
  if (r.store != nullptr) vt().close(r.store);
}

// text as an SQL string literal.
std::string sql_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A schema-1 store (drover 0.1) kept a ready task's wait as prose in status_reason.
// Schemas 2 and 3 only added columns (wait_*; touches, learned_touches, paused), so
// dropping them and the version rows gives back the schema-1 layout, filled here the way that release filled it.
TEST_F(ServerTest, SchemaOneStoreGetsTypedWaitsFromItsProseReasons) {
  drover_storage* store = open();
  ASSERT_NE(store, nullptr);
  const char* reasons[] = {"agent 'codex' paused by a usage limit: weekly cap", "awaiting_merge: README.md is dirty",
                           "retrying after attempt 1 failed: boom", "interrupted; `drover resume` continues it",
                           "running agent 'codex' (attempt 1)"};
  for (const char* reason : reasons) {
    std::string id = call(store, vt().create_task, {{"title", reason}, {"now_ms", 1000}})["id"];
    admin_sql("UPDATE \"" + schema_ + "\".tasks SET status_reason = " + sql_literal(reason) +
              ", not_before_ms = 5000 WHERE id = '" + id + "'");
  }
  std::string failed = call(store, vt().create_task, {{"title", "failed"}, {"now_ms", 1000}})["id"];
  admin_sql("UPDATE \"" + schema_ + "\".tasks SET status = 'failed', status_reason = 'interrupted; no' WHERE id = '" +
            failed + "'");
  vt().close(store);
  stores_.clear();
  admin_sql("ALTER TABLE \"" + schema_ + "\".tasks DROP COLUMN wait_kind, DROP COLUMN wait_agent, "
            "DROP COLUMN wait_detail, DROP COLUMN wait_paths, DROP COLUMN touches, DROP COLUMN learned_touches, "
            "DROP COLUMN paused, DROP COLUMN review; DELETE FROM \"" + schema_ + "\".schema_version WHERE version >= 2");
  admin_sql("DROP TABLE \"" + schema_ + "\".executors, \"" + schema_ + "\".task_logs, \"" + schema_ + "\".log_chunks");
  // Schema 1-3 stored 0 for "no cost reported", in a NOT NULL column.
  admin_sql("UPDATE \"" + schema_ + "\".tasks SET cost_usd = CASE WHEN id = 't2' THEN 0.5 ELSE 0 END; "
            "ALTER TABLE \"" + schema_ + "\".tasks ALTER COLUMN cost_usd SET NOT NULL, ALTER COLUMN cost_usd SET DEFAULT 0");
  store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(call(store, vt().describe, json::object())["schema_version"], 5);
  EXPECT_EQ(admin_sql("SELECT string_agg(version::text, ',' ORDER BY version) FROM \"" + schema_ + "\".schema_version"),
            "1,2,3,4,5");
  // Schema 5: executors and logs, empty at first.
  EXPECT_EQ(call(store, vt().list_executors, {{"now_ms", 1}})["executors"], json::array());
  call(store, vt().append_log, {{"task_id", "t1"}, {"generation", 0}, {"attempt", 1}, {"round", 1}, {"offset", 0},
                                {"data", "x"}, {"max_bytes", 0}, {"now_ms", 1}});
  EXPECT_EQ(call(store, vt().read_log, {{"task_id", "t1"}})["data"], "x");
  EXPECT_TRUE(call(store, vt().get_task, {{"id", "t1"}})["cost_usd"].is_null()) << "schema 4: a stored 0 was no report";
  EXPECT_EQ(call(store, vt().get_task, {{"id", "t2"}})["cost_usd"], 0.5);
  EXPECT_EQ(call(store, vt().get_task, {{"id", "t1"}})["touches"], json::array()) << "schema 3 columns get defaults";
  EXPECT_EQ(call(store, vt().get_task, {{"id", "t1"}})["review"], false) << "schema 4 too";
  auto wait_of = [&](const std::string& id) { return call(store, vt().get_task, {{"id", id}})["wait"]; };
  json quota = wait_of("t1");
  EXPECT_EQ(quota, json({{"kind", "quota"}, {"agent", "codex"}, {"detail", "weekly cap"}, {"paths", json::array()},
                         {"until_ms", 5000}}));
  EXPECT_EQ(wait_of("t2")["kind"], "merge");
  EXPECT_EQ(wait_of("t2")["detail"], "README.md is dirty");
  EXPECT_EQ(wait_of("t3")["kind"], "backoff");
  EXPECT_EQ(wait_of("t4")["kind"], "interrupted");
  EXPECT_TRUE(wait_of("t5").is_null());
  EXPECT_TRUE(wait_of(failed).is_null()) << "only a ready task waits";
}

TEST_F(ServerTest, ReconnectsAfterLosingTheConnection) {
  drover_storage* store = open();
  ASSERT_NE(store, nullptr);
  json task = call(store, vt().create_task, {{"title", "survives"}, {"now_ms", 1000}});
  admin_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'drover-" + schema_ +
            "'");
  json again = call(store, vt().get_task, {{"id", task["id"]}});
  EXPECT_EQ(again["title"], "survives");
}

TEST_F(ServerTest, FailedCreateLeavesNoGapInTaskIds) {
  drover_storage* store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(call(store, vt().create_task, {{"title", "a"}, {"now_ms", 1}})["id"], "t1");
  CallResult bad = call_op(vt().create_task, store, json{{"title", "b"}, {"blocked_by", {"t9"}}}.dump());
  EXPECT_EQ(bad.status, DROVER_NOT_FOUND) << bad.error;
  EXPECT_EQ(call(store, vt().create_task, {{"title", "c"}, {"now_ms", 2}})["id"], "t2");
}

TEST_F(ServerTest, ConcurrentClaimsFromSeveralConnectionsNeverShareATask) {
  constexpr int kTasks = 60;
  constexpr int kHandles = 4;
  std::vector<drover_storage*> handles;
  for (int i = 0; i < kHandles; ++i) handles.push_back(open());
  for (drover_storage* h : handles) ASSERT_NE(h, nullptr);
  for (int i = 0; i < kTasks; ++i) call(handles[0], vt().create_task, {{"title", "w" + std::to_string(i)}});
  std::vector<std::vector<std::string>> claimed(kHandles);
  std::vector<std::thread> threads;
  for (int i = 0; i < kHandles; ++i) {
    threads.emplace_back([&, i] {
      for (;;) {
        json t = call(handles[i], vt().claim_task,
                      {{"executor", "x" + std::to_string(i)}, {"lease_ms", 60000}, {"now_ms", 5000}});
        if (t.is_null()) return;
        claimed[i].push_back(t["id"]);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  size_t total = 0;
  for (const auto& list : claimed) {
    total += list.size();
    all.insert(list.begin(), list.end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kTasks));
  EXPECT_EQ(all.size(), static_cast<size_t>(kTasks));
}

TEST_F(ServerTest, RacingOppositeDependenciesNeverFormACycle) {
  drover_storage* a = open();
  drover_storage* b = open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (int round = 0; round < 15; ++round) {
    std::string x = call(a, vt().create_task, {{"title", "x"}})["id"];
    std::string y = call(a, vt().create_task, {{"title", "y"}})["id"];
    CallResult ra, rb;
    std::thread ta([&] { ra = call_op(vt().add_dependency, a, json{{"task", x}, {"blocker", y}}.dump()); });
    std::thread tb([&] { rb = call_op(vt().add_dependency, b, json{{"task", y}, {"blocker", x}}.dump()); });
    ta.join();
    tb.join();
    EXPECT_EQ(ra.ok() + rb.ok(), 1) << ra.error << " / " << rb.error;
    const CallResult& refused = ra.ok() ? rb : ra;
    EXPECT_EQ(refused.status, DROVER_CONFLICT);
    EXPECT_NE(refused.error.find("dependency cycle: "), std::string::npos) << refused.error;
  }
}

TEST_F(ServerTest, RacingCompletionsUnblockASharedDependentExactlyOnce) {
  drover_storage* a = open();
  drover_storage* b = open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (int round = 0; round < 10; ++round) {
    std::string x = call(a, vt().create_task, {{"title", "x"}, {"priority", 10}})["id"];
    std::string y = call(a, vt().create_task, {{"title", "y"}, {"priority", 10}})["id"];
    std::string d = call(a, vt().create_task, {{"title", "d"}, {"blocked_by", {x, y}}})["id"];
    json cx = call(a, vt().claim_task, {{"executor", "ea"}, {"lease_ms", 60000}});
    json cy = call(b, vt().claim_task, {{"executor", "eb"}, {"lease_ms", 60000}});
    ASSERT_FALSE(cx.is_null());
    ASSERT_FALSE(cy.is_null());
    json ra, rb;
    std::thread ta([&] { ra = call(a, vt().complete_task, {{"id", cx["id"]}, {"executor", "ea"}}); });
    std::thread tb([&] { rb = call(b, vt().complete_task, {{"id", cy["id"]}, {"executor", "eb"}}); });
    ta.join();
    tb.join();
    EXPECT_EQ(ra["unblocked"].size() + rb["unblocked"].size(), 1u) << ra.dump() << rb.dump();
    EXPECT_EQ(call(a, vt().get_task, {{"id", d}})["status"], "ready");
    // Clear the way for the next round: d runs and completes.
    json cd = call(a, vt().claim_task, {{"executor", "ea"}, {"lease_ms", 60000}});
    ASSERT_EQ(cd["id"], d);
    call(a, vt().complete_task, {{"id", d}, {"executor", "ea"}});
  }
}

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

// A private cluster (scripts/start-postgres.sh with its own directory and port)
// that the test stops and starts underneath an open store.
class PrivateServer {
 public:
  PrivateServer() {
    char pattern[] = "/tmp/drover-pg-restart-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    std::filesystem::permissions(dir_, std::filesystem::perms::all);  // the postgres user writes here too
    port_ = free_port();
  }
  ~PrivateServer() {
    run("stop-postgres.sh");
    std::filesystem::remove_all(dir_);
  }
  // Runs one of the scripts; returns its last stdout line.
  std::string run(const std::string& script) const {
    std::string command = "DROVER_PG_DIR=" + dir_ + " DROVER_PG_PORT=" + std::to_string(port_) + " " +
                          DROVER_SCRIPTS_DIR "/" + script + " 2>/dev/null";
    FILE* out = popen(command.c_str(), "r");
    if (out == nullptr) throw std::runtime_error("cannot run " + script);
    std::string last;
    char line[512];
    while (fgets(line, sizeof line, out) != nullptr) last = line;
    if (pclose(out) != 0) throw std::runtime_error(script + " failed");
    while (!last.empty() && last.back() == '\n') last.pop_back();
    return last;
  }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
};

TEST(PostgresRestart, StoreReportsUnavailableWhileDownAndRecoversAfterRestart) {
  if (!std::filesystem::exists("/usr/lib/postgresql/15/bin/initdb")) GTEST_SKIP() << "PostgreSQL 15 not installed";
  PrivateServer server;
  std::string url = server.run("start-postgres.sh");
  ASSERT_EQ(url.rfind("postgresql://", 0), 0u) << url;
  OpenResult r = open_store("url: " + url + "\nschema: restart\nconnect_timeout: 2\n");
  ASSERT_EQ(r.status, DROVER_OK) << r.error;
  json task = call(r.store, vt().create_task, {{"title", "durable"}});

  server.run("stop-postgres.sh");
  auto started = std::chrono::steady_clock::now();
  CallResult down = call_op(vt().get_task, r.store, json{{"id", task["id"]}}.dump());
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(down.status, DROVER_UNAVAILABLE) << down.error;
  EXPECT_NE(down.error.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos) << down.error;
  EXPECT_LT(waited, std::chrono::seconds(15));
  ::testing::Test::RecordProperty("unavailable_message", down.error);

  server.run("start-postgres.sh");
  EXPECT_EQ(call(r.store, vt().get_task, {{"id", task["id"]}})["title"], "durable");
  vt().close(r.store);
}

}  // namespace
