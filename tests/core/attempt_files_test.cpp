// Per-generation, per-attempt, per-round files (engine/attempt_files.h).
#include "drover/engine/attempt_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace drover {
namespace {

namespace fs = std::filesystem;

TEST(AttemptFilesTest, EachGenerationAttemptAndRoundHasItsOwnFiles) {
  AttemptFiles first = attempt_files("/p/.drover", "t3", 0, 1);
  EXPECT_EQ(first.log, "/p/.drover/logs/t3/1.log") << "generation 0, round 1: the layout of earlier versions";
  EXPECT_EQ(first.prompt, "/p/.drover/logs/t3/1.prompt.md");
  EXPECT_EQ(first.verify_log, "/p/.drover/logs/t3/1.verify.log");
  EXPECT_EQ(attempt_files("/p/.drover", "t3", 0, 1, 0).log, first.log);
  AttemptFiles retried = attempt_files("/p/.drover", "t3", 2, 1);
  EXPECT_EQ(retried.dir, "/p/.drover/logs/t3/g2");
  EXPECT_EQ(retried.log, "/p/.drover/logs/t3/g2/1.log");
  AttemptFiles resolve = attempt_files("/p/.drover", "t3", 2, 1, 3);
  EXPECT_EQ(resolve.log, "/p/.drover/logs/t3/g2/1.r3.log");
  EXPECT_EQ(resolve.prompt, "/p/.drover/logs/t3/g2/1.r3.prompt.md");
  EXPECT_EQ(resolve.verify_log, "/p/.drover/logs/t3/g2/1.r3.verify.log");
}

TEST(AttemptFilesTest, RecordedRoundsAreFoundInOrder) {
  const fs::path root = fs::temp_directory_path() / ("drover-attempt-files-" + std::to_string(std::random_device{}()));
  const std::string dir = root.string();
  for (auto [g, a, r] : {std::tuple{0, 1, 1}, {0, 2, 1}, {1, 1, 1}, {1, 1, 2}, {1, 10, 1}}) {
    AttemptFiles f = attempt_files(dir, "t1", g, a, r);
    fs::create_directories(f.dir);
    std::ofstream(f.log) << "x";
    std::ofstream(f.prompt) << "x";
    std::ofstream(f.verify_log) << "x";
  }
  fs::create_directories(root / "logs" / "t1" / "gx");
  std::ofstream((root / "logs" / "t1" / "agent.pid").string()) << "1";
  auto rounds = recorded_rounds(dir, "t1");
  ASSERT_EQ(rounds.size(), 5u);
  EXPECT_EQ(rounds[0].attempt, 1);
  EXPECT_EQ(rounds[1].attempt, 2);
  EXPECT_EQ(rounds[2].generation, 1);
  EXPECT_EQ(rounds[3].round, 2);
  EXPECT_EQ(rounds[3].files.log, attempt_files(dir, "t1", 1, 1, 2).log);
  EXPECT_EQ(rounds[4].attempt, 10) << "numeric order, not text order";
  EXPECT_TRUE(recorded_rounds(dir, "t9").empty());
  fs::remove_all(root);
}

}  // namespace
}  // namespace drover
