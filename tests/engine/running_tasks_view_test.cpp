// RunningTasksView (running_tasks_view.h): this run's running tasks known
// without the store, other executors' read at most once per refresh period,
// a learned path read at the next look.
#include "drover/engine/running_tasks_view.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "fakes/memory_task_store.h"

namespace drover::testing {
namespace {

class RunningTasksViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store.listed = [this](const TaskFilter&, size_t) { ++reads; };
  }
  // Claims the next ready task for executor (now: 1 ms).
  Task claim(const std::string& executor) {
    ClaimRequest req{executor, 60'000, 1, std::nullopt, {}, "", {}};
    auto claimed = store.claim_task(req);
    EXPECT_TRUE(claimed.ok() && claimed.value());
    return *claimed.value();
  }
  static std::vector<std::string> ids(const Result<std::vector<Task>>& tasks) {
    std::vector<std::string> out;
    EXPECT_TRUE(tasks.ok()) << tasks.status().message();
    if (!tasks.ok()) return out;
    for (const Task& t : tasks.value()) out.push_back(t.id);
    std::sort(out.begin(), out.end());
    return out;
  }

  MemoryTaskStore store;
  int reads = 0;
  std::string executor = "this-run";
  RunningTasksView view{store, executor, 1000};
};

TEST_F(RunningTasksViewTest, OwnClaimsAndEndsNeedNoStoreRead) {
  Task a = store.add("a");
  Task b = store.add("b");
  EXPECT_TRUE(ids(view.tasks(0)).empty());
  EXPECT_EQ(reads, 1) << "the first look reads the store";
  view.claimed(claim(executor));
  view.claimed(claim(executor));
  EXPECT_EQ(ids(view.tasks(10)), (std::vector<std::string>{a.id, b.id}));
  view.ended(a.id);
  EXPECT_EQ(ids(view.tasks(20)), std::vector<std::string>{b.id});
  EXPECT_EQ(reads, 1) << "no read within the refresh period";
}

TEST_F(RunningTasksViewTest, AnotherExecutorsTaskIsSeenWithinTheRefreshPeriod) {
  Task a = store.add("a");
  EXPECT_TRUE(ids(view.tasks(0)).empty());
  claim("other-run");
  EXPECT_TRUE(ids(view.tasks(999)).empty()) << "not read again before the period ends";
  EXPECT_EQ(ids(view.tasks(1000)), std::vector<std::string>{a.id});
  EXPECT_EQ(reads, 2);
  // Taken over by this run (its lease expired): listed once, as this run's.
  view.claimed(store.task(a.id));
  EXPECT_EQ(ids(view.tasks(1001)), std::vector<std::string>{a.id});
}

TEST_F(RunningTasksViewTest, ATaskThisRunEndedIsNotBroughtBackByAReadThatStillSawItRunning) {
  Task a = store.add("a");
  Task mine = claim(executor);
  view.claimed(mine);
  view.ended(mine.id);  // the store still has it running: its completion is on its way
  EXPECT_TRUE(ids(view.tasks(5000)).empty());
  EXPECT_EQ(reads, 1);
  (void)a;
}

TEST_F(RunningTasksViewTest, ALearnedPathIsReadAtTheNextLook) {
  store.add("a");
  Task mine = claim(executor);
  view.claimed(mine);
  ASSERT_EQ(view.tasks(0).value().front().learned_touches.size(), 0u);
  TaskUpdate u;
  u.learned_touches = std::vector<std::string>{"src/lexer.cc"};
  ASSERT_TRUE(store.update_task(mine.id, u, 2).ok());
  view.changed();
  auto tasks = view.tasks(1);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks.value().size(), 1u);
  EXPECT_EQ(tasks.value().front().learned_touches, std::vector<std::string>{"src/lexer.cc"});
  EXPECT_EQ(reads, 2);
}

TEST_F(RunningTasksViewTest, AFailedReadIsReturnedAndTriedAgainAtTheNextLook) {
  store.fault = [](const std::string& op) {
    return op == "list_tasks" ? Status::Unavailable("the store is away") : Status::Ok();
  };
  auto failed = view.tasks(0);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  store.fault = nullptr;
  EXPECT_TRUE(view.tasks(1).ok());
  EXPECT_EQ(reads, 1) << "the failed read is not counted by the fake; the second look read";
}

}  // namespace
}  // namespace drover::testing
