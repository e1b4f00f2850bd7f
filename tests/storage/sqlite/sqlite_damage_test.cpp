// A damaged SQLite store (issue 11): found before anything is written to it,
// every later call refused with DROVER_DATA_CORRUPT naming the file, nothing
// more written; a read-only open still reads what it can; and the store's
// files are private whatever the umask. ABI-only, like the conformance suite.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "store_session.h"

namespace drover::storage_test {
namespace {

namespace fs = std::filesystem;
using V = drover_storage_vtable_v1;

// Random bytes over 16 pages from offset 100000: the issue's `dd` was 4 KiB
// there; more pages make sure a tasks page is among them.
constexpr std::streamoff kDamageOffset = 100000;
constexpr int kDamageBytes = 64 * 1024;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class SqliteDamage : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = &load_plugin(conformance_backends().front());
    root_ = make_temp_directory();
    path_ = root_ + "/.drover/drover.db";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  StoreLocation at(bool read_only = false) const {
    Json context{{"project_root", root_}, {"drover_dir", root_ + "/.drover"}};
    if (read_only) context["read_only"] = true;
    return StoreLocation{"", context.dump(), root_};
  }
  // A store of a few hundred tasks (well past kDamageOffset), closed cleanly.
  void fill_store() {
    StoreSession store(*plugin_, at());
    ASSERT_TRUE(store.is_open()) << store.open_result().error;
    for (int i = 0; i < 300; ++i) {
      store.must(&V::create_task, {{"title", "task " + std::to_string(i)}, {"description", std::string(800, 'd')},
                                   {"now_ms", 1}});
    }
  }
  // `dd` of kDamageBytes random bytes at kDamageOffset; keep_mtime hides the write
  // from the clean-close mark, as a damaged disk sector would.
  void damage(bool keep_mtime) {
    struct stat before {};
    ASSERT_EQ(::stat(path_.c_str(), &before), 0);
    ASSERT_GT(before.st_size, kDamageOffset + kDamageBytes);
    std::fstream f(path_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(kDamageOffset);
    std::mt19937 rng(11);
    for (int i = 0; i < kDamageBytes; ++i) f.put(static_cast<char>(rng()));
    f.close();
    if (keep_mtime) {
      struct timespec times[2] = {before.st_atim, before.st_mtim};
      ASSERT_EQ(::utimensat(AT_FDCWD, path_.c_str(), times, 0), 0);
    }
  }
  void expect_corrupt_message(const CallResult& r) const {
    EXPECT_EQ(r.status, DROVER_DATA_CORRUPT) << status_name(r.status) << ": " << r.error;
    EXPECT_NE(r.error.find(path_), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("backup"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("drover export"), std::string::npos) << r.error;
  }

  const drover::testing::AbiPlugin* plugin_ = nullptr;
  std::string root_, path_;
};

TEST_F(SqliteDamage, ACleanCloseLeavesAMarkThatOpeningTakesAway) {
  fill_store();
  const std::string mark = path_ + "-closed";
  ASSERT_TRUE(fs::exists(mark));
  EXPECT_EQ(mode_of(mark), 0600u);
  {
    StoreSession store(*plugin_, at());
    ASSERT_TRUE(store.is_open()) << store.open_result().error;
    EXPECT_FALSE(fs::exists(mark)) << "an open store must not look closed";
  }
  EXPECT_TRUE(fs::exists(mark));
}

TEST_F(SqliteDamage, DamageSinceTheLastCloseIsFoundAtOpenAndNothingIsWritten) {
  fill_store();
  damage(/*keep_mtime=*/false);
  const std::string before = file_bytes(path_);
  StoreSession store(*plugin_, at());
  EXPECT_FALSE(store.is_open());
  expect_corrupt_message(store.open_result());
  EXPECT_EQ(file_bytes(path_), before);
  EXPECT_FALSE(fs::exists(path_ + "-closed")) << "the next open must check again";
}

TEST_F(SqliteDamage, DamageAStatementMeetsLatchesEveryLaterCall) {
  fill_store();
  damage(/*keep_mtime=*/true);  // not checked at open: the mark still matches
  const std::string before = file_bytes(path_);
  {
    StoreSession store(*plugin_, at());
    ASSERT_TRUE(store.is_open()) << store.open_result().error;
    expect_corrupt_message(store.call(&V::list_tasks, Json::object()));
    expect_corrupt_message(store.call(&V::create_task, {{"title", "after the damage"}, {"now_ms", 2}}));
    expect_corrupt_message(store.call(&V::list_epics, Json::object()));
  }
  EXPECT_EQ(file_bytes(path_), before) << "nothing may reach a damaged file, not even a checkpoint";
  StoreSession again(*plugin_, at());
  EXPECT_FALSE(again.is_open());
  expect_corrupt_message(again.open_result());
}

TEST_F(SqliteDamage, AWalLeftBesideTheFileMeansItWasNotClosedCleanly) {
  fill_store();
  damage(/*keep_mtime=*/true);  // the mark still matches the file...
  std::ofstream(path_ + "-wal").close();  // ...but a process left its WAL behind
  StoreSession store(*plugin_, at());
  EXPECT_FALSE(store.is_open()) << "checked at open, before any write";
  expect_corrupt_message(store.open_result());
}

TEST_F(SqliteDamage, ReadOnlyOpenReadsWhatItCanAndWritesNothing) {
  fill_store();
  damage(/*keep_mtime=*/false);
  const std::string before = file_bytes(path_);
  {
    StoreSession store(*plugin_, at(/*read_only=*/true));
    ASSERT_TRUE(store.is_open()) << store.open_result().error;
    // A sorted list is read whole before its first row, so one damaged page
    // can cut it short; lookups of records on intact pages still work.
    CallResult tasks = store.call(&V::list_tasks, Json::object());
    ASSERT_TRUE(tasks.ok()) << tasks.error;
    EXPECT_LT(Json::parse(tasks.output).size(), 300u) << "the damaged pages held some of the tasks";
    int readable = 0;
    for (int i = 1; i <= 300; ++i) {
      CallResult task = store.call(&V::get_task, {{"id", "t" + std::to_string(i)}});
      EXPECT_NE(task.status, DROVER_DATA_CORRUPT) << "a read-only open reads on: " << task.error;
      readable += task.ok() ? 1 : 0;
    }
    EXPECT_GT(readable, 0);
    EXPECT_LT(readable, 300);
    EXPECT_TRUE(store.call(&V::list_epics, Json::object()).ok());
  }
  EXPECT_EQ(file_bytes(path_), before);
}

TEST_F(SqliteDamage, NewStoreFilesArePrivateWhateverTheUmask) {
  mode_t old = ::umask(0);
  {
    StoreSession store(*plugin_, at());
    ASSERT_TRUE(store.is_open()) << store.open_result().error;
    store.must(&V::create_task, {{"title", "one"}, {"now_ms", 1}});
    EXPECT_EQ(mode_of(path_), 0600u);
    EXPECT_EQ(mode_of(path_ + "-wal"), 0600u);
    EXPECT_EQ(mode_of(root_ + "/.drover"), 0700u);
  }
  ::umask(old);
  EXPECT_EQ(mode_of(path_ + "-closed"), 0600u);
}

}  // namespace
}  // namespace drover::storage_test
