// Issue 14: an agent's error that a retry cannot change (outcome permanent)
// fails its task at the first attempt with the agent's message, under a real
// `drover run` with the exec test agent.
#include "e2e_project.h"

namespace {

using drover::testing::E2EProject;

// ... and its dependents stay blocked.
TEST(PermanentError, FailsTheTaskAtItsFirstAttempt) {
  E2EProject p;
  std::string id = p.add({"Title [permanent]"});
  std::string after = p.add({"After", "--blocked-by", id});
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("permanent error: the model API answered 400: model fake-x does not exist (attempt 1; not retried)"),
            std::string::npos)
      << run.out;
  auto j = nlohmann::json::parse(p.drover({"info", id, "--json"}).out, nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["task"]["attempts"], 1) << "max_attempts is 2: a permanent error is not retried";
  EXPECT_EQ(p.task_states()[after], "blocked");
}

}  // namespace
