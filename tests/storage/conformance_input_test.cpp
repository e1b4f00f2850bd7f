// Conformance: hostile and malformed input (unknown ids, missing blockers,
// oversized and non-UTF-8 text, SQL metacharacters), configuration checks,
// refusing a store written by a newer schema, and one handle shared by threads.
#include <set>
#include <thread>

#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;

// Text that breaks naive SQL building, in every flavour we can think of.
const std::string kNasty = "Robert'); DROP TABLE tasks; -- \"quoted\" `tick` \\ back\\slash %_ * ? $1 :name @p \u00e9\u6f22\U0001F600";

TEST_P(StorageConformance, UnknownIdsAreNotFound) {
  create_task("a");
  fails(&V::get_task, {{"id", "t404"}}, DROVER_NOT_FOUND);
  fails(&V::get_task, {{"id", "t1.9"}}, DROVER_NOT_FOUND);
  fails(&V::add_dependency, {{"task", "t404"}, {"blocker", "t1"}, {"now_ms", kT0}}, DROVER_NOT_FOUND);
  fails(&V::add_dependency, {{"task", "t1"}, {"blocker", "t404"}, {"now_ms", kT0}}, DROVER_NOT_FOUND);
  fails(&V::update_task, {{"id", "t404"}, {"now_ms", kT0}, {"fields", {{"attempts", 1}}}}, DROVER_NOT_FOUND);
  fails(&V::release_task, {{"id", "t404"}, {"executor", "x"}, {"now_ms", kT0}}, DROVER_NOT_FOUND);
  fails(&V::complete_task, {{"id", "t404"}, {"executor", "x"}, {"now_ms", kT0}}, DROVER_NOT_FOUND);
  fails(&V::fail_task, {{"id", "t404"}, {"executor", "x"}, {"now_ms", kT0}, {"error", "e"}}, DROVER_NOT_FOUND);
  fails(&V::reset_task, {{"id", "t404"}, {"mode", "retry"}, {"now_ms", kT0}}, DROVER_NOT_FOUND);
  fails(&V::create_task, {{"title", "x"}, {"epic", "e404"}, {"now_ms", kT0}}, DROVER_NOT_FOUND);
  fails(&V::get_workflow, {{"id", "nope"}}, DROVER_NOT_FOUND);
  EXPECT_FALSE(store().call(&V::record_step, {{"workflow_id", "nope"}, {"step", 0}, {"name", "s"}, {"now_ms", kT0}}).ok())
      << "a step of a workflow that was never started";
}

TEST_P(StorageConformance, DependencyOnAMissingTaskCreatesNothing) {
  create_task("a");
  std::string message =
      fails(&V::create_task, {{"title", "b"}, {"blocked_by", {"t1", "t77"}}, {"now_ms", kT0}}, DROVER_NOT_FOUND);
  EXPECT_NE(message.find("t77"), std::string::npos) << message;
  EXPECT_EQ(ids_of(list_tasks()), (std::vector<std::string>{"t1"}));
  EXPECT_EQ(get_task("t1")["blocks"], Json::array());
  EXPECT_EQ(create_task("c")["id"], "t2") << "a refused create must not use up an id";
}

TEST_P(StorageConformance, MalformedRequestsAreInvalidArguments) {
  fails_text(&V::create_task, "{not json", DROVER_INVALID_ARGUMENT);
  fails_text(&V::create_task, "[1,2]", DROVER_INVALID_ARGUMENT);
  fails(&V::create_task, {{"description", "no title"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  fails(&V::create_task, {{"title", 42}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  fails(&V::create_task, {{"title", "x"}, {"priority", "high"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  fails(&V::create_task, {{"title", "x"}, {"blocked_by", "t1"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  EXPECT_EQ(ids_of(list_tasks()), std::vector<std::string>{});
}

TEST_P(StorageConformance, TextSizeLimitsAreEnforcedExactly) {
  std::string title_max(1000, 'x');
  std::string description_max(1024 * 1024, 'd');
  Json t = create_task(title_max, {{"description", description_max}});
  EXPECT_EQ(t["title"].get<std::string>().size(), 1000u);
  EXPECT_EQ(get_task(t["id"])["description"].get<std::string>().size(), 1024u * 1024u);
  std::string m1 = fails(&V::create_task, {{"title", title_max + "x"}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
  EXPECT_NE(m1.find("title"), std::string::npos) << m1;
  std::string m2 = fails(&V::create_task, {{"title", "ok"}, {"description", description_max + "d"}, {"now_ms", kT0}},
                         DROVER_INVALID_ARGUMENT);
  EXPECT_NE(m2.find("description"), std::string::npos) << m2;
  // The limit is in bytes: 334 three-byte characters are 1,002 bytes.
  std::string wide;
  for (int i = 0; i < 334; ++i) wide += "\u6f22";
  fails(&V::create_task, {{"title", wide}, {"now_ms", kT0}}, DROVER_INVALID_ARGUMENT);
}

TEST_P(StorageConformance, NonUtf8TextIsRefused) {
  // Built by hand: a JSON library would refuse to produce these requests.
  const std::string bad_sequences[] = {"\xff", "\xc3\x28", "\xe2\x82", "\xed\xa0\x80" /* surrogate */,
                                       "\xc0\xaf" /* overlong */};
  for (const std::string& bad : bad_sequences) {
    fails_text(&V::create_task, "{\"title\":\"bad" + bad + "\",\"now_ms\":1}", DROVER_INVALID_ARGUMENT);
    fails_text(&V::create_task, "{\"title\":\"ok\",\"description\":\"" + bad + "\",\"now_ms\":1}",
               DROVER_INVALID_ARGUMENT);
  }
  create_task("real");
  fails_text(&V::append_event, "{\"task_id\":\"t1\",\"kind\":\"k\",\"message\":\"\xfe\",\"now_ms\":1}",
             DROVER_INVALID_ARGUMENT);
  EXPECT_EQ(ids_of(list_tasks()), (std::vector<std::string>{"t1"}));
  // Valid multi-byte text round-trips.
  std::string unicode = "caf\u00e9 \u6f22\u5b57 \U0001F680 \u0000 nul";
  EXPECT_EQ(create_task(unicode)["title"], unicode);
}

TEST_P(StorageConformance, SqlMetacharactersAreStoredAndReturnedVerbatim) {
  Json epic = ok(&V::create_epic, {{"title", kNasty}, {"description", kNasty}, {"now_ms", kT0}});
  EXPECT_EQ(epic["title"], kNasty);
  Json t = create_task(kNasty, {{"description", kNasty}, {"agent", kNasty}, {"epic", epic["id"]}});
  EXPECT_EQ(t["title"], kNasty);
  EXPECT_EQ(t["description"], kNasty);
  EXPECT_EQ(t["agent"], kNasty);
  Json fields = {{"last_error", kNasty}, {"result_summary", kNasty}, {"session_id", kNasty},
                 {"merge_commit", kNasty}, {"status_reason", kNasty}};
  Json u = ok(&V::update_task, {{"id", t["id"]}, {"now_ms", kT0}, {"fields", fields}});
  for (const auto& [key, value] : fields.items()) EXPECT_EQ(u[key], kNasty) << key;

  Json c = claim(kNasty, kT0, {{"epic", epic["id"]}, {"exclude_agents", {"'", "\"", kNasty + "x"}}});
  ASSERT_TRUE(c.is_object()) << "exclude_agents must match whole names only";
  EXPECT_EQ(c["lease_owner"], kNasty);
  EXPECT_EQ(ok(&V::renew_leases, {{"executor", kNasty}, {"lease_ms", 10}, {"now_ms", kT0}})["renewed"], 1);
  Json done = ok(&V::complete_task, {{"id", t["id"]}, {"executor", kNasty}, {"now_ms", kT0}, {"result_summary", kNasty}});
  EXPECT_EQ(done["task"]["result_summary"], kNasty);

  Json w = ok(&V::start_workflow, {{"id", kNasty}, {"name", kNasty}, {"input", {{kNasty, kNasty}}},
                                   {"executor", kNasty}, {"now_ms", kT0}});
  EXPECT_EQ(w["id"], kNasty);
  EXPECT_EQ(w["input"], (Json{{kNasty, kNasty}}));
  Json s = ok(&V::record_step, {{"workflow_id", kNasty}, {"step", 0}, {"name", kNasty}, {"outcome", kNasty},
                                {"error", kNasty}, {"now_ms", kT0}});
  EXPECT_EQ(s["name"], kNasty);
  EXPECT_EQ(s["outcome"], kNasty);
  EXPECT_EQ(s["error"], kNasty);
  EXPECT_EQ(ok(&V::finish_workflow, {{"id", kNasty}, {"status", "failed"}, {"output", kNasty}, {"now_ms", kT0}})["output"],
            kNasty);
  Json e = ok(&V::append_event, {{"task_id", t["id"]}, {"kind", kNasty}, {"message", kNasty}, {"data", kNasty},
                                 {"now_ms", kT0}});
  EXPECT_EQ(e["kind"], kNasty);
  EXPECT_EQ(e["message"], kNasty);

  // Lookups by hostile ids find nothing and break nothing.
  fails(&V::get_task, {{"id", kNasty}}, DROVER_NOT_FOUND);
  EXPECT_EQ(list_tasks({{"epic", kNasty}}), Json::array());
  EXPECT_EQ(list_tasks({{"ids", {kNasty, "t1' OR '1'='1"}}}), Json::array());
  Json got = get_task(t["id"]);
  EXPECT_EQ(got["title"], kNasty);
  EXPECT_EQ(ok(&V::get_workflow, {{"id", kNasty}})["steps"][0]["name"], kNasty);
  EXPECT_EQ(ok(&V::list_epics, Json::object())[0]["description"], kNasty);
  EXPECT_EQ(ok(&V::summary, Json::object())["total"], 1);
}

TEST_P(StorageConformance, ConfigWithAnUnknownKeyIsRejectedNamingTheKey) {
  std::string config = location().config_yaml + "\nbogus_conformance_key: 1\n";
  drover_error error;
  drover_status checked = vtable().check_config(drover::testing::to_str(config), &error);
  EXPECT_EQ(status_name(checked), status_name(DROVER_INVALID_CONFIG));
  EXPECT_NE(error.message.find("bogus_conformance_key"), std::string::npos) << error.message;
  drover_error ok_error;
  EXPECT_EQ(vtable().check_config(drover::testing::to_str(location().config_yaml), &ok_error), DROVER_OK)
      << ok_error.message;

  StoreLocation bad = location();
  bad.config_yaml = config;
  StoreSession session(plugin(), bad);
  EXPECT_FALSE(session.is_open());
  EXPECT_EQ(status_name(session.open_result().status), status_name(DROVER_INVALID_CONFIG));
  EXPECT_NE(session.open_result().error.find("bogus_conformance_key"), std::string::npos)
      << session.open_result().error;
}

TEST_P(StorageConformance, StoreWrittenByANewerSchemaIsRefused) {
  if (!backend().bump_schema_version) GTEST_SKIP() << "the suite cannot edit a " << backend().name << " schema";
  int supported = ok(&V::describe, Json::object())["schema_version"].get<int>();
  create_task("keep me");
  close_store();
  int newer = supported + 2;
  backend().bump_schema_version(location(), newer);
  StoreSession session(plugin(), location());
  EXPECT_FALSE(session.is_open());
  EXPECT_EQ(status_name(session.open_result().status), status_name(DROVER_UNSUPPORTED));
  const std::string& message = session.open_result().error;
  EXPECT_NE(message.find(std::to_string(newer)), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(supported)), std::string::npos) << message;
}

TEST_P(StorageConformance, OneHandleIsSafeAcrossThreads) {
  constexpr int kTasks = 120;
  constexpr int kThreads = 4;
  for (int i = 0; i < kTasks; ++i) create_task("task " + std::to_string(i));
  std::vector<std::vector<std::string>> claimed(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&, w] {
      std::string executor = "thread-" + std::to_string(w);
      try {
        store().must(&V::start_workflow, {{"id", executor}, {"name", "claims"}, {"input", nullptr},
                                          {"executor", executor}, {"now_ms", kT0}});
        for (int step = 0;; ++step) {
          Json c = store().must(&V::claim_task, {{"executor", executor}, {"lease_ms", kLeaseMs}, {"now_ms", kT0},
                                                 {"default_agent", "claude"}});
          if (c.is_null()) break;
          claimed[w].push_back(c["id"]);
          store().must(&V::record_step,
                       {{"workflow_id", executor}, {"step", step}, {"name", c["id"]}, {"now_ms", kT0}});
        }
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::multiset<std::string> all;
  for (int w = 0; w < kThreads; ++w) {
    EXPECT_EQ(errors[w], "") << "thread " << w;
    all.insert(claimed[w].begin(), claimed[w].end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kTasks));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), static_cast<size_t>(kTasks)) << "a task was handed out twice";
}

}  // namespace
}  // namespace drover::storage_test
