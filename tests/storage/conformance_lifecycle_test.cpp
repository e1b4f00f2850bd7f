// Conformance: claiming (priority, epic, exclude_agents, not_before), leases
// (expiry, reclaim, renewal, release), complete/fail propagation and
// reset/retry/cancel.
#include <cstddef>
#include <set>

#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;
using Ids = std::vector<std::string>;

TEST_P(StorageConformance, ClaimTakesHighestPriorityThenOldestAndSetsTheLease) {
  create_task("low", {{"priority", 1}});
  create_task("high", {{"priority", 7}, {"now_ms", kT0 + 5}});
  create_task("high older", {{"priority", 7}, {"now_ms", kT0 + 1}});
  Json c = claim("exec-a", kT0 + 100);
  ASSERT_TRUE(c.is_object());
  EXPECT_EQ(c["id"], "t3");
  EXPECT_EQ(c["status"], "running");
  EXPECT_EQ(c["lease_owner"], "exec-a");
  EXPECT_EQ(c["lease_expires_ms"], kT0 + 100 + kLeaseMs);
  EXPECT_NE(c.value("reclaimed", false), true);
  EXPECT_EQ(claim("exec-a", kT0 + 101)["id"], "t2");
  EXPECT_EQ(claim("exec-a", kT0 + 102)["id"], "t1");
  EXPECT_TRUE(claim("exec-a", kT0 + 103).is_null());
  EXPECT_EQ(get_task("t3")["status"], "running");
}

// ABI 1.5: up to limit claims in one transaction, in claim_task's order,
// with the same filters; an expired lease among them is reclaimed.
TEST_P(StorageConformance, ClaimTasksTakesSeveralInClaimOrder) {
  if (vtable().struct_size <= offsetof(V, claim_tasks)) GTEST_SKIP() << "the plugin was built for an ABI older than 1.5";
  create_task("low", {{"priority", 1}});
  create_task("high", {{"priority", 7}, {"now_ms", kT0 + 5}});
  create_task("high older", {{"priority", 7}, {"now_ms", kT0 + 1}});
  create_task("codex", {{"priority", 9}, {"agent", "codex"}});
  create_task("excluded", {{"priority", 8}});
  create_task("long");
  Json dead = claim("dead", kT0, {{"lease_ms", 1000}, {"exclude_ids", {"t1", "t2", "t3", "t4", "t5"}}});
  ASSERT_EQ(dead["id"], "t6");
  auto claim_tasks = [&](int64_t now, int limit) {
    return ok(&V::claim_tasks, {{"executor", "x"},
                                {"lease_ms", kLeaseMs},
                                {"now_ms", now},
                                {"default_agent", "claude"},
                                {"exclude_agents", {"codex"}},
                                {"exclude_ids", {"t5"}},
                                {"limit", limit}});
  };
  Json two = claim_tasks(kT0 + 100, 2);
  ASSERT_TRUE(two.is_array());
  EXPECT_EQ(ids_of(two), (Ids{"t3", "t2"}));
  for (const Json& t : two) {
    EXPECT_EQ(t["status"], "running");
    EXPECT_EQ(t["lease_owner"], "x");
    EXPECT_EQ(t["lease_expires_ms"], kT0 + 100 + kLeaseMs);
    EXPECT_EQ(t["reclaimed"], false);
  }
  Json rest = claim_tasks(kT0 + 2000, 10);
  ASSERT_EQ(ids_of(rest), (Ids{"t1", "t6"})) << "t4 runs codex and t5 is excluded";
  EXPECT_EQ(rest[1]["reclaimed"], true) << "dead's lease expired";
  EXPECT_EQ(claim_tasks(kT0 + 2001, 10), Json::array());
  EXPECT_EQ(get_task("t6")["lease_owner"], "x");
  fails(&V::claim_tasks, {{"executor", "x"}, {"lease_ms", kLeaseMs}, {"now_ms", kT0}, {"limit", 0}},
        DROVER_INVALID_ARGUMENT);
}

TEST_P(StorageConformance, ClaimHonoursEpicFilterAndExcludedAgents) {
  ok(&V::create_epic, {{"title", "A"}, {"now_ms", kT0}});
  ok(&V::create_epic, {{"title", "B"}, {"now_ms", kT0}});
  create_task("a1", {{"epic", "e1"}, {"agent", "codex"}});
  create_task("a2", {{"epic", "e1"}});  // default agent
  create_task("b1", {{"epic", "e2"}, {"agent", "amp"}, {"priority", 10}});

  EXPECT_TRUE(claim("x", kT0, {{"epic", "e1"}, {"exclude_agents", {"codex", "claude"}}}).is_null())
      << "t1 runs codex, t2 the default agent claude: both excluded";
  Json c = claim("x", kT0, {{"epic", "e1"}, {"exclude_agents", {"claude"}}});
  EXPECT_EQ(c["id"], "t1");
  c = claim("x", kT0, {{"exclude_agents", {"amp"}}});
  EXPECT_EQ(c["id"], "t2") << "t3 (amp) has the higher priority but is excluded";
  EXPECT_EQ(claim("x", kT0, {{"default_agent", "amp"}})["id"], "t3");
}

TEST_P(StorageConformance, ReleaseGivesTaskBackAndRespectsNotBefore) {
  create_task("quota");
  Json c = claim("x", kT0);
  fails(&V::release_task, {{"id", "t1"}, {"executor", "y"}, {"now_ms", kT0}}, DROVER_CONFLICT);
  Json r = ok(&V::release_task, {{"id", "t1"},
                                 {"executor", "x"},
                                 {"now_ms", kT0 + 1},
                                 {"not_before_ms", kT0 + 5000},
                                 {"last_error", "rate limited"},
                                 {"count_attempt", true}});
  EXPECT_EQ(r["status"], "ready");
  EXPECT_TRUE(r["lease_owner"].is_null());
  EXPECT_EQ(r["attempts"], 1);
  EXPECT_EQ(r["last_error"], "rate limited");
  EXPECT_EQ(r["not_before_ms"], kT0 + 5000);
  EXPECT_TRUE(claim("x", kT0 + 4999).is_null());
  EXPECT_EQ(claim("y", kT0 + 5000)["id"], "t1");
  Json again = ok(&V::release_task, {{"id", "t1"}, {"executor", "y"}, {"now_ms", kT0 + 5001}});
  EXPECT_EQ(again["attempts"], 1) << "count_attempt defaults to false";
  fails(&V::release_task, {{"id", "t1"}, {"executor", "y"}, {"now_ms", kT0 + 5002}}, DROVER_CONFLICT);
}

TEST_P(StorageConformance, ExpiredLeaseIsReclaimedByAnotherExecutor) {
  create_task("long");
  Json c = claim("dead", kT0, {{"lease_ms", 1000}});
  ASSERT_EQ(c["id"], "t1");
  EXPECT_TRUE(claim("alive", kT0 + 1000).is_null()) << "a lease is held until it is past expiry";
  Json r = claim("alive", kT0 + 1001, {{"lease_ms", 1000}});
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["id"], "t1");
  EXPECT_EQ(r["reclaimed"], true);
  EXPECT_EQ(r["lease_owner"], "alive");
  EXPECT_EQ(r["lease_expires_ms"], kT0 + 2001);
  EXPECT_TRUE(claim("third", kT0 + 1002).is_null());
  fails(&V::complete_task, {{"id", "t1"}, {"executor", "dead"}, {"now_ms", kT0 + 1003}}, DROVER_CONFLICT);
  fails(&V::fail_task, {{"id", "t1"}, {"executor", "dead"}, {"now_ms", kT0 + 1003}, {"error", "x"}}, DROVER_CONFLICT);
  EXPECT_EQ(complete("t1", "alive", kT0 + 1004)["task"]["status"], "completed");
}

TEST_P(StorageConformance, RenewLeasesExtendsEveryLeaseOfTheExecutor) {
  for (int i = 0; i < 3; ++i) create_task("t");
  claim("a", kT0, {{"lease_ms", 1000}});
  claim("a", kT0, {{"lease_ms", 1000}});
  claim("b", kT0, {{"lease_ms", 1000}});
  Json r = ok(&V::renew_leases, {{"executor", "a"}, {"lease_ms", 5000}, {"now_ms", kT0 + 900}});
  EXPECT_EQ(r["renewed"], 2);
  EXPECT_EQ(get_task("t1")["lease_expires_ms"], kT0 + 5900);
  EXPECT_EQ(get_task("t3")["lease_expires_ms"], kT0 + 1000);
  Json reclaimed = claim("c", kT0 + 2000);
  EXPECT_EQ(reclaimed["id"], "t3") << "only b's lease expired";
  EXPECT_TRUE(claim("c", kT0 + 2001).is_null());
  EXPECT_EQ(ok(&V::renew_leases, {{"executor", "nobody"}, {"lease_ms", 10}, {"now_ms", kT0}})["renewed"], 0);
}

TEST_P(StorageConformance, CompleteIsIdempotentAndAppendsAnEvent) {
  create_task("a");
  create_task("b", {{"blocked_by", {"t1"}}});
  claim("x", kT0);
  fails(&V::complete_task, {{"id", "t1"}, {"executor", "other"}, {"now_ms", kT0}}, DROVER_CONFLICT);
  Json done = ok(&V::complete_task, {{"id", "t1"},
                                     {"executor", "x"},
                                     {"now_ms", kT0 + 7},
                                     {"result_summary", "did it"},
                                     {"merge_commit", "abc123"}});
  EXPECT_EQ(done["unblocked"], (Json{"t2"}));
  EXPECT_EQ(done["task"]["status"], "completed");
  EXPECT_EQ(done["task"]["result_summary"], "did it");
  EXPECT_EQ(done["task"]["merge_commit"], "abc123");
  EXPECT_EQ(done["task"]["completed_ms"], kT0 + 7);
  EXPECT_TRUE(done["task"]["lease_owner"].is_null());
  Json again = complete("t1", "x", kT0 + 8);
  EXPECT_EQ(again["unblocked"], Json::array());
  EXPECT_EQ(again["task"]["status"], "completed");

  Json events = ok(&V::list_events, {{"task_id", "t1"}});
  int completed_events = 0;
  for (const Json& e : events) completed_events += e["kind"] == "completed";
  EXPECT_EQ(completed_events, 1);
}

TEST_P(StorageConformance, FailBlocksEveryTransitiveDependentAndRetryUnblocksThem) {
  create_task("root");
  create_task("child", {{"blocked_by", {"t1"}}});
  create_task("grandchild", {{"blocked_by", {"t2"}}});
  create_task("unrelated");
  claim("x", kT0);
  Json f = ok(&V::fail_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 1}, {"error", "tests failed"}});
  EXPECT_EQ(f["task"]["status"], "failed");
  EXPECT_EQ(f["task"]["last_error"], "tests failed");
  Json blocked = f["blocked"];
  std::sort(blocked.begin(), blocked.end());
  EXPECT_EQ(blocked, (Json{"t2", "t3"}));
  for (const char* id : {"t2", "t3"}) {
    Json t = get_task(id);
    EXPECT_EQ(t["status"], "blocked") << id;
    EXPECT_EQ(t["status_reason"], "blocked by failed task t1") << id;
  }
  EXPECT_EQ(get_task("t4")["status"], "ready");
  bool failed_event = false;
  for (const Json& e : ok(&V::list_events, {{"task_id", "t1"}})) failed_event |= e["kind"] == "failed";
  EXPECT_TRUE(failed_event);

  Json r = ok(&V::reset_task, {{"id", "t1"}, {"mode", "retry"}, {"now_ms", kT0 + 2}});
  EXPECT_EQ(r["task"]["status"], "ready");
  EXPECT_EQ(r["task"]["attempts"], 0);
  EXPECT_EQ(r["task"]["generation"], 1);
  std::set<std::string> changed = r["changed"].get<std::set<std::string>>();
  EXPECT_EQ(changed, (std::set<std::string>{"t1", "t2", "t3"}));
  EXPECT_EQ(get_task("t2")["status"], "waiting");
  EXPECT_EQ(get_task("t3")["status"], "waiting");
  fails(&V::reset_task, {{"id", "t4"}, {"mode", "retry"}, {"now_ms", kT0}}, DROVER_CONFLICT);
}

TEST_P(StorageConformance, ResetReopensAnyNonRunningTaskIncludingCompleted) {
  create_task("a");
  create_task("b", {{"blocked_by", {"t1"}}});
  claim("x", kT0);
  fails(&V::reset_task, {{"id", "t1"}, {"mode", "reset"}, {"now_ms", kT0}}, DROVER_CONFLICT);
  complete("t1", "x", kT0 + 1);
  ASSERT_EQ(get_task("t2")["status"], "ready");
  Json r = ok(&V::reset_task, {{"id", "t1"}, {"mode", "reset"}, {"now_ms", kT0 + 2}});
  EXPECT_EQ(r["task"]["status"], "ready");
  EXPECT_EQ(r["task"]["generation"], 1);
  EXPECT_EQ(get_task("t2")["status"], "waiting") << "its blocker is incomplete again";
  fails(&V::reset_task, {{"id", "t1"}, {"mode", "sideways"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
}

TEST_P(StorageConformance, CancelBlocksDependentsAndKeepsARunningLease) {
  create_task("a");
  create_task("b", {{"blocked_by", {"t1"}}});
  create_task("c");
  claim("x", kT0);  // t1
  Json r = ok(&V::reset_task, {{"id", "t1"}, {"mode", "cancel"}, {"now_ms", kT0 + 1}});
  EXPECT_EQ(r["task"]["status"], "cancelled");
  EXPECT_EQ(r["task"]["lease_owner"], "x") << "the executor lets go itself";
  EXPECT_EQ(get_task("t2")["status"], "blocked");
  Json c = claim("y", kT0 + kLeaseMs * 2);
  EXPECT_EQ(c["id"], "t3") << "a cancelled task is never claimed, even with an expired lease";

  ok(&V::reset_task, {{"id", "t1"}, {"mode", "retry"}, {"now_ms", kT0 + 3}});
  EXPECT_EQ(get_task("t1")["status"], "ready");
  EXPECT_EQ(get_task("t2")["status"], "waiting");
}

TEST_P(StorageConformance, UpdateTaskSetsOnlyTheDocumentedFields) {
  create_task("a");
  Json t = ok(&V::update_task, {{"id", "t1"},
                                {"now_ms", kT0 + 5},
                                {"fields",
                                 {{"attempts", 2},
                                  {"last_error", "boom"},
                                  {"result_summary", "half"},
                                  {"session_id", "sess-1"},
                                  {"tokens_in", 1200},
                                  {"tokens_out", 340},
                                  {"cost_usd", 0.25},
                                  {"merge_commit", "deadbeef"},
                                  {"status_reason", "thinking"}}}});
  EXPECT_EQ(t["attempts"], 2);
  EXPECT_EQ(t["last_error"], "boom");
  EXPECT_EQ(t["result_summary"], "half");
  EXPECT_EQ(t["session_id"], "sess-1");
  EXPECT_EQ(t["tokens_in"], 1200);
  EXPECT_EQ(t["tokens_out"], 340);
  EXPECT_DOUBLE_EQ(t["cost_usd"].get<double>(), 0.25);
  EXPECT_EQ(t["merge_commit"], "deadbeef");
  EXPECT_EQ(t["status_reason"], "thinking");
  EXPECT_EQ(t["status"], "ready");
  EXPECT_EQ(get_task("t1"), t);
  fails(&V::update_task, {{"id", "t1"}, {"now_ms", kT0}, {"fields", {{"status", "completed"}}}},
        DROVER_INVALID_ARGUMENT);
  fails(&V::update_task, {{"id", "t1"}, {"now_ms", kT0}, {"fields", {{"priority", 3}}}}, DROVER_INVALID_ARGUMENT);
  EXPECT_EQ(get_task("t1")["status"], "ready");
}

}  // namespace
}  // namespace drover::storage_test
