// Conformance across processes sharing one store: concurrent claimers never
// hand out a task twice, a SIGKILLed writer leaves the store consistent, and
// an expired lease is reclaimed exactly once when several executors race.
//
// Each child process opens its own store handle through the plugin (the
// parent closes its own first: an SQLite connection must not cross fork()).
#include <signal.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "storage_fixture.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;
using Clock = std::chrono::steady_clock;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

TEST_P(StorageProcesses, ConcurrentClaimersHandOutEveryTaskExactlyOnce) {
  constexpr int kTasks = 200;
  for (int i = 1; i <= kTasks; ++i) {
    Json extra = Json::object();
    // Every tenth task waits for the one before it, so completions unblock work mid-race.
    if (i % 10 == 0) extra["blocked_by"] = {"t" + std::to_string(i - 1)};
    extra["priority"] = i % 3;
    create_task("task " + std::to_string(i), extra);
  }
  close_store();

  const int processes = backend().concurrent_processes;
  StartLine start;
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    children.push_back(spawn_child([&, p]() -> int {
      start.wait();
      StoreSession store(load_plugin_in_child(backend()), location());
      if (!store.is_open()) throw std::runtime_error("open: " + store.open_result().error);
      std::string executor = "proc-" + std::to_string(p);
      std::string claims = location().directory + "/claims-" + std::to_string(p);
      Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
      while (Clock::now() < deadline) {
        Json c = store.must(&V::claim_task, {{"executor", executor}, {"lease_ms", 600'000}, {"now_ms", kT0},
                                             {"default_agent", "claude"}});
        if (c.is_null()) {
          Json s = store.must(&V::summary, Json::object());
          if (s["counts"].value("completed", 0) == kTasks) return 0;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        append_line(claims, c["id"].get<std::string>());
        store.must(&V::complete_task, {{"id", c["id"]}, {"executor", executor}, {"now_ms", kT0}});
      }
      return 3;  // ran out of time
    }));
  }
  start.release();
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(90);
  for (size_t p = 0; p < children.size(); ++p) {
    EXPECT_EQ(wait_child(children[p], deadline), "exit 0") << "claimer process " << p;
  }

  std::map<std::string, int> handed_out;
  for (int p = 0; p < processes; ++p) {
    for (const std::string& id : lines_of(read_file(location().directory + "/claims-" + std::to_string(p)))) {
      ++handed_out[id];
    }
  }
  EXPECT_EQ(handed_out.size(), static_cast<size_t>(kTasks)) << "every task is handed out";
  for (const auto& [id, times] : handed_out) EXPECT_EQ(times, 1) << id << " was handed out " << times << " times";

  reopen_store();
  Json s = ok(&V::summary, Json::object());
  EXPECT_EQ(s["counts"].value("completed", 0), kTasks);
}

TEST_P(StorageProcesses, ExpiredLeaseIsReclaimedExactlyOnceUnderRacingClaimers) {
  constexpr int kTasks = 6;
  for (int i = 0; i < kTasks; ++i) create_task("abandoned " + std::to_string(i));
  for (int i = 0; i < kTasks; ++i) ASSERT_TRUE(claim("crashed-executor", kT0, {{"lease_ms", 1000}}).is_object());
  close_store();

  const int processes = backend().concurrent_processes;
  StartLine start;
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    children.push_back(spawn_child([&, p]() -> int {
      StoreSession store(load_plugin_in_child(backend()), location());
      if (!store.is_open()) throw std::runtime_error("open: " + store.open_result().error);
      start.wait();  // opened first, so the race is on the claim itself
      std::string executor = "racer-" + std::to_string(p);
      std::string out = location().directory + "/reclaims-" + std::to_string(p);
      for (;;) {
        Json c = store.must(&V::claim_task, {{"executor", executor}, {"lease_ms", 600'000}, {"now_ms", kT0 + 5000},
                                             {"default_agent", "claude"}});
        if (c.is_null()) return 0;
        append_line(out, c["id"].get<std::string>() + " " + (c.value("reclaimed", false) ? "reclaimed" : "fresh") +
                             " " + c["lease_owner"].get<std::string>());
      }
    }));
  }
  start.release();
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
  for (pid_t child : children) EXPECT_EQ(wait_child(child, deadline), "exit 0");

  std::map<std::string, int> reclaimed;
  for (int p = 0; p < processes; ++p) {
    for (const std::string& line : lines_of(read_file(location().directory + "/reclaims-" + std::to_string(p)))) {
      std::istringstream fields(line);
      std::string id, how, owner;
      fields >> id >> how >> owner;
      EXPECT_EQ(how, "reclaimed") << line;
      EXPECT_EQ(owner, "racer-" + std::to_string(p)) << line;
      ++reclaimed[id];
    }
  }
  EXPECT_EQ(reclaimed.size(), static_cast<size_t>(kTasks));
  for (const auto& [id, times] : reclaimed) EXPECT_EQ(times, 1) << id;

  reopen_store();
  for (const Json& t : list_tasks()) {
    EXPECT_EQ(t["status"], "running");
    EXPECT_EQ(t["lease_owner"].get<std::string>().rfind("racer-", 0), 0u) << t["lease_owner"];
  }
}

// The writer: every iteration touches tasks, dependencies, leases, workflow
// steps and events, and reports progress on `progress` after committing.
int killable_writer(const Backend& backend, const StoreLocation& location, int round, int progress_fd) {
  StoreSession store(load_plugin_in_child(backend), location);
  if (!store.is_open()) throw std::runtime_error("open: " + store.open_result().error);
  std::string workflow = "writer-" + std::to_string(round);
  std::string executor = "writer-" + std::to_string(round);
  store.must(&V::start_workflow,
             {{"id", workflow}, {"name", "w"}, {"input", round}, {"executor", executor}, {"now_ms", 1}});
  std::string previous;
  for (int i = 0;; ++i) {
    Json request = {{"title", "w" + std::to_string(round) + "-" + std::to_string(i)},
                    {"description", std::string(512, 'x')},
                    {"now_ms", 1000 + i}};
    if (!previous.empty() && i % 3 != 0) request["blocked_by"] = {previous};
    Json t = store.must(&V::create_task, request);
    previous = t["id"];
    store.must(&V::record_step, {{"workflow_id", workflow}, {"step", i}, {"name", "s"}, {"outcome", previous},
                                 {"now_ms", 1000 + i}});
    Json c = store.must(&V::claim_task,
                        {{"executor", executor}, {"lease_ms", 1000}, {"now_ms", 1000 + i}, {"default_agent", "a"}});
    if (c.is_object()) {
      if (i % 4 == 0) {
        store.must(&V::fail_task, {{"id", c["id"]}, {"executor", executor}, {"now_ms", 1000 + i}, {"error", "e"}});
      } else {
        store.must(&V::complete_task, {{"id", c["id"]}, {"executor", executor}, {"now_ms", 1000 + i}});
      }
    }
    store.must(&V::append_event, {{"kind", "tick"}, {"message", std::to_string(i)}, {"now_ms", 1000 + i}});
    char byte = 1;
    if (write(progress_fd, &byte, 1) != 1) return 4;
  }
}

TEST_P(StorageProcesses, SigkilledWriterLeavesTheStoreConsistentAndUsable) {
  close_store();
  std::mt19937 rng(std::random_device{}());
  constexpr int kRounds = 4;
  std::vector<int> steps_done(kRounds, 0);
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t child = spawn_child([&]() -> int {
      close(fds[0]);
      return killable_writer(backend(), location(), round, fds[1]);
    });
    close(fds[1]);
    // Let it commit a random number of iterations, then kill it mid-stride.
    int target = std::uniform_int_distribution<int>(5, 40)(rng);
    int seen = 0;
    char byte;
    Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
    while (seen < target && Clock::now() < deadline && read(fds[0], &byte, 1) == 1) ++seen;
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
    kill(child, SIGKILL);
    EXPECT_EQ(wait_child(child, Clock::now() + std::chrono::seconds(10)), "signal 9")
        << "the writer should still have been running";
    while (read(fds[0], &byte, 1) == 1) ++seen;  // progress written before the kill landed
    close(fds[0]);
    ASSERT_GE(seen, target) << "writer made too little progress in round " << round;
    steps_done[round] = seen;
  }

  reopen_store();
  ASSERT_TRUE(store().is_open()) << store().open_result().error;
  ok(&V::describe, Json::object());
  Json tasks = list_tasks();
  ASSERT_TRUE(tasks.is_array());
  std::map<std::string, Json> by_id;
  for (const Json& t : tasks) EXPECT_TRUE(by_id.emplace(t["id"], t).second) << "duplicate id " << t["id"];
  for (const auto& [id, t] : by_id) {
    bool all_complete = true;
    bool any_blocked = false;
    for (const Json& b : t["blocked_by"]) {
      ASSERT_TRUE(by_id.count(b)) << id << " is blocked by missing " << b;
      const Json& blocker = by_id[b];
      Json blocks = blocker["blocks"];
      EXPECT_NE(std::find(blocks.begin(), blocks.end(), id), blocks.end()) << b << " should list " << id;
      all_complete &= blocker["status"] == "completed";
      any_blocked |= blocker["status"] == "failed" || blocker["status"] == "blocked";
    }
    if (t["status"] == "ready") {
      EXPECT_TRUE(all_complete) << id << " is ready with an incomplete blocker";
    }
    if (t["status"] == "waiting") {
      EXPECT_FALSE(all_complete) << id << " waits for nothing";
      EXPECT_FALSE(any_blocked) << id << " should be blocked";
    }
  }
  // Every committed checkpoint survived, with no gaps.
  for (int round = 0; round < kRounds; ++round) {
    Json wf = ok(&V::get_workflow, {{"id", "writer-" + std::to_string(round)}});
    ASSERT_GE(wf["steps"].size(), static_cast<size_t>(steps_done[round])) << "round " << round;
    for (size_t i = 0; i < wf["steps"].size(); ++i) EXPECT_EQ(wf["steps"][i]["step"], static_cast<int>(i));
  }
  // Still fully usable: fresh ids, and the dead writers' leases can be reclaimed.
  Json fresh = create_task("after the crash");
  EXPECT_FALSE(by_id.count(fresh["id"])) << "id " << fresh["id"] << " was reused";
  for (int i = 0; i < 3; ++i) {
    Json c = claim("survivor", kT0 * 2);
    if (c.is_null()) break;
    EXPECT_EQ(complete(c["id"], "survivor", kT0 * 2)["task"]["status"], "completed");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageProcesses, ::testing::ValuesIn(conformance_backends()), backend_test_name);

}  // namespace
}  // namespace drover::storage_test
