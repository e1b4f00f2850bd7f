// Conformance (storage ABI 1.4): executors. Each `drover run` beats its
// record (beat_executor); list_executors lists every executor with the
// running tasks whose lease it holds and the clock its last beat is in.
#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;

// The name ends in StorageConformance so that ctest's filter picks it up.
class ExecutorsStorageConformance : public StorageConformance {
 protected:
  void SetUp() override {
    StorageConformance::SetUp();
    if (IsSkipped()) return;  // the backend is not available: no plugin to ask
    if (vtable().struct_size <= offsetof(V, read_log)) GTEST_SKIP() << "the plugin was built for an ABI older than 1.4";
  }
  Json beat(const std::string& id, const std::string& state, int64_t now_ms, Json extra = Json::object()) {
    Json req{{"id", id},       {"host", "host-a"}, {"pid", 4711},     {"started_ms", kT0 - 1000},
             {"version", "0.1"}, {"workers", 4},   {"lease_ms", kLeaseMs}, {"state", state},
             {"now_ms", now_ms}};
    req.update(extra);
    return ok(&V::beat_executor, req);
  }
  Json list(int64_t now_ms) { return ok(&V::list_executors, {{"now_ms", now_ms}}); }
};

TEST_P(ExecutorsStorageConformance, ABeatRegistersAndRefreshesAnExecutor) {
  Json first = beat("host-a/4711/99", "running", kT0);
  EXPECT_EQ(first["id"], "host-a/4711/99");
  EXPECT_EQ(first["host"], "host-a");
  EXPECT_EQ(first["pid"], 4711);
  EXPECT_EQ(first["workers"], 4);
  EXPECT_EQ(first["state"], "running");
  EXPECT_EQ(first["first_beat_ms"], first["last_beat_ms"]);

  Json again = beat("host-a/4711/99", "stopping", kT0 + 10'000, {{"workers", 2}});
  EXPECT_EQ(again["state"], "stopping");
  EXPECT_EQ(again["workers"], 2);
  EXPECT_EQ(again["first_beat_ms"], first["first_beat_ms"]) << "the first beat is kept";
  EXPECT_GE(again["last_beat_ms"].get<int64_t>(), first["last_beat_ms"].get<int64_t>());

  Json l = list(kT0 + 10'005);
  ASSERT_EQ(l["executors"].size(), 1u) << l.dump();
  EXPECT_EQ(l["executors"][0]["state"], "stopping");
  EXPECT_EQ(l["executors"][0]["version"], "0.1");
  // Ages are measured in the store's clock: small and never negative.
  const int64_t age = l["now_ms"].get<int64_t>() - l["executors"][0]["last_beat_ms"].get<int64_t>();
  EXPECT_GE(age, 0);
  EXPECT_LT(age, 60'000);
}

TEST_P(ExecutorsStorageConformance, ListsEveryExecutorWithTheTasksItHolds) {
  create_task("a");
  create_task("b");
  create_task("c");
  beat("x", "running", kT0);
  beat("y", "running", kT0 + 1);
  beat("z", "stopped", kT0 + 2);
  claim("x", kT0 + 3);
  claim("y", kT0 + 3);
  claim("x", kT0 + 3);
  Json l = list(kT0 + 5);
  ASSERT_EQ(l["executors"].size(), 3u) << l.dump();
  std::map<std::string, Json> by_id;
  for (const Json& e : l["executors"]) by_id[e["id"]] = e;
  EXPECT_EQ(by_id["x"]["tasks"], Json({"t1", "t3"}));
  EXPECT_EQ(by_id["y"]["tasks"], Json({"t2"}));
  EXPECT_EQ(by_id["z"]["tasks"], Json::array());
  EXPECT_EQ(by_id["z"]["state"], "stopped");
  complete("t1", "x", kT0 + 6);
  l = list(kT0 + 7);
  for (const Json& e : l["executors"]) {
    if (e["id"] == "x") {
      EXPECT_EQ(e["tasks"], Json({"t3"})) << "a completed task is no longer held";
    }
  }
}

TEST_P(ExecutorsStorageConformance, RefusesABadBeat) {
  Json req{{"id", "x"}, {"host", "h"}, {"pid", 1},         {"started_ms", kT0}, {"version", "v"},
           {"workers", 1}, {"lease_ms", 1000}, {"state", "sleeping"}, {"now_ms", kT0}};
  std::string m = fails(&V::beat_executor, req, DROVER_INVALID_ARGUMENT);
  EXPECT_NE(m.find("state"), std::string::npos) << m;
  req["state"] = "running";
  req["pid"] = -1;
  fails(&V::beat_executor, req, DROVER_INVALID_ARGUMENT);
  req["pid"] = 1;
  req.erase("host");
  fails(&V::beat_executor, req, DROVER_INVALID_ARGUMENT);
  EXPECT_TRUE(list(kT0)["executors"].empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ExecutorsStorageConformance, ::testing::ValuesIn(conformance_backends()),
                         backend_test_name);

}  // namespace
}  // namespace drover::storage_test
