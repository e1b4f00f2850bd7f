// A full disk: the run starts no new work and says so once (then at most
// once a minute), carries on by itself when there is space, or stops when
// told to; a step that fails while the disk is full is not an attempt.
#include <gtest/gtest.h>

#include <thread>

#include "engine_fixture.h"

namespace drover::testing {
namespace {

class DiskFullTest : public EngineTest {
 protected:
  // A whole run told to stop when the disk is full (--on-disk-full stop).
  Result<RunSummary> run_stopping_on_full_disk(int workers) {
    RunOptions opts;
    opts.workers = workers;
    opts.executor = "stop-on-full";
    opts.on_disk_full = OnDiskFull::kStop;
    opts.print = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(events.mu);
      events.lines.push_back(line);
    };
    RunLoop loop(ports(), opts);
    return loop.run();
  }
};

TEST_F(DiskFullTest, AFullDiskStartsNothingSaysSoOnceAndCarriesOnWhenThereIsSpace) {
  Task t = store.add("T");
  disk.is_full = true;
  const int64_t fake_start = clock.now_ms();
  RunSummary s = run_loop(2, [&](RunLoop&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(agents.runs(t.id), 0) << "no work starts while the disk is full";
    disk.is_full = false;
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_EQ(events.count_lines("disk full:"), 1);
  EXPECT_EQ(events.count_lines("disk space available again"), 1);
  const int64_t minutes = (clock.now_ms() - fake_start) / 60000;
  EXPECT_LE(events.count_lines("still waiting for disk space"), minutes + 1) << "at most one line a minute";
}

TEST_F(DiskFullTest, OnDiskFullStopDrainsTheRun) {
  Task t = store.add("T");
  disk.is_full = true;
  auto r = run_stopping_on_full_disk(1);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(r.value().stop_reason.find("disk full"), std::string::npos) << r.value().stop_reason;
  EXPECT_FALSE(r.value().all_completed());
  EXPECT_EQ(agents.runs(t.id), 0);
  EXPECT_EQ(events.count_lines("disk full:"), 1);
}

TEST_F(DiskFullTest, AStepThatFailsOnAFullDiskWaitsForSpaceWithoutUsingAnAttempt) {
  Task t = store.add("T");
  workspace.prepare_fails.insert("t1");
  disk.is_full = true;
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  Task waiting = store.task(t.id);
  EXPECT_EQ(waiting.status, TaskStatus::kReady);
  EXPECT_EQ(waiting.attempts, 0);
  EXPECT_EQ(waiting.last_error, "");
  EXPECT_NE(waiting.wait.detail.find("disk full"), std::string::npos) << waiting.wait.detail;
  EXPECT_EQ(agents.runs(t.id), 0);

  workspace.prepare_fails.clear();
  disk.is_full = false;
  clock.advance(5000);
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(store.task(t.id).attempts, 1) << "the full disk cost no attempt";
  EXPECT_EQ(agents.runs(t.id), 1);
}

TEST_F(DiskFullTest, AnAgentThatFailsOnAFullDiskIsRunAgainWithTheSameAttempt) {
  Task t = store.add("T");
  agents.script(t.id, {{AttemptOutcome::kFailure, "No space left on device"}});
  agents.before = [&](const AgentAttemptRequest&) { disk.is_full = true; };
  auto ctx = context("exec-a");
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kYielded);
  EXPECT_EQ(store.task(t.id).last_error, "");
  agents.before = nullptr;
  disk.is_full = false;
  clock.advance(5000);
  EXPECT_EQ(claim_and_run(*ctx), TaskOutcome::kCompleted);
  EXPECT_EQ(store.task(t.id).attempts, 1);
  EXPECT_EQ(agents.runs(t.id), 2);
}

// A checkout bigger than what is free fails with ENOSPC though statvfs showed
// more than disk.min_free: the run treats it as a full disk all the same.
TEST_F(DiskFullTest, AStepOutOfSpaceOnARoomyLookingDiskStopsTheRunWhenToldTo) {
  Task t = store.add("T");
  workspace.fail_prepare_with("cannot create worktree: could not write 'big.bin': No space left on device");
  auto r = run_stopping_on_full_disk(2);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(r.value().stop_reason.find("No space left on device"), std::string::npos) << r.value().stop_reason;
  EXPECT_EQ(events.count_lines("disk full:"), 1);
  EXPECT_EQ(store.task(t.id).status, TaskStatus::kReady) << "given back, not failed";
  EXPECT_EQ(store.task(t.id).attempts, 0);
}

TEST_F(DiskFullTest, AStepOutOfSpaceOnARoomyLookingDiskWaitsQuietlyAndCarriesOn) {
  Task t = store.add("T");
  workspace.fail_prepare_with("No space left on device");
  const int64_t fake_start = clock.now_ms();
  RunSummary s = run_loop(2, [&](RunLoop&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    workspace.fail_prepare_with("");  // space was freed
  });
  EXPECT_TRUE(s.all_completed());
  EXPECT_EQ(agents.runs(t.id), 1);
  EXPECT_EQ(store.task(t.id).attempts, 1) << "the lack of space cost no attempt";
  EXPECT_EQ(events.count_lines("disk full:"), 1);
  const int64_t minutes = (clock.now_ms() - fake_start) / 60000;
  EXPECT_LE(events.count_lines("still waiting for disk space"), minutes + 1) << "at most one line a minute";
}

}  // namespace
}  // namespace drover::testing
