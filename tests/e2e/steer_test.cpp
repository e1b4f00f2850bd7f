// End to end: steering tasks (edit, rm, dep rm, pause/unpause, reset --all's
// confirmation), declared touches (add --touches, plans) and overlap-aware
// dispatch through the real binary.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fstream>

#include "e2e_project.h"

namespace drover::testing {
namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

json task_json(const E2EProject& p, const std::string& id) {
  auto info = p.drover({"info", id, "--json"});
  EXPECT_EQ(info.exit_code, 0) << info.err;
  return json::parse(info.out)["task"];
}

TEST(Steer, AddTouchesAndEditATask) {
  E2EProject p;
  std::string t = p.add({"Parser", "--touches", "src/parser/**, docs/cli.md"});
  EXPECT_EQ(task_json(p, t)["touches"], json({"src/parser/**", "docs/cli.md"}));

  auto bad = p.drover({"add", "Abs", "--touches", "/etc/x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(has(bad.err, "drover: --touches: '/etc/x' is absolute")) << bad.err;

  auto e = p.drover({"edit", t, "--title", "Parser v2", "--priority", "high", "--touches", "src/**", "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  json edited = json::parse(e.out);
  EXPECT_EQ(edited["title"], "Parser v2");
  EXPECT_EQ(edited["touches"], json({"src/**"}));
  auto plain = p.drover({"edit", t, "-d", "more detail"});
  EXPECT_EQ(plain.out, t + ": edited description (ready)\n");

  auto nothing = p.drover({"edit", t});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_TRUE(has(nothing.err, "drover: edit: nothing to change for " + t + "; give one or more of --title"))
      << nothing.err;
  auto agent = p.drover({"edit", t, "--agent", "tset"});
  EXPECT_EQ(agent.exit_code, 2);
  EXPECT_TRUE(has(agent.err, "edit --agent: no agent named 'tset'")) << agent.err;
  EXPECT_TRUE(has(agent.err, "did you mean 'test'?")) << agent.err;
  auto missing = p.drover({"edit", "t99", "--title", "x"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(has(missing.err, "task t99 does not exist")) << missing.err;
}

TEST(Steer, RemoveRefusesDependentsUnlessCascadeWhichNeedsYesWithoutATerminal) {
  E2EProject p;
  std::string a = p.add({"A"});
  std::string b = p.add({"B", "--blocked-by", a});
  std::string c = p.add({"C"});
  auto refused = p.drover({"rm", a});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(has(refused.err, "drover: rm: " + b + " waits for " + a + "; `drover rm " + a + " --cascade`"))
      << refused.err;
  auto unconfirmed = p.drover({"rm", a, "--cascade"});
  EXPECT_EQ(unconfirmed.exit_code, 2);
  EXPECT_TRUE(has(unconfirmed.err, "pass --yes to confirm")) << unconfirmed.err;
  EXPECT_EQ(p.task_states().size(), 3u) << "nothing removed";
  auto removed = p.drover({"rm", a, "--cascade", "--yes", "--json"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_EQ(json::parse(removed.out)["removed"], json({a, b}));
  auto states = p.task_states();
  EXPECT_EQ(states.size(), 1u);
  EXPECT_TRUE(states.count(c));
  auto single = p.drover({"rm", c});
  EXPECT_EQ(single.out, "removed " + c + "\n");
}

TEST(Steer, DepRmLetsAWaitingTaskRun) {
  E2EProject p;
  std::string a = p.add({"A"});
  std::string b = p.add({"B", "--blocked-by", a});
  auto r = p.drover({"dep", "rm", b, a});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, b + " no longer waits for " + a + " (ready)\n");
  auto again = p.drover({"dep", "rm", b, a});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(has(again.err, "drover: dep rm: " + b + " does not wait for " + a + " (it waits for nothing)"))
      << again.err;
}

TEST(Steer, APausedTaskIsNotRunUntilUnpaused) {
  E2EProject p;
  std::string a = p.add({"A"});
  std::string b = p.add({"B"});
  auto pause = p.drover({"pause", a});
  ASSERT_EQ(pause.exit_code, 0) << pause.err;
  EXPECT_EQ(pause.out, a + ": paused\n");
  auto run = p.drover({"run"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto states = p.task_states();
  EXPECT_EQ(states[a], "ready");
  EXPECT_EQ(states[b], "completed");
  auto status = p.drover({"status"});
  EXPECT_TRUE(has(status.out, "paused " + a + ": not started until `drover unpause " + a + "`")) << status.out;
  auto watch = p.drover({"status", "--watch"});
  EXPECT_EQ(watch.exit_code, 0);
  EXPECT_TRUE(has(watch.err, "drover: 1 ready task is paused and nothing else can run; `drover unpause <id>`"))
      << watch.err;
  ASSERT_EQ(p.drover({"unpause", a}).exit_code, 0);
  EXPECT_EQ(p.drover({"run"}).exit_code, 0);
  EXPECT_EQ(p.task_states()[a], "completed");
  auto done = p.drover({"pause", a});
  EXPECT_EQ(done.exit_code, 2);
  EXPECT_TRUE(has(done.err, "drover: pause: task " + a + " is completed")) << done.err;
}

TEST(Steer, ResetAllAsksForYesWithoutATerminal) {
  E2EProject p;
  std::string a = p.add({"A"});
  ASSERT_EQ(p.drover({"run"}).exit_code, 0);
  auto refused = p.drover({"reset", "--all"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_TRUE(has(refused.err, "drover: reset --all: puts 1 task back to run again, completed ones too; pass --yes"))
      << refused.err;
  EXPECT_EQ(p.task_states()[a], "completed");
  auto reset = p.drover({"reset", "--all", "--yes"});
  EXPECT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(p.task_states()[a], "ready");
}

TEST(Steer, OverlappingTasksRunOneAfterTheOther) {
  E2EProject p("", 2);
  std::string a = p.add({"First [medium]", "--touches", "src/**"});
  std::string b = p.add({"Second", "--touches", "src/parser/x.cc"});
  const std::string out_file = p.dir() + "/run.out";
  pid_t run = p.start_drover({"run"}, out_file);
  p.wait_until_running(1);
  auto status = p.drover({"status"});
  EXPECT_TRUE(has(status.out, "held " + b + ": overlaps " + a + " on src/parser/x.cc (starts when " + a +
                                  " has finished; merge.overlap: hold)"))
      << status.out;
  json held;
  const json st = p.status_json();  // kept alive: the loop below refers into it
  for (const auto& t : st["tasks"])
    if (t["id"] == b) held = t.value("held", json());
  EXPECT_EQ(held, json({{"overlaps", a}, {"path", "src/parser/x.cc"}}));
  int wstatus = 0;
  waitpid(run, &wstatus, 0);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << read_text(out_file);
  EXPECT_TRUE(has(read_text(out_file), b + ": held: overlaps " + a + " on src/parser/x.cc")) << read_text(out_file);
  EXPECT_EQ(p.max_concurrency(), 1);
}

TEST(Steer, PostgresStoreSteersToo) {
  const std::string storage = postgres_storage_yaml("steer_");
  if (storage.empty()) GTEST_SKIP() << "DROVER_TEST_POSTGRES_URL is not set";
  E2EProject p(storage);
  std::string a = p.add({"A", "--touches", "src/**"});
  std::string b = p.add({"B", "--blocked-by", a});
  ASSERT_EQ(p.drover({"edit", b, "--title", "B2"}).exit_code, 0);
  ASSERT_EQ(p.drover({"pause", a}).exit_code, 0);
  auto dep = p.drover({"dep", "rm", b, a});
  EXPECT_EQ(dep.out, b + " no longer waits for " + a + " (ready)\n") << dep.err;
  auto rm = p.drover({"rm", a, "--json"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_EQ(json::parse(rm.out)["removed"], json({a}));
  EXPECT_EQ(p.drover({"run"}).exit_code, 0);
  EXPECT_EQ(p.task_states()[b], "completed");
}

TEST(Steer, PlansCarryTouches) {
  E2EProject p;
  std::ofstream(p.dir() + "/plan.yaml") << "tasks:\n"
                                           "  - key: parser\n"
                                           "    title: Parser\n"
                                           "    touches: [src/parser/**, docs/cli.md]\n";
  ASSERT_EQ(p.drover({"import", p.dir() + "/plan.yaml"}).exit_code, 0);
  EXPECT_EQ(task_json(p, "t1")["touches"], json({"src/parser/**", "docs/cli.md"}));
  auto exported = p.drover({"export", "--format", "jsonl"});
  EXPECT_TRUE(has(exported.out, "\"touches\":[\"src/parser/**\",\"docs/cli.md\"]")) << exported.out;
  std::ofstream(p.dir() + "/bad.yaml") << "tasks:\n"
                                          "  - key: x\n"
                                          "    title: X\n"
                                          "    touches: [../outside]\n";
  auto bad = p.drover({"import", p.dir() + "/bad.yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(has(bad.err, "bad.yaml:4: touches of task 'x': '../outside' leaves the repository")) << bad.err;
}

TEST(Steer, LogsPicksAnAttemptAndARound) {
  E2EProject p;
  std::string t = p.add({"Logged"});
  ASSERT_EQ(p.drover({"run"}).exit_code, 0);
  auto latest = p.drover({"logs", t});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  auto first_round = p.drover({"logs", t, "--attempt", "1", "--round", "1"});
  EXPECT_EQ(first_round.out, latest.out);
  auto no_round = p.drover({"logs", t, "--round", "2"});
  EXPECT_EQ(no_round.exit_code, 2);
  EXPECT_TRUE(has(no_round.err, "drover: attempt 1 of task " + t + " has had 1 round, not 2; leave out --round"))
      << no_round.err;
  // After a retry the earlier generation's log is still shown until the task runs again.
  ASSERT_EQ(p.drover({"reset", t}).exit_code, 0);
  auto after_reset = p.drover({"logs", t});
  EXPECT_EQ(after_reset.exit_code, 0) << after_reset.err;
  EXPECT_EQ(after_reset.out, latest.out);
}

}  // namespace
}  // namespace drover::testing
