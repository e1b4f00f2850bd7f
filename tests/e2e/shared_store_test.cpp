// Two project directories sharing one store (issue 17, items 3 and 4): what a
// run in one did is visible from the other — its executor (`drover
// executors`), the machine running each task (`status`), and the agent's
// output (`drover logs`, `--follow` while the agent runs), which the run
// streams into the store. One machine, so "elsewhere" is the other clone.
#include <sys/wait.h>

#include "e2e_project.h"

namespace drover::testing {
namespace {

// Both backends: SQLite (two configs naming one database file) and, when
// DROVER_TEST_POSTGRES_URL is set, PostgreSQL (one schema).
class SharedStore : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::random_device rd;
    shared_ = std::filesystem::temp_directory_path() / ("drover-shared-" + std::to_string(rd()));
    std::filesystem::create_directories(shared_);
    std::string yaml = "storage: { plugin: sqlite, config: { path: \"" + (shared_ / "store.db").string() + "\" } }";
    if (GetParam() == "postgres") {
      yaml = postgres_storage_yaml("e2e_shared_");
      if (yaml.empty()) GTEST_SKIP() << "DROVER_TEST_POSTGRES_URL is not set";
    }
    here_ = std::make_unique<E2EProject>(yaml, 1);
    there_ = std::make_unique<E2EProject>(yaml, 1);
  }
  void TearDown() override {
    here_.reset();
    there_.reset();
    if (!HasFailure()) std::filesystem::remove_all(shared_);
  }
  std::filesystem::path shared_;
  std::unique_ptr<E2EProject> here_, there_;  // `there` runs the agents
};

TEST_P(SharedStore, LogsOfAnAttemptRunInTheOtherCloneComeFromTheStore) {
  const std::string id = there_->add({"[chatty] talk a while"});
  auto run = there_->drover({"run"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  // Not on this side's disk: only the store has it.
  EXPECT_FALSE(std::filesystem::exists(here_->repo() + "/.drover/logs/" + id));
  auto logs = here_->drover({"logs", id});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("chatty line 1\n"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("chatty line 15\n"), std::string::npos) << logs.out;
  // The same bytes as the local file of the clone that ran it (which may end
  // with the sandbox's notes, written after the agent).
  auto local = there_->drover({"logs", id});
  EXPECT_EQ(local.out.rfind(logs.out, 0), 0u) << local.out << "\n---\n" << logs.out;

  // Its executor is listed from here, stopped, holding nothing.
  auto ex = here_->drover({"executors", "--json"});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  json list = json::parse(ex.out);
  ASSERT_EQ(list["executors"].size(), 1u) << ex.out;
  EXPECT_EQ(list["executors"][0]["status"], "stopped");
  EXPECT_EQ(list["executors"][0]["tasks"], json::array());
  EXPECT_GT(list["executors"][0]["pid"].get<int64_t>(), 0);
}

TEST_P(SharedStore, FollowSeesTheOutputWhileTheAgentRunsInTheOtherClone) {
  const std::string id = there_->add({"[chatty] talk a while"});
  const pid_t run = there_->start_drover({"run"}, there_->dir() + "/run.out");
  here_->wait_until_running(1);

  // The executor and the machine of the running task, seen from here.
  auto ex = here_->drover({"executors", "--json"});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  json list = json::parse(ex.out);
  ASSERT_FALSE(list["executors"].empty()) << ex.out;
  EXPECT_EQ(list["executors"][0]["status"], "running");
  EXPECT_EQ(list["executors"][0]["tasks"], json::array({id}));
  json st = here_->status_json();
  EXPECT_FALSE(st["tasks"][0].value("host", "").empty()) << st.dump();

  const std::string out = here_->dir() + "/follow.out";
  const pid_t follow = here_->start_drover({"logs", "--follow", id}, out);
  // A chunk arrives while the agent still talks (it takes 4.5 s).
  bool seen_while_running = false;
  for (int i = 0; i < 200 && !seen_while_running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string text = read_text(out);
    if (text.find("chatty line 1\n") != std::string::npos) {
      seen_while_running = text.find("chatty line 15") == std::string::npos;
      break;
    }
  }
  EXPECT_TRUE(seen_while_running) << read_text(out);
  int status = 0;
  waitpid(follow, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(out);
  EXPECT_NE(read_text(out).find("chatty line 15\n"), std::string::npos) << read_text(out);
  waitpid(run, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_text(there_->dir() + "/run.out");
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedStore, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace drover::testing
