// Conformance (storage ABI 1.2): touches and learned_touches, claim's
// exclude_ids, and the steering operations edit_task, remove_task,
// remove_dependency and set_paused. A plugin built for an older ABI minor
// (its vtable ends before edit_task) skips them.
#include <algorithm>

#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;
using Ids = std::vector<std::string>;

class StorageSteering : public StorageConformance {
 protected:
  void SetUp() override {
    StorageConformance::SetUp();
    if (IsSkipped()) return;  // the backend is not available: no plugin to ask
    if (vtable().struct_size < sizeof(drover_storage_vtable_v1))
      GTEST_SKIP() << "the plugin was built for an ABI older than 1.2";
  }
  Json remove(const std::string& id, bool cascade = false) {
    return ok(&V::remove_task, {{"id", id}, {"cascade", cascade}, {"now_ms", kT0 + 5}});
  }
  Json pause(const std::string& id, bool paused) {
    return ok(&V::set_paused, {{"id", id}, {"paused", paused}, {"now_ms", kT0 + 5}});
  }
  Json event_kinds(const std::optional<std::string>& task) {
    Json req = Json::object();
    if (task) req["task_id"] = *task;
    Json kinds = Json::array();
    for (const Json& e : ok(&V::list_events, req)) kinds.push_back(e["kind"]);
    return kinds;
  }
};

TEST_P(StorageSteering, TouchesAreKeptAsGivenAndLearnedTouchesReplaced) {
  Json t = create_task("parser", {{"touches", {"src/parser/**", "docs/cli.md"}}});
  EXPECT_EQ(t["touches"], Json({"src/parser/**", "docs/cli.md"}));
  EXPECT_EQ(t["learned_touches"], Json::array());
  EXPECT_EQ(t["paused"], false);
  EXPECT_EQ(create_task("plain")["touches"], Json::array());

  ok(&V::update_task, {{"id", "t1"}, {"now_ms", kT0 + 1}, {"fields", {{"learned_touches", {"a.txt", "b.txt"}}}}});
  Json u = ok(&V::update_task, {{"id", "t1"}, {"now_ms", kT0 + 2}, {"fields", {{"learned_touches", {"c.txt"}}}}});
  EXPECT_EQ(u["learned_touches"], Json({"c.txt"}));
  EXPECT_EQ(get_task("t1")["touches"], Json({"src/parser/**", "docs/cli.md"}));

  std::string m = fails(&V::create_task, {{"title", "x"}, {"touches", "src/**"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  EXPECT_NE(m.find("touches"), std::string::npos) << m;
  m = fails(&V::update_task, {{"id", "t1"}, {"fields", {{"learned_touches", {1, 2}}}}}, DROVER_INVALID_ARGUMENT);
  EXPECT_NE(m.find("learned_touches"), std::string::npos) << m;
}

TEST_P(StorageSteering, ClaimLeavesOutExcludedAndPausedTasks) {
  create_task("a", {{"priority", 3}});
  create_task("b", {{"priority", 2}});
  create_task("c", {{"priority", 1}});
  pause("t2", true);
  Json got = claim("x", kT0 + 10, {{"exclude_ids", {"t1"}}});
  EXPECT_EQ(got["id"], "t3") << "t1 excluded, t2 paused";
  EXPECT_TRUE(claim("x", kT0 + 10, {{"exclude_ids", {"t1"}}}).is_null());
  pause("t2", false);
  EXPECT_EQ(claim("x", kT0 + 10)["id"], "t1");
  EXPECT_EQ(claim("x", kT0 + 10)["id"], "t2");
}

TEST_P(StorageSteering, ARunningTaskPausedKeepsRunningAndIsNotClaimedOnceReleased) {
  create_task("a");
  claim("x", kT0);
  Json p = pause("t1", true);
  EXPECT_EQ(p["status"], "running");
  EXPECT_EQ(p["paused"], true);
  ok(&V::release_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 1}});
  EXPECT_TRUE(claim("y", kT0 + 2).is_null());
  EXPECT_EQ(get_task("t1")["status"], "ready");
  Json kinds = event_kinds("t1");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "paused"), kinds.end()) << kinds.dump();
}

TEST_P(StorageSteering, APausedTaskWhoseLeaseExpiredIsStillReclaimed) {
  create_task("a");
  claim("x", kT0);
  pause("t1", true);
  Json got = claim("y", kT0 + kLeaseMs + 1);
  EXPECT_EQ(got["id"], "t1") << "its attempt finishes under the new executor";
  EXPECT_EQ(got["reclaimed"], true);
}

TEST_P(StorageSteering, PausingAFinishedTaskIsRefused) {
  create_task("a");
  claim("x", kT0);
  complete("t1", "x", kT0 + 1);
  fails(&V::set_paused, {{"id", "t1"}, {"paused", true}}, DROVER_CONFLICT);
  fails(&V::set_paused, {{"id", "t9"}, {"paused", true}}, DROVER_NOT_FOUND);
  fails(&V::set_paused, {{"id", "t1"}}, DROVER_INVALID_ARGUMENT);
}

TEST_P(StorageSteering, EditChangesTheFieldsOfATaskThatIsNotRunning) {
  create_task("old", {{"agent", "codex"}, {"touches", {"a/**"}}});
  Json e = ok(&V::edit_task, {{"id", "t1"},
                              {"now_ms", kT0 + 1},
                              {"fields",
                               {{"title", "new"},
                                {"description", "more"},
                                {"priority", 7},
                                {"agent", nullptr},
                                {"max_attempts", 4},
                                {"touches", {"b/**"}}}}});
  EXPECT_EQ(e["title"], "new");
  EXPECT_EQ(e["description"], "more");
  EXPECT_EQ(e["priority"], 7);
  EXPECT_TRUE(e["agent"].is_null());
  EXPECT_EQ(e["max_attempts"], 4);
  EXPECT_EQ(e["touches"], Json({"b/**"}));
  EXPECT_EQ(e["status"], "ready");
  Json kinds = event_kinds("t1");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "edited"), kinds.end()) << kinds.dump();

  EXPECT_EQ(ok(&V::edit_task, {{"id", "t1"}, {"fields", {{"agent", "amp"}}}})["agent"], "amp");
  std::string m = fails(&V::edit_task, {{"id", "t1"}, {"fields", {{"status", "completed"}}}}, DROVER_INVALID_ARGUMENT);
  EXPECT_NE(m.find("status"), std::string::npos) << m;
  fails(&V::edit_task, {{"id", "t1"}, {"fields", {{"title", ""}}}}, DROVER_INVALID_ARGUMENT);
  fails(&V::edit_task, {{"id", "t1"}, {"fields", {{"priority", "high"}}}}, DROVER_INVALID_ARGUMENT);
  fails(&V::edit_task, {{"id", "t1"}, {"fields", Json::object()}}, DROVER_INVALID_ARGUMENT);
  fails(&V::edit_task, {{"id", "t9"}, {"fields", {{"title", "x"}}}}, DROVER_NOT_FOUND);

  claim("x", kT0 + 2);
  m = fails(&V::edit_task, {{"id", "t1"}, {"fields", {{"title", "while running"}}}}, DROVER_CONFLICT);
  EXPECT_NE(m.find("running"), std::string::npos) << m;
  EXPECT_EQ(get_task("t1")["title"], "new");
}

TEST_P(StorageSteering, RemoveDependencyReDerivesTheDependent) {
  create_task("a");
  create_task("b");
  create_task("c", {{"blocked_by", {"t1", "t2"}}});
  Json c = ok(&V::remove_dependency, {{"task", "t3"}, {"blocker", "t1"}, {"now_ms", kT0 + 1}});
  EXPECT_EQ(c["blocked_by"], Json({"t2"}));
  EXPECT_EQ(c["status"], "waiting");
  EXPECT_EQ(get_task("t1")["blocks"], Json::array());
  c = ok(&V::remove_dependency, {{"task", "t3"}, {"blocker", "t2"}, {"now_ms", kT0 + 2}});
  EXPECT_EQ(c["status"], "ready");
  fails(&V::remove_dependency, {{"task", "t3"}, {"blocker", "t2"}}, DROVER_NOT_FOUND);
  fails(&V::remove_dependency, {{"task", "t3"}, {"blocker", "t9"}}, DROVER_NOT_FOUND);
}

TEST_P(StorageSteering, RemoveDependencyUnblocksATaskBlockedByAFailure) {
  create_task("a");
  create_task("b", {{"blocked_by", {"t1"}}});
  claim("x", kT0);
  ok(&V::fail_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 1}, {"error", "boom"}});
  EXPECT_EQ(get_task("t2")["status"], "blocked");
  EXPECT_EQ(ok(&V::remove_dependency, {{"task", "t2"}, {"blocker", "t1"}, {"now_ms", kT0 + 2}})["status"], "ready");
}

TEST_P(StorageSteering, SubTaskOrderEdgesCannotBeRemoved) {
  create_task("parent");
  create_task("one", {{"parent", "t1"}});
  create_task("two", {{"parent", "t1"}});
  fails(&V::remove_dependency, {{"task", "t1"}, {"blocker", "t1.1"}}, DROVER_INVALID_ARGUMENT);
  fails(&V::remove_dependency, {{"task", "t1.2"}, {"blocker", "t1.1"}}, DROVER_INVALID_ARGUMENT);
}

TEST_P(StorageSteering, RemoveRefusesWhileOthersWaitUnlessCascade) {
  create_task("a");
  create_task("b", {{"blocked_by", {"t1"}}});
  create_task("c", {{"blocked_by", {"t2"}}});
  create_task("d");
  std::string m = fails(&V::remove_task, {{"id", "t1"}}, DROVER_CONFLICT);
  EXPECT_NE(m.find("t2"), std::string::npos) << m;
  EXPECT_EQ(ids_of(list_tasks()), (Ids{"t1", "t2", "t3", "t4"})) << "nothing removed";
  Json r = remove("t1", true);
  EXPECT_EQ(r["removed"], Json({"t1", "t2", "t3"}));
  EXPECT_EQ(ids_of(list_tasks()), (Ids{"t4"}));
  fails(&V::get_task, {{"id", "t2"}}, DROVER_NOT_FOUND);
  EXPECT_EQ(event_kinds("t1"), Json::array()) << "the task's events go with it";
  Json all = event_kinds(std::nullopt);
  EXPECT_NE(std::find(all.begin(), all.end(), "removed"), all.end()) << all.dump();
  EXPECT_EQ(create_task("e")["id"], "t5") << "ids are not reused";
  fails(&V::remove_task, {{"id", "t1"}}, DROVER_NOT_FOUND);
}

TEST_P(StorageSteering, RemoveRefusesARunningTaskEvenInACascade) {
  create_task("a");
  create_task("b", {{"blocked_by", {"t1"}}});
  claim("x", kT0);
  fails(&V::remove_task, {{"id", "t1"}}, DROVER_CONFLICT);
  // t3 waits for t2; t2 is not running, but a dependent further down is.
  create_task("c");
  create_task("d", {{"blocked_by", {"t3"}}});
  ok(&V::release_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 1}});
  Json got = claim("x", kT0 + 2, {{"exclude_ids", {"t1"}}});
  ASSERT_EQ(got["id"], "t3");
  EXPECT_EQ(remove("t2")["removed"], Json({"t2"}));
  std::string m = fails(&V::remove_task, {{"id", "t3"}, {"cascade", true}}, DROVER_CONFLICT);
  EXPECT_NE(m.find("running"), std::string::npos) << m;
  EXPECT_EQ(get_task("t4")["blocked_by"], Json({"t3"})) << "nothing removed";
}

TEST_P(StorageSteering, RemovingAParentRemovesItsSubTasks) {
  create_task("parent");
  create_task("one", {{"parent", "t1"}});
  create_task("two", {{"parent", "t1"}});
  create_task("other");
  Json r = remove("t1");
  Ids removed = r["removed"].get<Ids>();
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (Ids{"t1", "t1.1", "t1.2"}));
  EXPECT_EQ(ids_of(list_tasks()), (Ids{"t2"}));
}

TEST_P(StorageSteering, RemovingASubTaskKeepsTheOrderOfTheOthers) {
  create_task("parent");
  create_task("one", {{"parent", "t1"}});
  create_task("two", {{"parent", "t1"}});
  create_task("three", {{"parent", "t1"}});
  EXPECT_EQ(remove("t1.2")["removed"], Json({"t1.2"}));
  EXPECT_EQ(get_task("t1.3")["blocked_by"], Json({"t1.1"}));
  EXPECT_EQ(get_task("t1")["blocked_by"], Json({"t1.1", "t1.3"}));
  // Removing the first one leaves the next one ready.
  EXPECT_EQ(remove("t1.1")["removed"], Json({"t1.1"}));
  EXPECT_EQ(get_task("t1.3")["status"], "ready");
  EXPECT_EQ(get_task("t1")["status"], "waiting");
  EXPECT_EQ(remove("t1.3")["removed"], Json({"t1.3"}));
  EXPECT_EQ(get_task("t1")["status"], "ready") << "a parent without sub-tasks left runs";
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageSteering, ::testing::ValuesIn(conformance_backends()), backend_test_name);

}  // namespace
}  // namespace drover::storage_test
