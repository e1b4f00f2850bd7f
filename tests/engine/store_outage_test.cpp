// A store that goes away mid-run: the run pauses and carries on by itself
// (one line when the store goes, one when it is back), agents keep running
// while their leases hold, a lease that cannot be renewed is fenced before
// it expires (its agent stopped, nothing of the task done twice at once),
// and a drained or stopped run exits whatever the store does.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

class StoreOutageTest : public EngineTest {
 protected:
  StoreOutageTest() {
    store.fault = [this](const std::string& op) {
      if (down.load() || (renewals_down.load() && op == "renew_leases"))
        return Status::Unavailable("cannot reach PostgreSQL at db (connection refused)");
      return Status::Ok();
    };
  }
  // Waits (real time) until pred holds, up to 5 s.
  static bool eventually(const std::function<bool()>& pred) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Lets simulated time pass (a second per step) until pred holds, up to 5 s
  // of real time: renewals and fences run on their own threads' schedules.
  bool as_time_passes(const std::function<bool()>& pred) {
    return eventually([&] {
      if (pred()) return true;
      clock.advance(1'000);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return false;
    });
  }

  // The task's agent finishes while the store is away, then `advance_ms`
  // of the lease pass: the run fences the task (its finished step waits).
  void finish_while_down_until_fenced(const std::string& id, int64_t advance_ms) {
    ASSERT_TRUE(agents.wait_running(id));
    down = true;
    agents.finish(id);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    clock.advance(advance_ms);
    EXPECT_TRUE(eventually([&] { return events.count_lines("its lease could not be renewed") == 1; }));
  }

  std::atomic<bool> down{false};
  std::atomic<bool> renewals_down{false};
};

TEST_F(StoreOutageTest, AnOutageShorterThanTheLeaseIsAPauseAndNothingRunsTwice) {
  Task t = store.add("T");
  Task u = store.add("U", {t.id});
  agents.script(t.id, {ScriptedAttempt::until_finished()});
  RunSummary s = run_loop(2, [&](RunLoop&) {
    ASSERT_TRUE(agents.wait_running(t.id));
    down = true;
    agents.finish(t.id);  // the agent ends while the store is away
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    down = false;
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(s.completed, 2);
  EXPECT_EQ(agents.runs(t.id), 1) << "the agent's finished work was kept through the outage";
  EXPECT_EQ(agents.runs(u.id), 1);
  EXPECT_FALSE(agents.was_cancelled(t.id)) << "a running agent keeps running while its lease holds";
  EXPECT_EQ(workspace.target_history(), (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(events.count_lines("store unreachable"), 1) << "said once, not per call";
  EXPECT_EQ(events.count_lines("store reachable again"), 1);
  EXPECT_EQ(s.outcomes[TaskOutcome::kAbandoned], 0);
}

TEST_F(StoreOutageTest, ALeaseThatCannotBeRenewedIsFencedBeforeItExpires) {
  Task t = store.add("T");
  agents.script(t.id, {ScriptedAttempt::holding()});
  RunSummary s = run_loop(1, [&](RunLoop&) {
    ASSERT_TRUE(agents.wait_running(t.id));
    down = true;
    // Two thirds of the 30 s lease pass without a renewal: the margin is reached.
    clock.advance(19'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_FALSE(agents.was_cancelled(t.id)) << "not fenced before the margin";
    clock.advance(1'500);
    EXPECT_TRUE(eventually([&] { return agents.was_cancelled(t.id); })) << "fenced at lease - margin";
    down = false;
    EXPECT_TRUE(as_time_passes([&] { return store.task(t.id).status == TaskStatus::kCompleted; }));
  });
  EXPECT_EQ(events.count_lines("still this run's"), 1) << "nobody took it: regained";
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(agents.runs(t.id), 2) << "the stopped attempt runs again, once";
  EXPECT_EQ(agents.most_at_once(t.id), 1);
  const Task done = store.task(t.id);
  EXPECT_EQ(done.status, TaskStatus::kCompleted);
  EXPECT_EQ(done.attempts, 1) << "a fenced attempt is not a failed attempt";
  EXPECT_EQ(done.last_error, "") << "nothing was written for the fenced attempt";
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
}

TEST_F(StoreOutageTest, ARunNeverTakesATaskBackFromItsOwnWorkflow) {
  // Renewals fail while everything else works; the lease expires while the
  // fenced agent is slow to die. The run may claim the expired task, but it
  // must not start it again until its own workflow for it has ended.
  Task t = store.add("T");
  agents.script(t.id, {ScriptedAttempt::until_finished()});
  RunSummary s = run_loop(2, [&](RunLoop&) {
    ASSERT_TRUE(agents.wait_running(t.id));
    renewals_down = true;
    clock.advance(31'000);  // past the lease
    EXPECT_TRUE(eventually([&] { return agents.was_cancelled(t.id); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the loop claims meanwhile
    EXPECT_EQ(agents.runs(t.id), 1) << "no second agent while the first one's workflow lives";
    renewals_down = false;
    agents.finish(t.id);
    // Renewals find the lease still ours; the workflow goes on.
    EXPECT_TRUE(as_time_passes([&] { return store.task(t.id).status == TaskStatus::kCompleted; }));
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(agents.most_at_once(t.id), 1);
  EXPECT_LE(agents.runs(t.id), 2);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"}) << "merged once";
}

TEST_F(StoreOutageTest, AnOutageLongerThanTheFenceKeepsAFinishedAgentsWork) {
  // The agent finishes while the store is away; the outage then outlasts the
  // fence. Nobody took the task meanwhile, so its work is recorded, not redone.
  Task t = store.add("T");
  agents.script(t.id, {ScriptedAttempt::until_finished()});
  RunSummary s = run_loop(1, [&](RunLoop&) {
    finish_while_down_until_fenced(t.id, 25'000);  // past lease - margin
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    down = false;
    EXPECT_TRUE(as_time_passes([&] { return store.task(t.id).status == TaskStatus::kCompleted; }));
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(agents.runs(t.id), 1) << "the finished agent's work was kept";
  EXPECT_EQ(events.count_lines("still this run's"), 1);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{"t1"});
}

TEST_F(StoreOutageTest, AFencedTaskTakenOverByAnotherRunIsLeftToIt) {
  Task t = store.add("T");
  agents.script(t.id, {ScriptedAttempt::until_finished()});
  RunSummary s = run_loop(1, [&](RunLoop&) {
    finish_while_down_until_fenced(t.id, 31'000);  // past the lease: another executor claims it
    store.steal_lease(t.id, "elsewhere", clock.now_ms() + 10 * 3600'000);
    down = false;
    as_time_passes([&] { return events.count_lines("another run took it over") == 1; });
    EXPECT_TRUE(eventually([&] { return events.count_lines("another run took it over") == 1; }));
    // The other run finishes it.
    (void)store.complete_task(CompleteRequest{t.id, "elsewhere", clock.now_ms(), "", "done elsewhere"});
  });
  EXPECT_EQ(store.task(t.id).status, TaskStatus::kCompleted);
  EXPECT_EQ(workspace.target_history(), std::vector<std::string>{}) << "this run wrote nothing for it";
  EXPECT_EQ(store.task(t.id).result_summary, "done elsewhere");
  if (::testing::Test::HasFailure())
    for (const auto& l : events.lines) std::cerr << "  | " << l << "\n";
}

TEST_F(StoreOutageTest, ADrainedRunExitsSoonAfterItsLastAgentWhileTheStoreIsDown) {
  Task t = store.add("T");
  agents.script(t.id, {ScriptedAttempt::until_finished()});
  std::chrono::steady_clock::time_point agent_ended;
  RunOptions opts;
  opts.workers = 1;
  opts.executor = "drained";
  opts.drain_store_wait_ms = 300;
  opts.print = [this](const std::string& line) {
    std::lock_guard<std::mutex> lock(events.mu);
    events.lines.push_back(line);
  };
  RunLoop loop(ports(), opts);
  std::thread helper([&] {
    ASSERT_TRUE(agents.wait_running(t.id));
    down = true;
    loop.request_drain();
    agent_ended = std::chrono::steady_clock::now();
    agents.finish(t.id);
  });
  auto r = loop.run();
  const auto exited = std::chrono::steady_clock::now();
  helper.join();
  EXPECT_FALSE(r.ok()) << "no summary without a store";
  EXPECT_LT(exited - agent_ended, std::chrono::seconds(3));
  EXPECT_EQ(events.count_lines("store unreachable"), 1);
  down = false;
  EXPECT_EQ(store.task(t.id).status, TaskStatus::kRunning) << "left for the next run to take back";
}

TEST_F(StoreOutageTest, FailingClaimsBackOffAndAreSaidOnce) {
  store.add("T");
  down = true;
  RunSummary s = run_loop(1, [&](RunLoop&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    down = false;
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(events.count_lines("store unreachable"), 1);
  EXPECT_EQ(events.count_lines("claiming work failed"), 0);
}

TEST_F(StoreOutageTest, ADamagedStoreStopsTheRunAtOnce) {
  Task t = store.add("T");
  Task u = store.add("U");
  agents.script(t.id, {ScriptedAttempt::holding()});
  std::atomic<bool> damaged{false};
  store.fault = [&](const std::string& op) {
    if (damaged.load() && op != "renew_leases")
      return Status::Corrupt("sqlite store /p/.drover/drover.db is damaged; restore a backup");
    return Status::Ok();
  };
  RunOptions opts;
  opts.workers = 1;
  opts.executor = "damaged";
  opts.print = [this](const std::string& line) {
    std::lock_guard<std::mutex> lock(events.mu);
    events.lines.push_back(line);
  };
  agents.before = [&](const AgentAttemptRequest& r) {
    if (r.task_id == u.id) ADD_FAILURE() << "no agent starts once the store is damaged";
  };
  RunLoop loop(ports(), opts);
  std::thread helper([&] {
    ASSERT_TRUE(agents.wait_running(t.id));
    damaged = true;
    // The next store call of the run finds it (the cancellation look, a claim).
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = loop.run();
  helper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(agents.runs(u.id), 0);
  EXPECT_EQ(events.count_lines("store damaged"), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace drover::testing
