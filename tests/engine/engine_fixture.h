// The engine wired to its fakes: a memory store, a fake workspace, scripted
// agents and a simulated clock. Tests run a TaskWorkflow directly (claim,
// run, look) or a whole RunLoop.
#ifndef DROVER_TESTS_ENGINE_ENGINE_FIXTURE_H
#define DROVER_TESTS_ENGINE_ENGINE_FIXTURE_H

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "drover/engine/run_loop.h"
#include "drover/engine/task_workflow.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_disk_space.h"
#include "fakes/fake_workspace.h"
#include "fakes/memory_task_store.h"
#include "fakes/scripted_agent_runner.h"

namespace drover::testing {

// Records what a workflow tells its run loop.
class RecordingEvents final : public TaskWorkflowEvents {
 public:
  void report(const std::string& task_id, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(task_id + ": " + message);
  }
  void agent_paused(const std::string& agent, int64_t until_ms) override {
    std::lock_guard<std::mutex> lock(mu);
    pauses.emplace_back(agent, until_ms);
  }
  void slot_free(const std::string& task_id) override {
    std::lock_guard<std::mutex> lock(mu);
    freed.push_back(task_id);
  }
  void released(const std::string& task_id, int64_t until_ms) override {
    std::lock_guard<std::mutex> lock(mu);
    releases.emplace_back(task_id, until_ms);
  }
  int count_lines(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }

  std::mutex mu;
  std::vector<std::string> lines;
  std::vector<std::pair<std::string, int64_t>> pauses;
  std::vector<std::string> freed;
  std::vector<std::pair<std::string, int64_t>> releases;
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() {
    config.project_root = "/nonexistent/drover-engine-test";
    config.default_agent = "test";
    config.target_branch = "main";
    config.workers = 2;
    config.max_attempts = 3;
    config.backoff_initial = std::chrono::milliseconds(10'000);
    config.backoff_max = std::chrono::milliseconds(600'000);
    config.lease_duration = std::chrono::milliseconds(30'000);
  }

  // A context for one executor (a "process"); a new executor id after a
  // crash is a new drover run.
  std::unique_ptr<EngineContext> context(const std::string& executor) {
    auto c = std::make_unique<EngineContext>();
    static_cast<EnginePorts&>(*c) = ports();
    c->events = &events;
    c->executor = executor;
    c->target_branch = "main";
    return c;
  }

  EnginePorts ports() { return EnginePorts{&config, &store, &workspace, &agents, &clock, &disk}; }

  // Claims the next task for `executor` (nullopt: nothing claimable now).
  std::optional<Task> claim(const std::string& executor) {
    ClaimRequest req{executor, config.lease_duration.count(), clock.now_ms(), std::nullopt, {}, config.default_agent, {}};
    auto r = store.claim_task(req);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : std::nullopt;
  }

  // Claims and runs one workflow to its end for now.
  TaskOutcome claim_and_run(EngineContext& ctx) {
    auto task = claim(ctx.executor);
    EXPECT_TRUE(task.has_value()) << "nothing claimable at " << clock.now_ms();
    if (!task) return TaskOutcome::kAbandoned;
    return TaskWorkflow(ctx, *task).run();
  }

  // A whole run with the fakes; returns its summary.
  RunSummary run_loop(int workers, std::function<void(RunLoop&)> while_running = {}) {
    RunOptions opts;
    opts.workers = workers;
    opts.executor = "loop-" + std::to_string(++loops_);
    opts.print = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(events.mu);
      events.lines.push_back(line);
    };
    RunLoop loop(ports(), opts);
    current_loop = &loop;
    std::optional<std::thread> helper;
    if (while_running) helper.emplace([&] { while_running(loop); });
    auto r = loop.run();
    if (helper) helper->join();
    current_loop = nullptr;
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : RunSummary{};
  }

  Config config;
  MemoryTaskStore store;
  FakeWorkspace workspace;
  ScriptedAgentRunner agents;
  FakeClock clock;
  FakeDiskSpace disk;
  RecordingEvents events;
  std::atomic<RunLoop*> current_loop{nullptr};  // while run_loop() runs

 private:
  int loops_ = 0;
};

}  // namespace drover::testing

#endif
