// The durable-step engine against the real SQLite storage plugin: replay skips
// recorded steps, a crash between a side effect and its checkpoint re-runs
// only that step, starting a workflow twice is idempotent, and a durable
// timer's deadline survives a restart.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "drover/engine/workflow_context.h"
#include "drover/plugin_host/plugin_task_store.h"
#include "drover/plugin_host/plugin_host.h"

namespace drover {
namespace {

class WorkflowContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("drover-wf-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    store_ = open_store();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<PluginTaskStore> open_store() {
    static PluginHost host({DROVER_TEST_PLUGIN_DIR});
    auto p = host.load(DROVER_KIND_STORAGE, "sqlite");
    EXPECT_TRUE(p.ok()) << p.status().message();
    auto s = PluginTaskStore::open(*p.value(), "{path: drover.db}",
                                 json{{"project_root", dir_.string()}, {"drover_dir", (dir_ / ".drover").string()}});
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(s.value());
  }
  int count(const std::string& name) {
    std::ifstream in(dir_ / name);
    int n = 0;
    std::string line;
    while (std::getline(in, line)) ++n;
    return n;
  }
  void touch(const std::string& name) { std::ofstream(dir_ / name, std::ios::app) << "x\n"; }

  std::filesystem::path dir_;
  std::unique_ptr<PluginTaskStore> store_;
};

TEST_F(WorkflowContextTest, StartingTwiceIsIdempotent) {
  auto a = WorkflowContext::start(*store_, "wf-1", "demo", json{{"x", 1}}, "exec-a");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_TRUE(a.value().created());
  auto b = WorkflowContext::start(*store_, "wf-1", "demo", json{{"x", 2}}, "exec-b");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b.value().created());
}

TEST_F(WorkflowContextTest, ReplaySkipsRecordedSteps) {
  auto run = [&](bool stop_after_two) {
    auto ctx = WorkflowContext::start(*store_, "wf-2", "demo", json::object(), "exec");
    EXPECT_TRUE(ctx.ok());
    std::vector<json> outcomes;
    for (int i = 1; i <= 3; ++i) {
      if (stop_after_two && i == 3) break;
      auto r = ctx.value().step("step" + std::to_string(i), [&]() -> Result<json> {
        touch("ran-" + std::to_string(i));
        return json{{"value", i * 10}};
      });
      EXPECT_TRUE(r.ok());
      outcomes.push_back(r.value());
    }
    return outcomes;
  };
  run(true);
  EXPECT_EQ(count("ran-1"), 1);
  EXPECT_EQ(count("ran-2"), 1);
  EXPECT_EQ(count("ran-3"), 0);
  auto outcomes = run(false);
  EXPECT_EQ(count("ran-1"), 1) << "a recorded step ran again";
  EXPECT_EQ(count("ran-2"), 1) << "a recorded step ran again";
  EXPECT_EQ(count("ran-3"), 1);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0]["value"], 10);  // recorded outcomes come back unchanged
  EXPECT_EQ(outcomes[2]["value"], 30);
}

TEST_F(WorkflowContextTest, FailedStepReplaysAsTheSameError) {
  {
    auto ctx = WorkflowContext::start(*store_, "wf-3", "demo", json::object(), "exec");
    auto r = ctx.value().step("flaky", [&]() -> Result<json> { return Status::Error("it broke"); });
    EXPECT_FALSE(r.ok());
  }
  auto ctx = WorkflowContext::start(*store_, "wf-3", "demo", json::object(), "exec");
  bool ran = false;
  auto r = ctx.value().step("flaky", [&]() -> Result<json> {
    ran = true;
    return json::object();
  });
  EXPECT_FALSE(ran);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "it broke");
}

TEST_F(WorkflowContextTest, CrashBetweenSideEffectAndCheckpointRerunsOnlyThatStep) {
  store_.reset();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = open_store();
    auto ctx = WorkflowContext::start(*store, "wf-4", "demo", json::object(), "exec");
    (void)ctx.value().step("one", [&]() -> Result<json> {
      touch("side-one");
      return json{{"ok", true}};
    });
    (void)ctx.value().step("two", [&]() -> Result<json> {
      touch("side-two");
      _exit(0);  // the process dies after the side effect, before the checkpoint
    });
    _exit(1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  store_ = open_store();
  auto ctx = WorkflowContext::start(*store_, "wf-4", "demo", json::object(), "exec");
  ASSERT_TRUE(ctx.ok());
  EXPECT_FALSE(ctx.value().created());
  (void)ctx.value().step("one", [&]() -> Result<json> {
    touch("side-one");
    return json{{"ok", true}};
  });
  (void)ctx.value().step("two", [&]() -> Result<json> {
    touch("side-two");
    return json{{"ok", true}};
  });
  EXPECT_EQ(count("side-one"), 1) << "the checkpointed step ran again";
  EXPECT_EQ(count("side-two"), 2) << "the step without a checkpoint runs again (at least once)";
}

TEST_F(WorkflowContextTest, DurableTimerKeepsItsDeadlineAcrossRestart) {
  int64_t first = 0;
  {
    auto ctx = WorkflowContext::start(*store_, "wf-5", "demo", json::object(), "exec");
    auto r = ctx.value().step("sleep", [&]() -> Result<json> { return json{{"until_ms", now_ms() + 60000}}; });
    first = r.value()["until_ms"];
  }
  store_ = open_store();  // "restart"
  auto ctx = WorkflowContext::start(*store_, "wf-5", "demo", json::object(), "exec");
  auto r = ctx.value().step("sleep", [&]() -> Result<json> { return json{{"until_ms", now_ms() + 999999}}; });
  EXPECT_EQ(r.value()["until_ms"], first);
}

TEST_F(WorkflowContextTest, ChangedStepOrderIsReportedNotSilentlyReplayed) {
  {
    auto ctx = WorkflowContext::start(*store_, "wf-6", "demo", json::object(), "exec");
    (void)ctx.value().step("alpha", [&]() -> Result<json> { return json::object(); });
  }
  auto ctx = WorkflowContext::start(*store_, "wf-6", "demo", json::object(), "exec");
  auto r = ctx.value().step("beta", [&]() -> Result<json> { return json::object(); });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("recorded as 'alpha' but the code now expects 'beta'"), std::string::npos);
}

}  // namespace
}  // namespace drover

namespace drover {
namespace {

TEST_F(WorkflowContextTest, NotNowIsNotRecordedAndRunsAgain) {
  {
    auto ctx = WorkflowContext::start(*store_, "wf-7", "demo", json::object(), "exec");
    auto r = ctx.value().step("merge", [&]() -> Result<json> { return Status::Unavailable("checkout in the way"); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    // The same context can try the same step again.
    auto again = ctx.value().step("merge", [&]() -> Result<json> { return json{{"merged", 1}}; });
    ASSERT_TRUE(again.ok());
  }
  auto ctx = WorkflowContext::start(*store_, "wf-7", "demo", json::object(), "exec");
  bool ran = false;
  auto r = ctx.value().step("merge", [&]() -> Result<json> {
    ran = true;
    return json::object();
  });
  EXPECT_FALSE(ran);
  EXPECT_EQ(r.value()["merged"], 1);
}

// A step's riders: the task update and events it produced go with its record.
class WorkflowRidersTest : public WorkflowContextTest {
 protected:
  void SetUp() override {
    WorkflowContextTest::SetUp();
    NewTask t;
    t.title = "T";
    auto task = store_->create_task(t, 1000);
    ASSERT_TRUE(task.ok()) << task.status().message();
    task_ = task.value().id;
  }
  WorkflowContext::Riders riders(int64_t tokens, const std::string& event_task) {
    WorkflowContext::Riders r;
    TaskUpdate u;
    u.tokens_in = tokens;
    r.writes.push_back(StoreWrite::update_task(task_, u, 2000));
    r.writes.push_back(StoreWrite::append_event(NewEvent{event_task, "note", "rider", json::object(), 2000}));
    return r;
  }
  int notes() {
    auto events = store_->list_events(EventFilter{task_, 0, std::nullopt});
    EXPECT_TRUE(events.ok());
    int n = 0;
    for (const TaskEvent& e : events.value()) n += e.kind == "note";
    return n;
  }
  int64_t tokens() { return store_->get_task(task_).value().tokens_in; }
  size_t steps(const std::string& wf) { return store_->get_workflow(wf).value().second.size(); }

  std::string task_;
};

TEST_F(WorkflowRidersTest, AreWrittenWithTheStepsRecord) {
  auto ctx = WorkflowContext::start(*store_, "wf-r1", "demo", json::object(), "exec");
  ASSERT_TRUE(ctx.ok());
  auto with = riders(42, task_);
  auto r = ctx.value().step("agent#1", [&]() -> Result<json> { return json{{"ran", true}}; }, with);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(with.writes.empty()) << "written";
  ASSERT_EQ(with.results.size(), 2u);
  ASSERT_TRUE(with.results[0].task.has_value());
  EXPECT_EQ(with.results[0].task->tokens_in, 42) << "the task as the store now has it";
  EXPECT_EQ(steps("wf-r1"), 1u);
  EXPECT_EQ(tokens(), 42);
  EXPECT_EQ(notes(), 1);
}

TEST_F(WorkflowRidersTest, ARecordThatCannotBeWrittenTakesItsRidersWithIt) {
  auto ctx = WorkflowContext::start(*store_, "wf-r2", "demo", json::object(), "exec");
  ASSERT_TRUE(ctx.ok());
  auto with = riders(42, "t999");  // an event for a task that does not exist: the transaction fails
  auto r = ctx.value().step("agent#1", [&]() -> Result<json> { return json{{"ran", true}}; }, with);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(ctx.value().broken());
  EXPECT_EQ(steps("wf-r2"), 0u) << "not recorded";
  EXPECT_EQ(tokens(), 0) << "the update was undone with it: counted once, when the step runs again";
  EXPECT_EQ(with.writes.size(), 2u) << "left unwritten";
}

TEST_F(WorkflowRidersTest, OfAStepNotRecordedAreWrittenOnTheirOwn) {
  auto ctx = WorkflowContext::start(*store_, "wf-r3", "demo", json::object(), "exec");
  ASSERT_TRUE(ctx.ok());
  auto with = riders(7, task_);
  auto r = ctx.value().step("agent#1", [&]() -> Result<json> { return Status::Unavailable("not now"); }, with);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(ctx.value().broken());
  EXPECT_EQ(steps("wf-r3"), 0u);
  EXPECT_TRUE(with.writes.empty());
  EXPECT_EQ(tokens(), 7);
  EXPECT_EQ(notes(), 1);
}

TEST_F(WorkflowRidersTest, OfAReplayedStepAreLeftUnwritten) {
  {
    auto ctx = WorkflowContext::start(*store_, "wf-r4", "demo", json::object(), "exec");
    ASSERT_TRUE(ctx.value().step("agent#1", [&]() -> Result<json> { return json{{"ran", 1}}; }).ok());
  }
  auto ctx = WorkflowContext::start(*store_, "wf-r4", "demo", json::object(), "exec");
  auto with = riders(5, task_);
  auto r = ctx.value().step("agent#1", [&]() -> Result<json> { return json{{"ran", 2}}; }, with);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value()["ran"], 1);
  EXPECT_EQ(with.writes.size(), 2u) << "the caller decides what to do with them";
  EXPECT_EQ(tokens(), 0);
  EXPECT_EQ(notes(), 0);
}

}  // namespace
}  // namespace drover
