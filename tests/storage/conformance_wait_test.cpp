// Conformance: the typed "wait" of a ready task (release_task's "wait" and
// "status_reason"), and the operations that clear it.
#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;

Json quota_release(const std::string& id, const std::string& executor, int64_t now_ms) {
  return {{"id", id},
          {"executor", executor},
          {"now_ms", now_ms},
          {"not_before_ms", now_ms + 60'000},
          {"status_reason", "paused until the limit resets"},
          {"wait", {{"kind", "quota"}, {"agent", "claude"}, {"detail", "5-hour limit"}}}};
}

TEST_P(StorageConformance, ReleaseWithWaitIsShownOnTheReadyTask) {
  create_task("t");
  ASSERT_EQ(claim("x", kT0)["id"], "t1");
  EXPECT_TRUE(get_task("t1")["wait"].is_null()) << "a running task does not wait";
  Json released = ok(&V::release_task, quota_release("t1", "x", kT0 + 1));
  Json expected = {{"kind", "quota"},
                   {"agent", "claude"},
                   {"detail", "5-hour limit"},
                   {"paths", Json::array()},
                   {"until_ms", kT0 + 1 + 60'000}};
  EXPECT_EQ(released["wait"], expected);
  Json task = get_task("t1");
  EXPECT_EQ(task["status"], "ready");
  EXPECT_EQ(task["wait"], expected);
  EXPECT_EQ(task["status_reason"], "paused until the limit resets");
  EXPECT_EQ(list_tasks()[0]["wait"], expected) << "every operation returning tasks carries the wait";

  ASSERT_EQ(claim("x", kT0 + 70'000)["id"], "t1");
  Json merge = ok(&V::release_task, {{"id", "t1"},
                                     {"executor", "x"},
                                     {"now_ms", kT0 + 70'001},
                                     {"wait", {{"kind", "merge"}, {"paths", {"README.md", "src/a.cpp"}}}}});
  EXPECT_EQ(merge["wait"]["kind"], "merge");
  EXPECT_EQ(merge["wait"]["agent"], "");
  EXPECT_EQ(merge["wait"]["paths"], Json({"README.md", "src/a.cpp"}));
  EXPECT_EQ(merge["status_reason"], "") << "a release without status_reason resets it";
}

TEST_P(StorageConformance, ClaimCompleteFailAndResetClearTheWait) {
  create_task("claimed");
  ASSERT_EQ(claim("x", kT0)["id"], "t1");
  ok(&V::release_task, quota_release("t1", "x", kT0 + 1));
  Json claimed = claim("y", kT0 + 60'001);
  ASSERT_EQ(claimed["id"], "t1");
  EXPECT_TRUE(claimed["wait"].is_null());
  ok(&V::release_task, quota_release("t1", "y", kT0 + 60'002));
  ok(&V::reset_task, {{"id", "t1"}, {"mode", "reset"}, {"now_ms", kT0 + 60'003}});
  EXPECT_TRUE(get_task("t1")["wait"].is_null()) << "reset";
  ASSERT_EQ(claim("y", kT0 + 60'004)["id"], "t1");
  Json completed = ok(&V::complete_task, {{"id", "t1"}, {"executor", "y"}, {"now_ms", kT0 + 60'005}});
  EXPECT_TRUE(completed["task"]["wait"].is_null());

  create_task("released without a wait");
  ASSERT_EQ(claim("x", kT0 + 60'006)["id"], "t2");
  Json plain = ok(&V::release_task, {{"id", "t2"}, {"executor", "x"}, {"now_ms", kT0 + 60'007}});
  EXPECT_TRUE(plain["wait"].is_null());
}

TEST_P(StorageConformance, WaitOfADependentThatLeftReadyIsGone) {
  create_task("blocker");
  create_task("dependent");
  ASSERT_EQ(claim("x", kT0)["id"], "t1");
  ok(&V::release_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 1}, {"wait", {{"kind", "interrupted"}}}});
  EXPECT_EQ(get_task("t1")["wait"]["kind"], "interrupted");
  ok(&V::add_dependency, {{"task", "t1"}, {"blocker", "t2"}, {"now_ms", kT0 + 2}});
  EXPECT_EQ(get_task("t1")["status"], "waiting");
  EXPECT_TRUE(get_task("t1")["wait"].is_null());
}

TEST_P(StorageConformance, InvalidWaitIsRefusedNamingTheField) {
  create_task("t");
  ASSERT_EQ(claim("x", kT0)["id"], "t1");
  auto release_with = [&](Json wait) {
    return fails(&V::release_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 1}, {"wait", wait}},
                 DROVER_INVALID_ARGUMENT);
  };
  std::string message = release_with({{"kind", "sleeping"}});
  EXPECT_NE(message.find("wait.kind"), std::string::npos) << message;
  EXPECT_NE(message.find("sleeping"), std::string::npos) << message;
  EXPECT_NE(release_with(Json::object()).find("wait.kind"), std::string::npos);
  EXPECT_NE(release_with("quota").find("wait"), std::string::npos);
  EXPECT_NE(release_with({{"kind", "quota"}, {"agent", 7}}).find("wait.agent"), std::string::npos);
  EXPECT_NE(release_with({{"kind", "merge"}, {"detail", {1}}}).find("wait.detail"), std::string::npos);
  EXPECT_NE(release_with({{"kind", "merge"}, {"paths", "a.txt"}}).find("wait.paths"), std::string::npos);
  EXPECT_NE(release_with({{"kind", "merge"}, {"paths", {"a.txt", 3}}}).find("wait.paths"), std::string::npos);
  message = fails(&V::release_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 1}, {"status_reason", 5}},
                  DROVER_INVALID_ARGUMENT);
  EXPECT_NE(message.find("status_reason"), std::string::npos) << message;
  EXPECT_EQ(get_task("t1")["status"], "running") << "a refused release changes nothing";
}

}  // namespace
}  // namespace drover::storage_test
