// What the run loop and a workflow cost per task, through the fakes: a claim
// reads only the running tasks when none of them declares touches (not every
// ready task: that made a large DAG quadratic), a completion frees its worker
// slot before its step record is written (it is on the path to the
// dependents' start), a dependent starts in the same instant its blocker
// completes (no polling interval in between), and the completed blockers
// reach the prompt through one store call; the threads of ended workflows
// are joined while the run goes on (each kept its stack until the end); an
// agent that reports nothing costs no task update after it.
#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

using DispatchCostTest = EngineTest;

// Thread stacks mapped in this process now: mappings of the default stack
// size. A thread that ended and was not joined is gone from /proc/self/task
// but keeps its stack mapped.
size_t mapped_stacks() {
  pthread_attr_t attr;
  size_t stack = 0;
  if (pthread_getattr_default_np(&attr) != 0) return 0;
  pthread_attr_getstacksize(&attr, &stack);
  pthread_attr_destroy(&attr);
  std::ifstream maps("/proc/self/maps");
  size_t n = 0;
  for (std::string line; std::getline(maps, line);) {
    const size_t dash = line.find('-'), space = line.find(' ');
    if (dash == std::string::npos || space == std::string::npos) continue;
    const uint64_t from = std::stoull(line.substr(0, dash), nullptr, 16);
    const uint64_t to = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
    n += to - from == stack;
  }
  return n;
}

bool lists_ready(const TaskFilter& f) {
  return f.statuses.empty() || std::find(f.statuses.begin(), f.statuses.end(), TaskStatus::kReady) != f.statuses.end();
}

TEST_F(DispatchCostTest, ClaimsDoNotReadEveryReadyTaskWhenNothingRunningDeclaresTouches) {
  const int n = 100;
  for (int i = 0; i < n; ++i) store.add("T" + std::to_string(i));
  std::atomic<size_t> ready_read{0};
  store.listed = [&](const TaskFilter& f, size_t returned) {
    if (lists_ready(f)) ready_read += returned;
  };
  RunSummary s = run_loop(4);
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(s.completed, n);
  // Reading all ready tasks per claim would be about n*n/2 = 5000 here.
  EXPECT_LT(ready_read.load(), static_cast<size_t>(3 * n));
}

// The running tasks were read from the store on every claim (a full record
// of each, per claim: more store time per task than any write of its
// workflow). This run's own are known; others' are read once a second.
TEST_F(DispatchCostTest, ClaimsDoNotReadTheRunningTasksEachTime) {
  const int n = 100;
  for (int i = 0; i < n; ++i) store.add("T" + std::to_string(i));
  std::atomic<int> running_reads{0};
  store.listed = [&](const TaskFilter& f, size_t) {
    if (f.statuses == std::vector<TaskStatus>{TaskStatus::kRunning}) ++running_reads;
  };
  RunSummary s = run_loop(4);
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(s.completed, n);
  EXPECT_LT(running_reads.load(), 10) << "one per claim would be " << n;
}

TEST_F(DispatchCostTest, ATaskWithTouchesRunningStillHoldsAnOverlappingOne) {
  NewTask a;
  a.title = "a";
  a.touches = {"src/x.cc"};
  NewTask b = a;
  b.title = "b";
  Task ta = store.create_task(a, 1).value();
  Task tb = store.create_task(b, 1).value();
  agents.script(ta.id, {ScriptedAttempt::until_finished()});
  RunSummary s = run_loop(2, [&](RunLoop&) {
    ASSERT_TRUE(agents.wait_running(ta.id));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(agents.runs(tb.id), 0) << "held while a runs";
    agents.finish(ta.id);
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_GT(events.count_lines(tb.id + ": held: overlaps " + ta.id), 0);
}

TEST_F(DispatchCostTest, ACompletionFreesItsSlotBeforeItsStepIsRecorded) {
  Task t = store.add("T");
  std::vector<size_t> freed_at;  // slots freed when each step record was asked for
  store.fault = [&](const std::string& op) {
    if (op == "record_step") {
      std::lock_guard<std::mutex> lock(events.mu);
      freed_at.push_back(events.freed.size());
    }
    return Status::Ok();
  };
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  auto names = store.step_names(TaskWorkflow::workflow_id(store.task(t.id)));
  auto complete = std::find(names.begin(), names.end(), "complete") - names.begin();
  ASSERT_LT(static_cast<size_t>(complete), freed_at.size());
  EXPECT_EQ(freed_at[complete], 1u) << "the slot is free before the complete step's record is written";
  EXPECT_EQ(events.freed, std::vector<std::string>{t.id}) << "and freed once";
}

TEST_F(DispatchCostTest, ADependentStartsInTheInstantItsBlockerCompletes) {
  Task a = store.add("A");
  Task b = store.add("B", {a.id});
  RunSummary s = run_loop(1);
  ASSERT_TRUE(s.all_completed());
  int64_t completed = -1, started = -1;
  for (const auto& e : store.events_of(a.id))
    if (e.kind == "completed") completed = e.created_ms;
  for (const auto& e : store.events_of(b.id))
    if (e.kind == "attempt_started") started = e.created_ms;
  ASSERT_GE(completed, 0);
  // The engine's clock only moves while the loop waits with nothing to do:
  // no simulated time passed, so nothing waited for a poll.
  EXPECT_EQ(started, completed);
}

TEST_F(DispatchCostTest, CompletedBlockersReachThePromptThroughOneStoreCall) {
  Task a = store.add("Write the lexer");
  Task c = store.add("Write the grammar");
  Task b = store.add("Write the parser", {a.id, c.id});
  std::string prompt;
  agents.before = [&](const AgentAttemptRequest& r) {
    if (r.task_id == b.id) prompt = r.prompt;
  };
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  int lists = 0, gets = 0;
  store.fault = [&](const std::string& op) {
    lists += op == "list_tasks";
    gets += op == "get_task";
    return Status::Ok();
  };
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  const size_t lexer = prompt.find("- " + a.id + ": Write the lexer");
  const size_t grammar = prompt.find("- " + c.id + ": Write the grammar");
  ASSERT_NE(lexer, std::string::npos) << prompt;
  ASSERT_NE(grammar, std::string::npos) << prompt;
  EXPECT_LT(lexer, grammar) << "in blocked_by order";
  EXPECT_EQ(lists, 1);
  EXPECT_EQ(gets, 0);
}

TEST_F(DispatchCostTest, AnAgentThatReportsNothingCostsNoTaskUpdate) {
  Task quiet = store.add("quiet");
  Task talks = store.add("talks");
  ScriptedAttempt says_nothing;
  says_nothing.summary = "";
  agents.script(quiet.id, {says_nothing});
  ScriptedAttempt says_done;
  says_done.summary = "done";
  agents.script(talks.id, {says_done});
  std::map<std::string, int> updates;
  std::string running;
  store.fault = [&](const std::string& op) {
    if (op == "update_task") ++updates[running];
    return Status::Ok();
  };
  auto ctx = context("exec-a");
  running = quiet.id;
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  running = talks.id;
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(updates[talks.id], updates[quiet.id] + 1) << "its summary is the one field to write";
  EXPECT_EQ(store.task(talks.id).result_summary, "done");
}

// What one store call carries: the op of each write, with the step's name or
// the event's kind ("record_step agent#1", "append_event attempt_finished").
std::vector<std::string> described(const std::vector<StoreWrite>& writes) {
  std::vector<std::string> out;
  for (const StoreWrite& w : writes) {
    switch (w.kind) {
      case StoreWrite::Kind::kRecordStep: out.push_back("record_step " + w.step.name); break;
      case StoreWrite::Kind::kUpdateTask: out.push_back("update_task"); break;
      case StoreWrite::Kind::kAppendEvent: out.push_back("append_event " + w.event.kind); break;
      case StoreWrite::Kind::kFinishWorkflow: out.push_back("finish_workflow " + w.status); break;
    }
  }
  return out;
}

// Each of a task's writes was a store call (and a transaction) of its own.
// What a step produced now goes with its record, in one call.
TEST_F(DispatchCostTest, AStepsRecordTakesTheWritesItProducedAlong) {
  Task t = store.add("T");
  ScriptedAttempt reports;
  reports.summary = "done";
  reports.cost_usd = 0.5;
  agents.script(t.id, {reports});
  std::vector<std::vector<std::string>> together;
  std::map<std::string, int> calls;  // every operation the fake ran, inside an apply_writes or not
  store.fault = [&](const std::string& op) {
    ++calls[op];
    return Status::Ok();
  };
  std::map<std::string, int> carried;  // the operations that went in an apply_writes
  store.applied_together = [&](const std::vector<StoreWrite>& writes) {
    together.push_back(described(writes));
    for (const std::string& w : together.back()) ++carried[w.substr(0, w.find(' '))];
  };
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);

  using Calls = std::vector<std::string>;
  auto has = [&](const Calls& batch) { return std::find(together.begin(), together.end(), batch) != together.end(); };
  EXPECT_TRUE(has(Calls{"update_task", "append_event attempt_started"})) << "before the agent starts, in one call";
  EXPECT_TRUE(has(Calls{"record_step agent#1", "update_task", "append_event attempt_finished"}))
      << "the agent's tokens, summary and event with its step's record";
  EXPECT_TRUE(has(Calls{"record_step commit#1", "update_task"})) << "\"waiting to land\" with the commit's record";
  EXPECT_TRUE(has(Calls{"record_step land#1", "append_event landed"})) << "the landing's event with its step's record";
  EXPECT_TRUE(has(Calls{"record_step cleanup", "finish_workflow succeeded"})) << "the workflow's end with its last step";
  EXPECT_EQ(calls["finish_workflow"], 1) << "not a second time on its own";
  // Store calls: each apply_writes, and each write made on its own.
  int round_trips = calls["apply_writes"];
  std::string seen;
  for (const auto& [op, n] : calls) {
    seen += op + "=" + std::to_string(n) + " ";
    if (op == "apply_writes" || op == "claim_task" || op.rfind("list_", 0) == 0 || op.rfind("get_", 0) == 0) continue;
    round_trips += n - carried[op];
  }
  EXPECT_EQ(calls["append_event"], carried["append_event"]) << "no event on its own: " << seen;
  // start_workflow, worktree#1, the attempt's start, agent#1, commit#1,
  // land#1, complete_task, complete, cleanup: 9 (the log shipper's
  // end-of-round write aside, not in this fake). Each write was a call of its
  // own before: 15.
  EXPECT_EQ(round_trips, 9) << "store writes for one task, the claim aside: " << seen;
  Task done = store.task(t.id);
  EXPECT_EQ(done.status, TaskStatus::kCompleted);
  EXPECT_EQ(done.cost_usd, std::optional<double>(0.5));
  EXPECT_EQ(done.result_summary, "done");
  auto wf = store.get_workflow(TaskWorkflow::workflow_id(done));
  ASSERT_TRUE(wf.ok());
  EXPECT_EQ(wf.value().first.status, "succeeded");
}

TEST_F(DispatchCostTest, EndedWorkflowThreadsAreJoinedWhileClaimsGoOn) {
  // Claims slower than the tasks: a slot is free again before each claim
  // returns, so the loop goes on claiming without ever waiting.
  const int n = 150;
  for (int i = 0; i < n; ++i) store.add("T" + std::to_string(i));
  store.fault = [](const std::string& op) {
    if (op == "claim_task") std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return Status::Ok();
  };
  std::atomic<size_t> most{0};
  agents.before = [&](const AgentAttemptRequest&) {
    size_t now = mapped_stacks(), seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
  };
  const size_t before = mapped_stacks();
  RunSummary s = run_loop(4);
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(s.completed, n);
  // The stacks of four workers and of the run's own few threads, not one
  // per task run so far.
  EXPECT_LT(most.load(), before + 16) << before << " before the run";
}

}  // namespace
}  // namespace drover::testing
