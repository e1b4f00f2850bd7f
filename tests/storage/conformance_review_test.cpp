// Conformance (storage ABI 1.3): review before landing. A task released with
// wait kind "review" waits for a person's decision; review_task records it
// (an "approved"/"rejected" event with the decision) and makes the task
// claimable at once; the task field "review" asks for a review per task.
#include <algorithm>

#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;

class ReviewStorageConformance : public StorageConformance {
 protected:
  void SetUp() override {
    StorageConformance::SetUp();
    if (IsSkipped()) return;  // the backend is not available: no plugin to ask
    if (vtable().struct_size < sizeof(drover_storage_vtable_v1))
      GTEST_SKIP() << "the plugin was built for an ABI older than 1.3";
  }
  // Claims t1 and gives it back to wait for review, as the engine does.
  void park_for_review(const std::string& id) {
    claim("x", kT0);
    ok(&V::release_task, {{"id", id},
                          {"executor", "x"},
                          {"now_ms", kT0 + 1},
                          {"not_before_ms", INT64_MAX},
                          {"status_reason", "awaiting review: 1 file changed, +1 -0"},
                          {"wait", {{"kind", "review"}, {"detail", "1 file changed, +1 -0"}}}});
  }
  Json review(const std::string& id, const std::string& decision, const std::string& message = "") {
    return ok(&V::review_task, {{"id", id}, {"decision", decision}, {"message", message}, {"now_ms", kT0 + 5}});
  }
};

TEST_P(ReviewStorageConformance, TheReviewFlagIsSetAtCreationAndByEdit) {
  EXPECT_EQ(create_task("plain")["review"], false);
  EXPECT_EQ(create_task("checked", {{"review", true}})["review"], true);
  Json e = ok(&V::edit_task, {{"id", "t1"}, {"now_ms", kT0 + 1}, {"fields", {{"review", true}}}});
  EXPECT_EQ(e["review"], true);
  std::string m = fails(&V::edit_task, {{"id", "t1"}, {"fields", {{"review", "yes"}}}}, DROVER_INVALID_ARGUMENT);
  EXPECT_NE(m.find("review"), std::string::npos) << m;
}

TEST_P(ReviewStorageConformance, ATaskAwaitingReviewIsNotClaimedUntilADecision) {
  create_task("a");
  park_for_review("t1");
  Json w = get_task("t1");
  EXPECT_EQ(w["status"], "ready");
  EXPECT_EQ(w["wait"]["kind"], "review");
  EXPECT_EQ(w["wait"]["detail"], "1 file changed, +1 -0");
  EXPECT_TRUE(claim("y", kT0 + 1000LL * 3600 * 24 * 365).is_null()) << "no clock reaches it";

  Json r = review("t1", "approve");
  EXPECT_TRUE(r["wait"].is_null());
  EXPECT_EQ(r["not_before_ms"], 0);
  EXPECT_EQ(claim("y", kT0 + 6)["id"], "t1");
  Json events = ok(&V::list_events, {{"task_id", "t1"}});
  auto approved = std::find_if(events.begin(), events.end(), [](const Json& e) { return e["kind"] == "approved"; });
  ASSERT_NE(approved, events.end()) << events.dump();
  EXPECT_EQ((*approved)["data"]["decision"], "approve");
  EXPECT_EQ((*approved)["data"]["generation"], 0);
}

TEST_P(ReviewStorageConformance, ARejectionKeepsItsMessageInTheEvent) {
  create_task("a");
  park_for_review("t1");
  review("t1", "reject", "use snake_case");
  Json events = ok(&V::list_events, {{"task_id", "t1"}});
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["kind"], "rejected");
  EXPECT_EQ(events.back()["data"]["message"], "use snake_case");
}

TEST_P(ReviewStorageConformance, OnlyATaskAwaitingReviewCanBeDecidedOn) {
  create_task("a");
  std::string m = fails(&V::review_task, {{"id", "t1"}, {"decision", "approve"}, {"now_ms", kT0}}, DROVER_CONFLICT);
  EXPECT_NE(m.find("not awaiting review"), std::string::npos) << m;
  park_for_review("t1");
  fails(&V::review_task, {{"id", "t1"}, {"decision", "maybe"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  fails(&V::review_task, {{"id", "t9"}, {"decision", "approve"}, {"now_ms", kT0}}, DROVER_NOT_FOUND);
  review("t1", "approve");
  fails(&V::review_task, {{"id", "t1"}, {"decision", "reject"}, {"now_ms", kT0}}, DROVER_CONFLICT);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReviewStorageConformance, ::testing::ValuesIn(conformance_backends()), backend_test_name);

}  // namespace
}  // namespace drover::storage_test
