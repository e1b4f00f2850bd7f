#include "user_terms.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

TEST(UserTerms, DropsTheStorageOperationAndItsApiHints) {
  EXPECT_EQ(in_user_terms("create_task: epic e7 does not exist; create it first (list_epics shows the ids)"),
            "epic e7 does not exist; create it first (`drover epic list` shows the epic ids)");
  EXPECT_EQ(in_user_terms("get_task: task t99 does not exist; list_tasks shows the ids"),
            "task t99 does not exist; `drover status --tree` shows the task ids");
  EXPECT_EQ(in_user_terms("reset_task: task t2 is ready; retry applies to failed, blocked or cancelled tasks (use mode reset)"),
            "task t2 is ready; retry applies to failed, blocked or cancelled tasks (`drover reset` puts it back)");
}

TEST(UserTerms, LeavesOtherMessagesAsTheyAre) {
  for (const char* text : {"vcs git: the worktree of task t1 has uncommitted changes",
                           "/repo/drover.yaml:3:5: workers: must be a number", "t1: completed",
                           "default_agent: missing; several agents are configured", "disk full: 3 MiB free"})
    EXPECT_EQ(in_user_terms(text), text);
}

}  // namespace
}  // namespace drover::cli
