// Conformance: describe, epics, creating and listing tasks, dependencies,
// sub-task ordering and cycle refusal.
#include <algorithm>

#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;
using Ids = std::vector<std::string>;

TEST_P(StorageConformance, DescribeNamesBackendSchemaAndLocation) {
  Json d = ok(&V::describe, Json::object());
  ASSERT_TRUE(d.is_object());
  EXPECT_TRUE(d["backend"].is_string() && !d["backend"].get<std::string>().empty());
  ASSERT_TRUE(d["schema_version"].is_number_integer());
  EXPECT_GE(d["schema_version"].get<int>(), 1);
  ASSERT_TRUE(d["location"].is_string());
  EXPECT_EQ(d["location"].get<std::string>().find("password"), std::string::npos);
}

TEST_P(StorageConformance, EpicsGetSequentialIdsAndStatusCounts) {
  Json e1 = ok(&V::create_epic, {{"title", "Auth"}, {"description", "login flow"}, {"now_ms", kT0}});
  Json e2 = ok(&V::create_epic, {{"title", "Billing"}, {"now_ms", kT0 + 1}});
  EXPECT_EQ(e1["id"], "e1");
  EXPECT_EQ(e2["id"], "e2");
  EXPECT_EQ(e1["title"], "Auth");
  EXPECT_EQ(e1["description"], "login flow");
  EXPECT_EQ(e1["created_ms"], kT0);

  create_task("a", {{"epic", "e1"}});
  Json b = create_task("b", {{"epic", "e1"}});
  create_task("c", {{"epic", "e2"}});
  claim("x", kT0, {{"epic", "e1"}});

  Json epics = ok(&V::list_epics, Json::object());
  ASSERT_EQ(epics.size(), 2u);
  EXPECT_EQ(epics[0]["id"], "e1");
  EXPECT_EQ(epics[1]["id"], "e2");
  EXPECT_EQ(epics[0]["counts"].value("running", 0), 1);
  EXPECT_EQ(epics[0]["counts"].value("ready", 0), 1);
  EXPECT_EQ(epics[1]["counts"].value("ready", 0), 1);
  EXPECT_EQ(epics[1]["counts"].value("running", 0), 0);
}

TEST_P(StorageConformance, CreateTaskReturnsTheFullRecord) {
  Json t = create_task("Write the parser", {{"description", "in C++"},
                                            {"priority", 5},
                                            {"agent", "codex"},
                                            {"max_attempts", 3},
                                            {"timeout_ms", 90000}});
  EXPECT_EQ(t["id"], "t1");
  EXPECT_EQ(t["title"], "Write the parser");
  EXPECT_EQ(t["description"], "in C++");
  EXPECT_TRUE(t["epic"].is_null());
  EXPECT_TRUE(t["parent"].is_null());
  EXPECT_EQ(t["sequence"], 0);
  EXPECT_EQ(t["priority"], 5);
  EXPECT_EQ(t["status"], "ready");
  EXPECT_EQ(t["attempts"], 0);
  EXPECT_EQ(t["max_attempts"], 3);
  EXPECT_EQ(t["agent"], "codex");
  EXPECT_EQ(t["timeout_ms"], 90000);
  EXPECT_EQ(t["generation"], 0);
  EXPECT_EQ(t["not_before_ms"], 0);
  EXPECT_TRUE(t["lease_owner"].is_null());
  EXPECT_EQ(t["created_ms"], kT0);
  EXPECT_EQ(t["blocked_by"], Json::array());
  EXPECT_EQ(t["blocks"], Json::array());
  for (const char* key : {"status_reason", "last_error", "result_summary", "session_id", "merge_commit"}) {
    EXPECT_TRUE(t[key].is_string()) << key;
  }
  for (const char* key : {"tokens_in", "tokens_out", "lease_expires_ms", "updated_ms", "started_ms", "completed_ms"}) {
    EXPECT_TRUE(t[key].is_number_integer()) << key;
  }
  EXPECT_TRUE(t["cost_usd"].is_null()) << "no agent has reported a cost yet";

  Json defaults = create_task("second");
  EXPECT_EQ(defaults["id"], "t2");
  EXPECT_EQ(defaults["priority"], 0);
  EXPECT_TRUE(defaults["agent"].is_null());
  EXPECT_EQ(defaults["max_attempts"], 0);
  EXPECT_EQ(defaults["timeout_ms"], 0);
  EXPECT_EQ(get_task("t1"), t);
}

TEST_P(StorageConformance, ListTasksOrdersByPriorityThenAgeThenNumericId) {
  for (int i = 1; i <= 11; ++i) create_task("same " + std::to_string(i));  // same created_ms
  create_task("older low", {{"priority", -1}, {"now_ms", kT0 - 10}});
  create_task("newer high", {{"priority", 9}, {"now_ms", kT0 + 10}});
  create_task("older high", {{"priority", 9}, {"now_ms", kT0 + 5}});
  Ids expected = {"t14", "t13", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11", "t12"};
  EXPECT_EQ(ids_of(list_tasks()), expected);
}

TEST_P(StorageConformance, ListTasksFiltersByEpicStatusAndIds) {
  ok(&V::create_epic, {{"title", "E"}, {"now_ms", kT0}});
  create_task("in epic", {{"epic", "e1"}});
  create_task("outside");
  create_task("waits", {{"blocked_by", {"t2"}}, {"epic", "e1"}});
  EXPECT_EQ(ids_of(list_tasks({{"epic", "e1"}})), (Ids{"t1", "t3"}));
  EXPECT_EQ(ids_of(list_tasks({{"status", {"waiting"}}})), (Ids{"t3"}));
  EXPECT_EQ(ids_of(list_tasks({{"status", {"waiting", "ready"}}, {"epic", "e1"}})), (Ids{"t1", "t3"}));
  EXPECT_EQ(ids_of(list_tasks({{"ids", {"t3", "t2"}}})), (Ids{"t2", "t3"}));
  EXPECT_EQ(ids_of(list_tasks({{"ids", Json::array()}})), Ids{});
  EXPECT_EQ(ids_of(list_tasks({{"epic", "e1"}, {"status", {"completed"}}})), Ids{});
}

TEST_P(StorageConformance, BlockedTaskWaitsUntilEveryBlockerCompletes) {
  create_task("a");
  create_task("b");
  Json c = create_task("c", {{"blocked_by", {"t1", "t2"}}});
  EXPECT_EQ(c["status"], "waiting");
  EXPECT_EQ(c["blocked_by"], (Json{"t1", "t2"}));
  EXPECT_EQ(get_task("t1")["blocks"], (Json{"t3"}));

  Json first = claim("x", kT0);
  Json second = claim("x", kT0);
  EXPECT_EQ(claim("x", kT0), Json()) << "t3 must not be claimable while waiting";
  Json done = complete(first["id"], "x", kT0 + 1);
  EXPECT_EQ(done["unblocked"], Json::array());
  EXPECT_EQ(get_task("t3")["status"], "waiting");
  done = complete(second["id"], "x", kT0 + 2);
  EXPECT_EQ(done["unblocked"], (Json{"t3"}));
  EXPECT_EQ(done["task"]["status"], "completed");
  EXPECT_EQ(get_task("t3")["status"], "ready");
  EXPECT_EQ(claim("x", kT0 + 3)["id"], "t3");
}

TEST_P(StorageConformance, AddDependencyTurnsReadyIntoWaitingOnlyForIncompleteBlockers) {
  create_task("a");
  create_task("b");
  create_task("c");
  Json t = ok(&V::add_dependency, {{"task", "t2"}, {"blocker", "t1"}, {"now_ms", kT0 + 1}});
  EXPECT_EQ(t["id"], "t2");
  EXPECT_EQ(t["status"], "waiting");
  EXPECT_EQ(t["blocked_by"], (Json{"t1"}));

  claim("x", kT0 + 2, {{"epic", nullptr}});  // t1 (oldest)
  complete("t1", "x", kT0 + 3);
  EXPECT_EQ(get_task("t2")["status"], "ready");
  Json again = ok(&V::add_dependency, {{"task", "t3"}, {"blocker", "t1"}, {"now_ms", kT0 + 4}});
  EXPECT_EQ(again["status"], "ready") << "a completed blocker does not hold a task back";
  // Adding the same dependency twice changes nothing.
  Json twice = ok(&V::add_dependency, {{"task", "t3"}, {"blocker", "t1"}, {"now_ms", kT0 + 5}});
  EXPECT_EQ(twice["blocked_by"], (Json{"t1"}));
}

TEST_P(StorageConformance, SubTasksRunInSequenceAndBlockTheirParent) {
  ok(&V::create_epic, {{"title", "E"}, {"now_ms", kT0}});
  Json parent = create_task("parent", {{"epic", "e1"}});
  Json s1 = create_task("step one", {{"parent", "t1"}, {"priority", 1}});
  Json s2 = create_task("step two", {{"parent", "t1"}, {"priority", 5}});
  Json s3 = create_task("step three", {{"parent", "t1"}, {"priority", 9}});
  EXPECT_EQ(s1["id"], "t1.1");
  EXPECT_EQ(s2["id"], "t1.2");
  EXPECT_EQ(s3["id"], "t1.3");
  EXPECT_EQ(s2["parent"], "t1");
  EXPECT_EQ(s2["sequence"], 2);
  EXPECT_EQ(s1["status"], "ready");
  EXPECT_EQ(s2["status"], "waiting");
  EXPECT_EQ(s2["blocked_by"], (Json{"t1.1"}));
  EXPECT_EQ(s3["blocked_by"], (Json{"t1.2"}));
  Json p = get_task("t1");
  EXPECT_EQ(p["status"], "waiting");
  EXPECT_EQ(p["blocked_by"], (Json{"t1.1", "t1.2", "t1.3"}));

  // The next top-level task continues the store counter.
  EXPECT_EQ(create_task("other")["id"], "t2");

  // Sequence order wins over priority; the parent runs last.
  std::vector<std::string> order;
  for (int i = 0; i < 5; ++i) {
    Json c = claim("x", kT0 + 10 + i, {{"epic", "e1"}});
    if (c.is_null()) break;
    order.push_back(c["id"]);
    complete(c["id"], "x", kT0 + 10 + i);
  }
  EXPECT_EQ(order, (Ids{"t1.1", "t1.2", "t1.3", "t1"}));
}

TEST_P(StorageConformance, SubTaskIdsSortNumerically) {
  create_task("parent");
  for (int i = 0; i < 10; ++i) create_task("step", {{"parent", "t1"}});
  create_task("next");
  Ids expected = {"t1", "t1.1", "t1.2", "t1.3", "t1.4", "t1.5", "t1.6", "t1.7", "t1.8", "t1.9", "t1.10", "t2"};
  EXPECT_EQ(ids_of(list_tasks()), expected);
}

TEST_P(StorageConformance, SubTaskRulesAreEnforced) {
  create_task("parent");
  create_task("child", {{"parent", "t1"}});
  fails(&V::create_task, {{"title", "grandchild"}, {"parent", "t1.1"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  fails(&V::create_task, {{"title", "orphan"}, {"parent", "t99"}, {"now_ms", kT0}}, DROVER_NOT_FOUND);

  create_task("runs");
  Json running = claim("x", kT0, {{"exclude_agents", Json::array()}});
  ASSERT_EQ(running["id"], "t1.1");
  Json t2 = claim("x", kT0);
  ASSERT_EQ(t2["id"], "t2");
  fails(&V::create_task, {{"title", "late"}, {"parent", "t2"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  complete("t2", "x", kT0 + 1);
  fails(&V::create_task, {{"title", "later"}, {"parent", "t2"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
}

TEST_P(StorageConformance, DependencyCyclesAreRefusedWithTheCycleInTheMessage) {
  create_task("one");
  create_task("two", {{"blocked_by", {"t1"}}});
  create_task("three", {{"blocked_by", {"t2"}}});
  std::string message = fails(&V::add_dependency, {{"task", "t1"}, {"blocker", "t3"}, {"now_ms", kT0}}, DROVER_CONFLICT);
  EXPECT_NE(message.find("cycle"), std::string::npos) << message;
  bool forward = message.find("t1 -> t3 -> t2 -> t1") != std::string::npos;
  bool backward = message.find("t1 -> t2 -> t3 -> t1") != std::string::npos;
  EXPECT_TRUE(forward || backward) << "message should spell out the cycle: " << message;

  std::string self = fails(&V::add_dependency, {{"task", "t2"}, {"blocker", "t2"}, {"now_ms", kT0}}, DROVER_CONFLICT);
  EXPECT_NE(self.find("t2 -> t2"), std::string::npos) << self;

  // A sub-task depending on its own parent closes a cycle through the implicit edge.
  create_task("sub", {{"parent", "t3"}});
  std::string sub = fails(&V::add_dependency, {{"task", "t3.1"}, {"blocker", "t3"}, {"now_ms", kT0}}, DROVER_CONFLICT);
  EXPECT_NE(sub.find("t3"), std::string::npos) << sub;
  EXPECT_NE(sub.find("t3.1"), std::string::npos) << sub;

  // A new sub-task of t1 that waits for t2 (which waits for t1) would close
  // t1 -> sub-task -> t2 -> t1 through the implicit parent edge.
  std::string via_parent = fails(&V::create_task, {{"title", "loop"}, {"parent", "t1"}, {"blocked_by", {"t2"}},
                                                   {"now_ms", kT0}}, DROVER_CONFLICT);
  EXPECT_NE(via_parent.find("cycle"), std::string::npos) << via_parent;
  EXPECT_NE(via_parent.find("t2"), std::string::npos) << via_parent;
  EXPECT_EQ(create_task("fine", {{"parent", "t1"}})["id"], "t1.1") << "the refused sub-task used up no sequence";

  // Nothing was recorded by the refused calls.
  EXPECT_EQ(get_task("t1")["blocked_by"], (Json{"t1.1"}));
  EXPECT_EQ(get_task("t2")["blocked_by"], (Json{"t1"}));
  EXPECT_EQ(get_task("t3.1")["blocked_by"], Json::array());
}

TEST_P(StorageConformance, ReopeningTheStoreKeepsEverythingAndContinuesIds) {
  create_task("a");
  create_task("b", {{"blocked_by", {"t1"}}});
  ok(&V::create_epic, {{"title", "E"}, {"now_ms", kT0}});
  Json before = list_tasks();
  reopen_store();
  ASSERT_TRUE(store().is_open()) << store().open_result().error;
  EXPECT_EQ(list_tasks(), before);
  EXPECT_EQ(create_task("c")["id"], "t3");
  EXPECT_EQ(ok(&V::create_epic, {{"title", "F"}, {"now_ms", kT0}})["id"], "e2");
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageConformance, ::testing::ValuesIn(conformance_backends()),
                         backend_test_name);

}  // namespace
}  // namespace drover::storage_test
