// Conformance, ABI 1.6: apply_writes — several writes in one transaction,
// each answered as its own call would be, all of them or none — and the
// quiet answers of update_task and complete_task.
#include <cstddef>

#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;

bool has_apply_writes(const drover_storage_vtable_v1& v) { return v.struct_size > offsetof(V, apply_writes); }

Json step_write(int64_t step, const std::string& name, const Json& outcome, int64_t now) {
  return {{"op", "record_step"},
          {"request", {{"workflow_id", "wf"}, {"step", step}, {"name", name}, {"outcome", outcome}, {"now_ms", now}}}};
}

Json event_write(const std::string& task, const std::string& message, int64_t now) {
  return {{"op", "append_event"},
          {"request", {{"task_id", task}, {"kind", "note"}, {"message", message}, {"now_ms", now}}}};
}

Json update_write(const std::string& task, const Json& fields, int64_t now) {
  return {{"op", "update_task"}, {"request", {{"id", task}, {"now_ms", now}, {"fields", fields}}}};
}

std::vector<std::string> notes(const Json& events) {
  std::vector<std::string> messages;
  for (const Json& e : events)
    if (e["kind"] == "note") messages.push_back(e["message"]);
  return messages;
}

TEST_P(StorageConformance, ApplyWritesAnswersEachWriteAsItsOwnCallWould) {
  if (!has_apply_writes(vtable())) GTEST_SKIP() << "the plugin was built for an ABI older than 1.6";
  create_task("a");
  ok(&V::start_workflow, {{"id", "wf"}, {"name", "task"}, {"input", nullptr}, {"executor", "x"}, {"now_ms", kT0}});
  Json answer = ok(&V::apply_writes,
                   {{"writes",
                     {step_write(0, "agent#1", {{"exit", 0}}, kT0 + 1),
                      update_write("t1", {{"tokens_in", 12}, {"status_reason", "ran"}}, kT0 + 1),
                      event_write("t1", "finished", kT0 + 1),
                      {{"op", "finish_workflow"},
                       {"request", {{"id", "wf"}, {"status", "succeeded"}, {"output", 7}, {"now_ms", kT0 + 2}}}}}}});
  const Json& results = answer["results"];
  ASSERT_EQ(results.size(), 4u) << answer;
  EXPECT_EQ(results[0]["recorded"], true);
  EXPECT_EQ(results[0]["name"], "agent#1");
  EXPECT_EQ(results[1]["id"], "t1");
  EXPECT_EQ(results[1]["tokens_in"], 12);
  EXPECT_EQ(results[1]["status_reason"], "ran");
  EXPECT_EQ(results[2]["message"], "finished");
  EXPECT_EQ(results[3]["status"], "succeeded");

  Json wf = ok(&V::get_workflow, {{"id", "wf"}});
  EXPECT_EQ(wf["status"], "succeeded");
  ASSERT_EQ(wf["steps"].size(), 1u);
  EXPECT_EQ(wf["steps"][0]["outcome"], (Json{{"exit", 0}}));
  EXPECT_EQ(get_task("t1")["tokens_in"], 12);
  EXPECT_EQ(notes(ok(&V::list_events, {{"task_id", "t1"}})), (std::vector<std::string>{"finished"}));

  // A step recorded before keeps its outcome, as record_step alone answers.
  Json again = ok(&V::apply_writes, {{"writes", {step_write(0, "agent#1", "other", kT0 + 5), event_write("t1", "2nd", kT0 + 5)}}});
  EXPECT_EQ(again["results"][0]["recorded"], false);
  EXPECT_EQ(again["results"][0]["outcome"], (Json{{"exit", 0}}));
}

TEST_P(StorageConformance, ApplyWritesIsAllOrNothing) {
  if (!has_apply_writes(vtable())) GTEST_SKIP() << "the plugin was built for an ABI older than 1.6";
  create_task("a");
  ok(&V::start_workflow, {{"id", "wf"}, {"name", "task"}, {"input", nullptr}, {"executor", "x"}, {"now_ms", kT0}});
  // The third write names a task that does not exist: the first two are undone.
  std::string why = fails(&V::apply_writes,
                          {{"writes",
                            {step_write(0, "agent#1", 1, kT0 + 1), update_write("t1", {{"tokens_in", 5}}, kT0 + 1),
                             event_write("t9", "nobody", kT0 + 1)}}},
                          DROVER_NOT_FOUND);
  EXPECT_NE(why.find("apply_writes: writes[2] (append_event): "), std::string::npos) << why;
  EXPECT_NE(why.find("t9"), std::string::npos) << why;
  EXPECT_EQ(ok(&V::get_workflow, {{"id", "wf"}})["steps"], Json::array()) << "the step was undone";
  EXPECT_EQ(get_task("t1")["tokens_in"], 0) << "the update was undone";

  // A write that fails its own request checks is refused in its own code, with nothing written.
  why = fails(&V::apply_writes,
              {{"writes", {event_write("t1", "kept?", kT0 + 2), update_write("t1", {{"tokens_in", "many"}}, kT0 + 2)}}},
              DROVER_INVALID_ARGUMENT);
  EXPECT_NE(why.find("writes[1] (update_task)"), std::string::npos) << why;
  EXPECT_TRUE(notes(ok(&V::list_events, {{"task_id", "t1"}})).empty());

  // The store works on afterwards, transaction closed.
  ok(&V::apply_writes, {{"writes", {step_write(0, "agent#1", 1, kT0 + 3), event_write("t1", "now", kT0 + 3)}}});
  EXPECT_EQ(ok(&V::get_workflow, {{"id", "wf"}})["steps"].size(), 1u);
  EXPECT_EQ(notes(ok(&V::list_events, {{"task_id", "t1"}})), (std::vector<std::string>{"now"}));
}

TEST_P(StorageConformance, ApplyWritesRefusesWhatItDoesNotTake) {
  if (!has_apply_writes(vtable())) GTEST_SKIP() << "the plugin was built for an ABI older than 1.6";
  create_task("a");
  fails(&V::apply_writes, Json::object(), DROVER_INVALID_ARGUMENT);
  fails(&V::apply_writes, {{"writes", Json::array()}}, DROVER_INVALID_ARGUMENT);
  fails(&V::apply_writes, {{"writes", {{{"op", "record_step"}}}}}, DROVER_INVALID_ARGUMENT);
  std::string why = fails(&V::apply_writes,
                          {{"writes", {{{"op", "complete_task"}, {"request", {{"id", "t1"}, {"executor", "x"}}}}}}},
                          DROVER_INVALID_ARGUMENT);
  EXPECT_NE(why.find("complete_task"), std::string::npos) << why;
  Json many = Json::array();
  for (int i = 0; i < 65; ++i) many.push_back(event_write("t1", "n" + std::to_string(i), kT0));
  fails(&V::apply_writes, {{"writes", many}}, DROVER_INVALID_ARGUMENT);
  EXPECT_TRUE(notes(ok(&V::list_events, {{"task_id", "t1"}})).empty());
}

TEST_P(StorageConformance, AQuietStepRecordAnswersInFullOnlyWhenItWasRecordedBefore) {
  if (!has_apply_writes(vtable())) GTEST_SKIP() << "the plugin was built for an ABI older than 1.6";
  ok(&V::start_workflow, {{"id", "wf"}, {"name", "task"}, {"input", nullptr}, {"executor", "x"}, {"now_ms", kT0}});
  Json request = {{"workflow_id", "wf"}, {"step", 0}, {"name", "agent#1"}, {"outcome", {{"exit", 0}}},
                  {"now_ms", kT0 + 1}, {"quiet", true}};
  EXPECT_EQ(ok(&V::record_step, request), (Json{{"recorded", true}}));
  request["outcome"] = "other";
  Json before = ok(&V::record_step, request);
  EXPECT_EQ(before["recorded"], false);
  EXPECT_EQ(before["outcome"], (Json{{"exit", 0}})) << "the outcome recorded first, in full";
  EXPECT_EQ(ok(&V::get_workflow, {{"id", "wf"}})["steps"][0]["outcome"], (Json{{"exit", 0}}));
  fails(&V::record_step, {{"workflow_id", "none"}, {"step", 0}, {"name", "x"}, {"now_ms", kT0}, {"quiet", true}},
        DROVER_NOT_FOUND);
}

TEST_P(StorageConformance, QuietUpdatesAndCompletionsLeaveTheTaskOut) {
  if (!has_apply_writes(vtable())) GTEST_SKIP() << "the plugin was built for an ABI older than 1.6";
  create_task("a");
  create_task("b", {{"blocked_by", {"t1"}}});
  Json updated = ok(&V::update_task, {{"id", "t1"}, {"now_ms", kT0}, {"fields", {{"tokens_in", 3}}}, {"quiet", true}});
  EXPECT_EQ(updated, (Json{{"id", "t1"}}));
  EXPECT_EQ(get_task("t1")["tokens_in"], 3) << "written all the same";
  Json in_batch = ok(&V::apply_writes, {{"writes", {{{"op", "update_task"},
                                                      {"request", {{"id", "t1"},
                                                                   {"now_ms", kT0},
                                                                   {"fields", {{"tokens_out", 4}}},
                                                                   {"quiet", true}}}}}}});
  EXPECT_EQ(in_batch["results"][0], (Json{{"id", "t1"}}));
  EXPECT_EQ(get_task("t1")["tokens_out"], 4);
  fails(&V::update_task, {{"id", "t9"}, {"now_ms", kT0}, {"fields", {{"tokens_in", 1}}}, {"quiet", true}},
        DROVER_NOT_FOUND);

  claim("x", kT0);
  Json done = ok(&V::complete_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 1}, {"quiet", true}});
  EXPECT_FALSE(done.contains("task")) << done;
  EXPECT_EQ(done["unblocked"], (Json{"t2"}));
  EXPECT_EQ(get_task("t1")["status"], "completed");
  Json again = ok(&V::complete_task, {{"id", "t1"}, {"executor", "x"}, {"now_ms", kT0 + 2}, {"quiet", true}});
  EXPECT_EQ(again, (Json{{"unblocked", Json::array()}})) << "a no-op, quietly";
}

}  // namespace
}  // namespace drover::storage_test
