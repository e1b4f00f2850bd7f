// Behaviour specific to the SQLite plugin (beyond the shared conformance
// suite): where the file goes, the config rules, the on-disk settings and
// version bookkeeping, and waiting out another process's write lock.
// Still ABI-only for the plugin; sqlite3 is used directly to inspect the file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "store_session.h"

namespace drover::storage_test {
namespace {

namespace fs = std::filesystem;
using V = drover_storage_vtable_v1;

class SqlitePlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = conformance_backends().front();
    ASSERT_EQ(backend_.name, "sqlite");
    plugin_ = &load_plugin(backend_);
    root_ = make_temp_directory();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  StoreLocation at(const std::string& config_yaml) const {
    return StoreLocation{config_yaml, Json{{"project_root", root_}, {"drover_dir", root_ + "/.drover"}}.dump(), root_};
  }
  drover_status check(const std::string& yaml, std::string* message = nullptr) const {
    drover_error error;
    drover_status s = storage_vtable(*plugin_).check_config(drover::testing::to_str(yaml), &error);
    if (message != nullptr) *message = error.message;
    return s;
  }
  // Runs one statement on the file with a separate, raw sqlite3 connection.
  static std::string query_text(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text == nullptr ? "" : reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

  Backend backend_;
  const drover::testing::AbiPlugin* plugin_ = nullptr;
  std::string root_;
};

TEST_F(SqlitePlugin, DefaultPathIsUnderTheProjectRoot) {
  StoreSession store(*plugin_, at(""));
  ASSERT_TRUE(store.is_open()) << store.open_result().error;
  EXPECT_TRUE(fs::exists(root_ + "/.drover/drover.db"));
  Json d = store.must(&V::describe, Json::object());
  EXPECT_EQ(d["backend"], "sqlite");
  EXPECT_EQ(d["schema_version"], 5);
  EXPECT_EQ(d["location"], root_ + "/.drover/drover.db");
}

TEST_F(SqlitePlugin, RelativePathResolvesAgainstProjectRootAbsoluteStaysPut) {
  {
    StoreSession store(*plugin_, at("path: state/tasks.db\n"));
    ASSERT_TRUE(store.is_open()) << store.open_result().error;
    EXPECT_TRUE(fs::exists(root_ + "/state/tasks.db"));
  }
  std::string absolute = root_ + "/elsewhere/abs.db";
  StoreSession store(*plugin_, at("path: " + absolute + "\n"));
  ASSERT_TRUE(store.is_open()) << store.open_result().error;
  EXPECT_TRUE(fs::exists(absolute));
}

TEST_F(SqlitePlugin, ConfigIsValidatedWithMessagesNamingTheKey) {
  std::string message;
  EXPECT_EQ(check(""), DROVER_OK);
  EXPECT_EQ(check("path: x.db"), DROVER_OK);
  EXPECT_EQ(check("path: x.db\nbusy: 3\n", &message), DROVER_INVALID_CONFIG);
  EXPECT_NE(message.find("'busy'"), std::string::npos) << message;
  EXPECT_EQ(check("path: [a, b]", &message), DROVER_INVALID_CONFIG);
  EXPECT_NE(message.find("path"), std::string::npos) << message;
  EXPECT_EQ(check("- just\n- a list\n"), DROVER_INVALID_CONFIG);
  EXPECT_EQ(check("path: \"unterminated"), DROVER_INVALID_CONFIG);
  StoreSession store(*plugin_, at("pathh: typo.db\n"));
  EXPECT_EQ(store.open_result().status, DROVER_INVALID_CONFIG);
  EXPECT_NE(store.open_result().error.find("pathh"), std::string::npos) << store.open_result().error;
  EXPECT_FALSE(fs::exists(root_ + "/typo.db"));
}

TEST_F(SqlitePlugin, StoreUsesWalAndRecordsItsSchemaVersion) {
  std::string path = root_ + "/s.db";
  StoreSession store(*plugin_, at("path: " + path + "\n"));
  ASSERT_TRUE(store.is_open()) << store.open_result().error;
  EXPECT_EQ(query_text(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text(path, "PRAGMA user_version"), "5");
  EXPECT_EQ(query_text(path, "SELECT MAX(version) FROM schema_version"), "5");
}

// fixtures/schema1-prose-waits.sqlite was written by the schema-1 plugin (drover
// 0.1): ready tasks t1-t5 released, then given the prose reasons the engine
// wrote then; t6 failed. See fixtures/README.md.
TEST_F(SqlitePlugin, SchemaOneStoreGetsTypedWaitsFromItsProseReasons) {
  std::string path = root_ + "/old.db";
  fs::copy_file(DROVER_STORAGE_FIXTURES_DIR "/schema1-prose-waits.sqlite", path);
  ASSERT_EQ(query_text(path, "PRAGMA user_version"), "1");
  StoreSession store(*plugin_, at("path: " + path + "\n"));
  ASSERT_TRUE(store.is_open()) << store.open_result().error;
  EXPECT_EQ(store.must(&V::describe, Json::object())["schema_version"], 5);
  EXPECT_EQ(query_text(path, "SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5");
  // Schema 5: executors and logs, empty at first.
  EXPECT_EQ(store.must(&V::list_executors, {{"now_ms", 1}})["executors"], Json::array());
  store.must(&V::append_log, {{"task_id", "t1"}, {"generation", 0}, {"attempt", 1}, {"round", 1}, {"offset", 0},
                              {"data", "x"}, {"max_bytes", 0}, {"now_ms", 1}});
  EXPECT_EQ(store.must(&V::read_log, {{"task_id", "t1"}})["data"], "x");
  EXPECT_EQ(store.must(&V::get_task, {{"id", "t1"}})["review"], false) << "schema 4 columns get defaults";
  EXPECT_TRUE(store.must(&V::get_task, {{"id", "t1"}})["cost_usd"].is_null()) << "schema 4: a stored 0 was no report";
  EXPECT_EQ(store.must(&V::get_task, {{"id", "t1"}})["touches"], Json::array()) << "schema 3 columns get defaults";
  EXPECT_EQ(store.must(&V::get_task, {{"id", "t1"}})["paused"], false);
  auto wait_of = [&](const std::string& id) { return store.must(&V::get_task, {{"id", id}})["wait"]; };

  Json quota = wait_of("t1");
  EXPECT_EQ(quota["kind"], "quota");
  EXPECT_EQ(quota["agent"], "claude");
  EXPECT_EQ(quota["detail"], "5-hour limit reached, resets 3pm");
  EXPECT_EQ(quota["paths"], Json::array());
  EXPECT_EQ(quota["until_ms"], 1'700'000'001'000);
  Json merge = wait_of("t2");
  EXPECT_EQ(merge["kind"], "merge");
  EXPECT_EQ(merge["detail"], "local changes to README.md would be overwritten");
  EXPECT_EQ(wait_of("t3")["kind"], "backoff");
  EXPECT_EQ(wait_of("t3")["detail"], "tests failed");
  EXPECT_EQ(wait_of("t4")["kind"], "interrupted");
  EXPECT_TRUE(wait_of("t5").is_null()) << "prose that is no wait stays prose";
  EXPECT_TRUE(wait_of("t6").is_null()) << "only a ready task waits";
  Json t1 = store.must(&V::get_task, {{"id", "t1"}});
  EXPECT_EQ(t1["status_reason"], "agent 'claude' paused by a usage limit: 5-hour limit reached, resets 3pm")
      << "the prose stays for readers of schema 1";
  Json claimed = store.must(&V::claim_task, {{"executor", "x"}, {"lease_ms", 1000}, {"now_ms", 1'800'000'000'000}});
  EXPECT_TRUE(claimed["wait"].is_null());
}

TEST_F(SqlitePlugin, NewerVersionInTheHistoryTableAloneIsAlsoRefused) {
  std::string path = root_ + "/s.db";
  { StoreSession store(*plugin_, at("path: " + path + "\n")); }
  query_text(path, "INSERT INTO schema_version (version, applied_ms) VALUES (6, 0)");
  StoreSession store(*plugin_, at("path: " + path + "\n"));
  EXPECT_EQ(store.open_result().status, DROVER_UNSUPPORTED);
  EXPECT_EQ(store.open_result().error,
            "store " + path + " has schema version 6; this sqlite plugin supports up to 5: upgrade drover");
}

TEST_F(SqlitePlugin, NotADatabaseFileIsAClearError) {
  std::string path = root_ + "/junk.db";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("this is not an sqlite database, just some text that is long enough to matter................", f);
  fclose(f);
  StoreSession store(*plugin_, at("path: " + path + "\n"));
  EXPECT_FALSE(store.is_open());
  EXPECT_NE(store.open_result().error.find(path), std::string::npos) << store.open_result().error;
}

TEST_F(SqlitePlugin, WaitsOutAnotherConnectionsWriteLock) {
  std::string path = root_ + "/s.db";
  StoreSession store(*plugin_, at("path: " + path + "\n"));
  ASSERT_TRUE(store.is_open()) << store.open_result().error;
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::thread holder([other] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  });
  auto start = std::chrono::steady_clock::now();
  CallResult r = store.call(&V::create_task, {{"title", "after the lock"}, {"now_ms", 1}});
  auto waited = std::chrono::steady_clock::now() - start;
  holder.join();
  sqlite3_close(other);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
}

TEST_F(SqlitePlugin, TwoHandlesInOneProcessSeeEachOthersWrites) {
  StoreLocation location = at("path: shared.db\n");
  StoreSession a(*plugin_, location);
  StoreSession b(*plugin_, location);
  ASSERT_TRUE(a.is_open() && b.is_open());
  a.must(&V::create_task, {{"title", "from a"}, {"now_ms", 1}});
  EXPECT_EQ(b.must(&V::create_task, {{"title", "from b"}, {"now_ms", 1}})["id"], "t2");
  EXPECT_EQ(a.must(&V::get_task, {{"id", "t2"}})["title"], "from b");
}

// Concurrent writers on one handle share transactions (group commit): each
// gets its own answer, a failing write fails alone, and every write that was
// answered is in the file, seen by a connection of its own.
TEST_F(SqlitePlugin, ConcurrentWritersOnOneHandleEachGetTheirOwnAnswer) {
  StoreLocation location = at("path: batches.db\n");
  StoreSession store(*plugin_, location);
  ASSERT_TRUE(store.is_open()) << store.open_result().error;
  const int threads = 8, each = 40;
  std::atomic<int> wrong{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      // A write that changes the store before it fails (a sub-task whose
      // blocker waits for its parent takes the parent's next sub-task
      // number, then finds the cycle) is undone alone: the next sub-task is .1.
      const std::string parent = store.must(&V::create_task, {{"title", "parent"}, {"now_ms", 1}})["id"];
      const std::string waits = store.must(&V::create_task, {{"title", "waits"}, {"blocked_by", {parent}}, {"now_ms", 1}})["id"];
      for (int i = 0; i < 5; ++i) {
        CallResult cycle = store.call(&V::create_task, {{"title", "cycle"}, {"parent", parent}, {"blocked_by", {waits}}, {"now_ms", 1}});
        if (cycle.status != DROVER_CONFLICT) ++wrong;
      }
      if (store.must(&V::create_task, {{"title", "sub"}, {"parent", parent}, {"now_ms", 1}})["id"] != parent + ".1") ++wrong;
      for (int i = 0; i < each; ++i) {
        const std::string title = "task " + std::to_string(t) + "/" + std::to_string(i);
        CallResult created = store.call(&V::create_task, {{"title", title}, {"now_ms", 1}});
        if (created.status != DROVER_OK || Json::parse(created.output)["title"] != title) ++wrong;
        // Every third writer also sends a write that fails (an event for a
        // task that does not exist), interleaved with the others' writes.
        if (i % 3 == 0) {
          const std::string missing = "t" + std::to_string(100000 + t * each + i);
          CallResult bad = store.call(&V::append_event, {{"task_id", missing}, {"kind", "note"}, {"message", "x"}, {"now_ms", 1}});
          if (bad.status != DROVER_NOT_FOUND || bad.error.find(missing) == std::string::npos) ++wrong;
        }
        CallResult event = store.call(&V::append_event, {{"kind", "note"}, {"message", title}, {"now_ms", 1}});
        if (event.status != DROVER_OK || Json::parse(event.output)["message"] != title) ++wrong;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(wrong.load(), 0);
  const std::string path = root_ + "/batches.db";
  EXPECT_EQ(query_text(path, "SELECT count(*) FROM tasks"), std::to_string(threads * (each + 3)));
  EXPECT_EQ(query_text(path, "SELECT count(*) FROM events WHERE kind = 'note'"), std::to_string(threads * each));
  EXPECT_EQ(query_text(path, "SELECT count(*) FROM tasks WHERE title = 'cycle'"), "0");
}

}  // namespace
}  // namespace drover::storage_test
