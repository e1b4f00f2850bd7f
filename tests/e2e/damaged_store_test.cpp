// End to end: a SQLite store damaged between runs (issue 11: `dd` of 4 KiB of
// random bytes in the middle of the file, among the tasks' pages). Every command refuses quickly with exit 2,
// the file's path and what to do; the file is not modified further; `drover
// export` still saves what can be read.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <random>

#include "e2e_project.h"

namespace drover::testing {
namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct timespec mtime_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mtim;
}

TEST(DamagedStore, EveryCommandRefusesWithThePathAndTheFileIsLeftAlone) {
  E2EProject p;
  // Two hundred tasks with long descriptions (most of the file), all waiting
  // for the first, so an unfixed drover would run only one agent.
  std::string plan = p.dir() + "/plan.jsonl";
  {
    std::ofstream out(plan);
    out << json{{"type", "task"}, {"id", "T0"}, {"title", "first"}}.dump() << "\n";
    for (int i = 1; i < 200; ++i) {
      out << json{{"type", "task"}, {"id", "T" + std::to_string(i)}, {"title", "task " + std::to_string(i)},
                  {"description", std::string(600, 'd')}, {"blocked_by", {"T0"}}}
                 .dump()
          << "\n";
    }
  }
  auto imp = p.drover({"import", plan});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  const std::string db = p.repo() + "/.drover/drover.db";
  {
    std::fstream f(db, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(0, std::ios::end);
    // The middle of the file: tasks' pages, whatever the schema's empty
    // tables take at its start (schema 5 put executors' at offset 100000).
    const long size = static_cast<long>(f.tellp());
    ASSERT_GT(size, 100000 + 4096);
    f.seekp(size / 2 / 4096 * 4096 + 100);
    std::mt19937 rng(11);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>(rng()));
  }
  const std::string bytes = read_bytes(db);
  const struct timespec mtime = mtime_of(db);

  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"status"}, {"run"}, {"resume"}, {"add", "one more"}}) {
    const std::string& command = args[0];
    auto started = std::chrono::steady_clock::now();
    auto r = p.drover(args);
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.out << r.err;
    EXPECT_LT(seconds, 10) << command;
    EXPECT_NE(r.err.find(db), std::string::npos) << command << ": " << r.err;
    EXPECT_NE(r.err.find("damaged"), std::string::npos) << command << ": " << r.err;
    EXPECT_NE(r.err.find("drover export"), std::string::npos) << command << ": " << r.err;
  }
  // Export opens the store read-only and writes what it can read, warning.
  auto exported = p.drover({"export", "--format", "jsonl"});
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.err.find("damaged"), std::string::npos) << exported.err;

  EXPECT_EQ(read_bytes(db), bytes) << "nothing more may be written to a damaged store";
  const struct timespec after = mtime_of(db);
  EXPECT_EQ(after.tv_sec, mtime.tv_sec);
  EXPECT_EQ(after.tv_nsec, mtime.tv_nsec);
  std::ifstream trace(p.dir() + "/trace");
  EXPECT_FALSE(trace.good()) << "no agent may run on a damaged store";
}

}  // namespace
}  // namespace drover::testing
