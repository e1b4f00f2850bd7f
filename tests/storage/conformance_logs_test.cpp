// Conformance (storage ABI 1.4): agent output in the store. append_log adds a
// chunk at its stream offset (a retried chunk is not stored twice, a gap is
// skipped by readers), keeps the first and the last half of max_bytes, and
// read_log reads from any offset, the latest round where the key is left out.
#include <string>

#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;

class LogsStorageConformance : public StorageConformance {
 protected:
  void SetUp() override {
    StorageConformance::SetUp();
    if (IsSkipped()) return;  // the backend is not available: no plugin to ask
    if (vtable().struct_size <= offsetof(V, read_log)) GTEST_SKIP() << "the plugin was built for an ABI older than 1.4";
    create_task("a");
  }
  Json append(int64_t offset, const std::string& data, Json extra = Json::object()) {
    Json req{{"task_id", "t1"}, {"generation", 0}, {"attempt", 1},     {"round", 1},
             {"offset", offset}, {"data", data},   {"max_bytes", 0}, {"now_ms", kT0}};
    req.update(extra);
    return ok(&V::append_log, req);
  }
  Json read(int64_t offset, Json extra = Json::object()) {
    Json req{{"task_id", "t1"}, {"offset", offset}};
    req.update(extra);
    return ok(&V::read_log, req);
  }
  // The whole log as a reader that follows next_offset sees it.
  std::string read_all(Json key = Json::object(), int64_t max_bytes = 7) {
    std::string out;
    int64_t at = 0;
    for (int i = 0; i < 1000; ++i) {
      Json extra = key;
      extra["max_bytes"] = max_bytes;
      Json p = read(at, extra);
      out += p["data"].get<std::string>();
      if (p["eof"].get<bool>()) break;
      at = p["next_offset"].get<int64_t>();
    }
    return out;
  }
};

TEST_P(LogsStorageConformance, AppendsAtOffsetsAndReadsFromAnyOffset) {
  EXPECT_EQ(append(0, "hello\n")["size"], 6);
  EXPECT_EQ(append(6, "world\n")["size"], 12);
  Json p = read(0);
  EXPECT_EQ(p["data"], "hello\nworld\n");
  EXPECT_EQ(p["offset"], 0);
  EXPECT_EQ(p["next_offset"], 12);
  EXPECT_EQ(p["size"], 12);
  EXPECT_EQ(p["eof"], true);
  EXPECT_EQ(p["finished"], false);
  EXPECT_EQ(p["attempt"], 1);
  EXPECT_EQ(p["round"], 1);
  EXPECT_EQ(read(3, {{"max_bytes", 5}})["data"], "lo\nwo");
  Json end = read(12);
  EXPECT_EQ(end["data"], "");
  EXPECT_EQ(end["next_offset"], 12);
  EXPECT_EQ(read_all(), "hello\nworld\n");
}

TEST_P(LogsStorageConformance, ARetriedChunkIsNotStoredTwice) {
  append(0, "abc");
  EXPECT_EQ(append(0, "abc")["size"], 3);
  EXPECT_EQ(append(0, "abcdef")["size"], 6) << "only the new part is kept";
  EXPECT_EQ(read_all(), "abcdef");
}

TEST_P(LogsStorageConformance, AGapIsSkippedByReaders) {
  append(0, "head\n");
  Json r = append(100, "tail\n");
  EXPECT_EQ(r["size"], 105);
  EXPECT_EQ(r["kept"], 10);
  Json p = read(5);
  EXPECT_EQ(p["offset"], 100) << "the next byte kept";
  EXPECT_EQ(p["data"], "tail\n");
  EXPECT_EQ(read_all(), "head\ntail\n");
}

TEST_P(LogsStorageConformance, TheCapKeepsTheFirstAndTheLastHalf) {
  const std::string line(100, 'x');
  int64_t at = 0;
  Json r;
  for (int i = 0; i < 50; ++i) {
    std::string chunk = std::to_string(i % 10) + line.substr(1);
    r = append(at, chunk, {{"max_bytes", 1000}});
    at += static_cast<int64_t>(chunk.size());
  }
  EXPECT_EQ(r["size"], 5000);
  EXPECT_LE(r["kept"].get<int64_t>(), 1000 + 2 * 100) << "whole chunks: at most two more than the cap";
  EXPECT_GE(r["kept"].get<int64_t>(), 1000);
  Json first = read(0, {{"max_bytes", 100}});
  EXPECT_EQ(first["data"].get<std::string>()[0], '0') << "the head is kept";
  Json middle = read(2500, {{"max_bytes", 100}});
  EXPECT_GE(middle["offset"].get<int64_t>(), 4400) << "the middle was dropped: " << middle.dump();
  Json tail = read(4900);
  EXPECT_EQ(tail["data"].get<std::string>()[0], '9') << "the tail is kept";
  EXPECT_EQ(tail["eof"], true);
}

TEST_P(LogsStorageConformance, AFinishedLogTakesNothingMore) {
  append(0, "done\n", {{"final", true}});
  Json p = read(0);
  EXPECT_EQ(p["finished"], true);
  EXPECT_EQ(append(0, "done\n", {{"final", true}})["size"], 5) << "a retried final chunk is fine";
  fails(&V::append_log,
        {{"task_id", "t1"}, {"generation", 0}, {"attempt", 1}, {"round", 1}, {"offset", 5}, {"data", "more"},
         {"max_bytes", 0}, {"now_ms", kT0}},
        DROVER_CONFLICT);
}

TEST_P(LogsStorageConformance, ReadsTheLatestRoundWhereTheKeyIsLeftOut) {
  append(0, "a1r1");
  append(0, "a1r2", {{"round", 2}});
  append(0, "a2r1", {{"attempt", 2}});
  append(0, "g1a1", {{"generation", 1}});
  EXPECT_EQ(read(0)["data"], "g1a1");
  EXPECT_EQ(read(0, {{"generation", 0}})["data"], "a2r1");
  EXPECT_EQ(read(0, {{"generation", 0}, {"attempt", 1}})["data"], "a1r2");
  Json p = read(0, {{"generation", 0}, {"attempt", 1}, {"round", 1}});
  EXPECT_EQ(p["data"], "a1r1");
  EXPECT_EQ(p["generation"], 0);
  EXPECT_EQ(p["attempt"], 1);
  EXPECT_EQ(p["round"], 1);
}

TEST_P(LogsStorageConformance, NeverSplitsAUtf8Sequence) {
  append(0, "\xc3\xa9\xc3\xa9\xe2\x82\xac");  // "éé€": 2 + 2 + 3 bytes
  Json p = read(0, {{"max_bytes", 3}});
  EXPECT_EQ(p["data"], "\xc3\xa9");
  EXPECT_EQ(p["next_offset"], 2);
  EXPECT_EQ(read(1, {{"max_bytes", 3}})["data"], "\xc3\xa9") << "an offset inside a sequence starts at the next";
  EXPECT_EQ(read_all(Json::object(), 1), "\xc3\xa9\xc3\xa9\xe2\x82\xac") << "at least one whole sequence per read";
}

TEST_P(LogsStorageConformance, UnknownTasksAndMissingLogsAreNotFound) {
  fails(&V::append_log,
        {{"task_id", "t9"}, {"generation", 0}, {"attempt", 1}, {"round", 1}, {"offset", 0}, {"data", "x"},
         {"max_bytes", 0}, {"now_ms", kT0}},
        DROVER_NOT_FOUND);
  fails(&V::read_log, {{"task_id", "t9"}}, DROVER_NOT_FOUND);
  std::string m = fails(&V::read_log, {{"task_id", "t1"}}, DROVER_NOT_FOUND);
  EXPECT_NE(m.find("no log"), std::string::npos) << m;
  append(0, "x");
  fails(&V::read_log, {{"task_id", "t1"}, {"attempt", 2}}, DROVER_NOT_FOUND);
  fails(&V::append_log,
        {{"task_id", "t1"}, {"generation", 0}, {"attempt", 0}, {"round", 1}, {"offset", 0}, {"data", "x"},
         {"max_bytes", 0}, {"now_ms", kT0}},
        DROVER_INVALID_ARGUMENT);
  fails(&V::read_log, {{"task_id", "t1"}, {"max_bytes", 2 * 1024 * 1024}}, DROVER_INVALID_ARGUMENT);
}

TEST_P(LogsStorageConformance, RemovingATaskRemovesItsLogs) {
  append(0, "x");
  ok(&V::remove_task, {{"id", "t1"}, {"now_ms", kT0}});
  create_task("b");
  fails(&V::read_log, {{"task_id", "t2"}}, DROVER_NOT_FOUND);
}

INSTANTIATE_TEST_SUITE_P(Backends, LogsStorageConformance, ::testing::ValuesIn(conformance_backends()),
                         backend_test_name);

}  // namespace
}  // namespace drover::storage_test
