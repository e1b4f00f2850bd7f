// Path globs (common/path_glob.h) and task overlap (model/task_overlap.h).
#include "drover/common/path_glob.h"

#include <gtest/gtest.h>

#include "drover/model/task_overlap.h"

namespace drover {
namespace {

TEST(PathGlobTest, StarAndQuestionMarkStayInOneSegment) {
  EXPECT_TRUE(glob_matches("docs/*.md", "docs/cli.md"));
  EXPECT_FALSE(glob_matches("docs/*.md", "docs/sub/cli.md"));
  EXPECT_TRUE(glob_matches("src/?.cc", "src/a.cc"));
  EXPECT_FALSE(glob_matches("src/?.cc", "src/ab.cc"));
  EXPECT_FALSE(glob_matches("src?a", "src/a"));
  EXPECT_TRUE(glob_matches("*", "README"));
  EXPECT_FALSE(glob_matches("*", "a/b"));
  EXPECT_TRUE(glob_matches("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(glob_matches("a*b*c", "aXXbYY"));
}

TEST(PathGlobTest, DoubleStarMatchesAnyNumberOfSegments) {
  EXPECT_TRUE(glob_matches("src/parser/**", "src/parser/lexer.cc"));
  EXPECT_TRUE(glob_matches("src/parser/**", "src/parser/a/b/c.h"));
  EXPECT_FALSE(glob_matches("src/parser/**", "src/parserx/a"));
  EXPECT_TRUE(glob_matches("a/**/b", "a/b"));
  EXPECT_TRUE(glob_matches("a/**/b", "a/x/y/b"));
  EXPECT_FALSE(glob_matches("a/**/b", "a/x/y/c"));
  EXPECT_TRUE(glob_matches("**/*.md", "docs/cli.md"));
  EXPECT_TRUE(glob_matches("**/*.md", "README.md"));
  EXPECT_TRUE(glob_matches("**", "anything/at/all"));
}

TEST(PathGlobTest, LiteralsMatchThemselvesOnly) {
  EXPECT_TRUE(glob_matches("docs/cli.md", "docs/cli.md"));
  EXPECT_FALSE(glob_matches("docs/cli.md", "docs/cli.mdx"));
  EXPECT_FALSE(glob_matches("docs", "docs/cli.md"));
}

TEST(PathGlobTest, OverlapIsConservativeForTwoPatterns) {
  EXPECT_TRUE(globs_may_overlap("src/parser/**", "src/parser/lexer.cc"));
  EXPECT_TRUE(globs_may_overlap("src/parser/lexer.cc", "src/**"));
  EXPECT_FALSE(globs_may_overlap("src/parser/**", "docs/cli.md"));
  EXPECT_TRUE(globs_may_overlap("src/**", "src/parser/*.cc"));
  EXPECT_TRUE(globs_may_overlap("src/p*", "src/parser/**"));
  EXPECT_FALSE(globs_may_overlap("src/parser/**", "docs/**"));
  EXPECT_TRUE(globs_may_overlap("**/*.md", "docs/**")) << "no literal prefix: may overlap anything";
  EXPECT_TRUE(globs_may_overlap("a.txt", "a.txt"));
  EXPECT_FALSE(globs_may_overlap("a.txt", "b.txt"));
}

TEST(PathGlobTest, SplitsAndChecksTouchesLists) {
  EXPECT_EQ(split_touches(" src/parser/** , docs/cli.md,,"),
            (std::vector<std::string>{"src/parser/**", "docs/cli.md"}));
  EXPECT_TRUE(split_touches("").empty());
  EXPECT_FALSE(touches_problem({"src/**", "docs/cli.md"}, "--touches"));
  auto absolute = touches_problem({"/etc/passwd"}, "--touches");
  ASSERT_TRUE(absolute);
  EXPECT_NE(absolute->find("--touches: '/etc/passwd' is absolute"), std::string::npos) << *absolute;
  EXPECT_TRUE(touches_problem({"../x"}, "touches"));
  EXPECT_TRUE(touches_problem({"a//b"}, "touches"));
  EXPECT_TRUE(touches_problem({"a\x1b[2Jb"}, "touches"));
}

Task task(const std::string& id, TaskStatus status, std::vector<std::string> touches,
          std::vector<std::string> learned = {}) {
  Task t;
  t.id = id;
  t.status = status;
  t.touches = std::move(touches);
  t.learned_touches = std::move(learned);
  return t;
}

TEST(TaskOverlapTest, ReadyTasksOverlappingARunningOneAreHeldWithTheReason) {
  std::vector<Task> tasks{task("t1", TaskStatus::kRunning, {"src/parser/**"}),
                          task("t2", TaskStatus::kReady, {"docs/cli.md", "src/parser/lexer.cc"}),
                          task("t3", TaskStatus::kReady, {"docs/**"}),
                          task("t4", TaskStatus::kReady, {}),
                          task("t5", TaskStatus::kReady, {"src/**"}, {}),
                          task("t6", TaskStatus::kWaiting, {"src/**"})};
  auto held = held_by_overlap(tasks);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(describe(held.at("t2")), "overlaps t1 on src/parser/lexer.cc");
  EXPECT_EQ(describe(held.at("t5")), "overlaps t1 on src/**");
}

TEST(TaskOverlapTest, LearnedPathsCountOnBothSides) {
  std::vector<Task> tasks{task("t1", TaskStatus::kRunning, {}, {"notes.txt"}),
                          task("t2", TaskStatus::kReady, {"*.txt"}),
                          task("t3", TaskStatus::kReady, {}, {"notes.txt"}),
                          task("t4", TaskStatus::kReady, {}, {"other.txt"})};
  auto held = held_by_overlap(tasks);
  EXPECT_EQ(held.size(), 2u);
  EXPECT_TRUE(held.count("t2"));
  EXPECT_TRUE(held.count("t3"));
}

}  // namespace
}  // namespace drover
