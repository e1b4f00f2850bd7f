// Conformance: durable workflows with idempotent step checkpoints, the event
// log, and summary().
#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;

TEST_P(StorageConformance, StartWorkflowIsIdempotentByIdAndAdoptsTheCaller) {
  Json input = {{"task", "t1"}, {"generation", 0}, {"nested", {1, 2.5, "x", nullptr}}};
  Json w = ok(&V::start_workflow,
              {{"id", "task-t1-g0"}, {"name", "task"}, {"input", input}, {"executor", "a"}, {"now_ms", kT0}});
  EXPECT_EQ(w["id"], "task-t1-g0");
  EXPECT_EQ(w["name"], "task");
  EXPECT_EQ(w["input"], input);
  EXPECT_EQ(w["status"], "running");
  EXPECT_TRUE(w["output"].is_null());
  EXPECT_EQ(w["executor"], "a");
  EXPECT_EQ(w["created_ms"], kT0);
  EXPECT_EQ(w["created"], true);

  Json again = ok(&V::start_workflow, {{"id", "task-t1-g0"},
                                       {"name", "other"},
                                       {"input", {{"different", true}}},
                                       {"executor", "b"},
                                       {"now_ms", kT0 + 50}});
  EXPECT_EQ(again["created"], false);
  EXPECT_EQ(again["input"], input);
  EXPECT_EQ(again["name"], "task");
  EXPECT_EQ(again["executor"], "b");
  EXPECT_EQ(again["created_ms"], kT0);
}

TEST_P(StorageConformance, RecordStepIsIdempotentAndStepsComeBackInOrder) {
  ok(&V::start_workflow, {{"id", "wf"}, {"name", "task"}, {"input", nullptr}, {"executor", "a"}, {"now_ms", kT0}});
  Json s1 = ok(&V::record_step, {{"workflow_id", "wf"},
                                 {"step", 1},
                                 {"name", "run_agent"},
                                 {"outcome", {{"session", "s"}}},
                                 {"now_ms", kT0 + 2}});
  Json s0 = ok(&V::record_step,
               {{"workflow_id", "wf"}, {"step", 0}, {"name", "prepare"}, {"outcome", "/tmp/wt"}, {"now_ms", kT0 + 1}});
  EXPECT_EQ(s0["recorded"], true);
  EXPECT_EQ(s0["workflow_id"], "wf");
  EXPECT_EQ(s0["step"], 0);
  EXPECT_EQ(s0["name"], "prepare");
  EXPECT_EQ(s0["outcome"], "/tmp/wt");
  EXPECT_TRUE(s0["error"].is_null());
  EXPECT_EQ(s0["created_ms"], kT0 + 1);

  Json replay = ok(&V::record_step, {{"workflow_id", "wf"},
                                     {"step", 1},
                                     {"name", "run_agent"},
                                     {"outcome", {{"session", "CHANGED"}}},
                                     {"now_ms", kT0 + 99}});
  EXPECT_EQ(replay["recorded"], false);
  EXPECT_EQ(replay["outcome"], s1["outcome"]);
  EXPECT_EQ(replay["created_ms"], kT0 + 2);

  Json failed = ok(&V::record_step,
                   {{"workflow_id", "wf"}, {"step", 2}, {"name", "verify"}, {"error", "exit 1"}, {"now_ms", kT0 + 3}});
  EXPECT_EQ(failed["error"], "exit 1");
  EXPECT_TRUE(failed["outcome"].is_null());

  Json wf = ok(&V::get_workflow, {{"id", "wf"}});
  ASSERT_EQ(wf["steps"].size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(wf["steps"][i]["step"], i);
  EXPECT_EQ(wf["steps"][1]["outcome"], (Json{{"session", "s"}}));
}

TEST_P(StorageConformance, FinishWorkflowRecordsStatusAndOutput) {
  ok(&V::start_workflow, {{"id", "wf"}, {"name", "n"}, {"input", 1}, {"executor", "a"}, {"now_ms", kT0}});
  Json done = ok(&V::finish_workflow,
                 {{"id", "wf"}, {"status", "succeeded"}, {"output", {{"merged", true}}}, {"now_ms", kT0 + 9}});
  EXPECT_EQ(done["status"], "succeeded");
  EXPECT_EQ(done["output"], (Json{{"merged", true}}));
  EXPECT_EQ(done["updated_ms"], kT0 + 9);
  Json got = ok(&V::get_workflow, {{"id", "wf"}});
  EXPECT_EQ(got["status"], "succeeded");
  EXPECT_EQ(got["steps"], Json::array());
  fails(&V::get_workflow, {{"id", "missing"}}, DROVER_NOT_FOUND);
}

TEST_P(StorageConformance, EventLogAppendsAndPagesInIdOrder) {
  create_task("a");
  Json e1 = ok(&V::append_event,
               {{"task_id", "t1"}, {"kind", "note"}, {"message", "first"}, {"data", {{"k", 1}}}, {"now_ms", kT0}});
  Json e2 = ok(&V::append_event, {{"kind", "note"}, {"message", "global"}, {"now_ms", kT0 + 1}});
  Json e3 = ok(&V::append_event, {{"task_id", "t1"}, {"kind", "note"}, {"message", "third"}, {"now_ms", kT0 + 2}});
  EXPECT_EQ(e1["task_id"], "t1");
  EXPECT_EQ(e1["kind"], "note");
  EXPECT_EQ(e1["data"], (Json{{"k", 1}}));
  EXPECT_EQ(e1["created_ms"], kT0);
  EXPECT_TRUE(e2["task_id"].is_null());
  EXPECT_LT(e1["id"].get<int64_t>(), e2["id"].get<int64_t>());
  EXPECT_LT(e2["id"].get<int64_t>(), e3["id"].get<int64_t>());

  auto notes = [](const Json& events) {
    std::vector<std::string> messages;
    for (const Json& e : events) {
      if (e["kind"] == "note") messages.push_back(e["message"]);
    }
    return messages;
  };
  EXPECT_EQ(notes(ok(&V::list_events, Json::object())), (std::vector<std::string>{"first", "global", "third"}));
  EXPECT_EQ(notes(ok(&V::list_events, {{"task_id", "t1"}})), (std::vector<std::string>{"first", "third"}));
  EXPECT_EQ(notes(ok(&V::list_events, {{"after_id", e1["id"]}})), (std::vector<std::string>{"global", "third"}));
  Json page = ok(&V::list_events, {{"after_id", e1["id"]}, {"limit", 1}});
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0]["id"], e2["id"]);
  Json all = ok(&V::list_events, Json::object());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1]["id"].get<int64_t>(), all[i]["id"].get<int64_t>());
}

TEST_P(StorageConformance, SummaryCountsStatusesAndAddsUpCosts) {
  ok(&V::create_epic, {{"title", "E"}, {"now_ms", kT0}});
  create_task("a", {{"epic", "e1"}});
  create_task("b", {{"epic", "e1"}, {"blocked_by", {"t1"}}});
  create_task("c");
  ok(&V::update_task, {{"id", "t1"}, {"now_ms", kT0}, {"fields", {{"tokens_in", 10}, {"tokens_out", 5}, {"cost_usd", 0.5}}}});
  ok(&V::update_task, {{"id", "t3"}, {"now_ms", kT0}, {"fields", {{"tokens_in", 1}, {"tokens_out", 2}, {"cost_usd", 0.25}}}});
  claim("x", kT0);
  Json all = ok(&V::summary, Json::object());
  EXPECT_EQ(all["total"], 3);
  EXPECT_EQ(all["counts"].value("running", 0), 1);
  EXPECT_EQ(all["counts"].value("waiting", 0), 1);
  EXPECT_EQ(all["counts"].value("ready", 0), 1);
  EXPECT_EQ(all["tokens_in"], 11);
  EXPECT_EQ(all["tokens_out"], 7);
  EXPECT_DOUBLE_EQ(all["cost_usd"].get<double>(), 0.75) << "t2 reported no cost (null): it adds nothing";
  EXPECT_TRUE(ok(&V::get_task, {{"id", "t2"}})["cost_usd"].is_null());
  EXPECT_DOUBLE_EQ(ok(&V::get_task, {{"id", "t1"}})["cost_usd"].get<double>(), 0.5);
  Json epic = ok(&V::summary, {{"epic", "e1"}});
  EXPECT_EQ(epic["total"], 2);
  EXPECT_EQ(epic["tokens_in"], 10);
  EXPECT_DOUBLE_EQ(epic["cost_usd"].get<double>(), 0.5);
}

}  // namespace
}  // namespace drover::storage_test
