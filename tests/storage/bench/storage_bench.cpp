// storage_bench: throughput and latency of the storage operations the engine
// leans on, for each available backend (sqlite always; postgres when
// DROVER_TEST_POSTGRES_URL is set and the plugin is built; a third-party
// plugin via DROVER_CONFORMANCE_PLUGIN/DROVER_CONFORMANCE_CONFIG).
//
//   storage_bench [--seconds S]     S: time budget per throughput figure (default 3)
//
// Figures: step checkpoints/s (record_step) with one writer and with 4 writer
// processes, claims/s, and the latency of complete_task on a task with 100
// dependents. It goes through the plugin ABI exactly like the engine does
// (JSON in, JSON out), so the numbers include serialisation.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "child_process.h"
#include "store_session.h"

namespace drover::storage_test {
namespace {

using V = drover_storage_vtable_v1;
using Clock = std::chrono::steady_clock;
constexpr int kWriterProcesses = 4;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Records steps into workflow `id` until the budget is spent; returns the count.
int64_t record_steps(const StoreSession& store, const std::string& id, double budget_s) {
  store.must(&V::start_workflow, {{"id", id}, {"name", "bench"}, {"input", nullptr}, {"executor", id}, {"now_ms", 1}});
  Clock::time_point start = Clock::now();
  int64_t n = 0;
  while (seconds_since(start) < budget_s) {
    store.must(&V::record_step, {{"workflow_id", id},
                                 {"step", n},
                                 {"name", "step"},
                                 {"outcome", {{"worktree", "/tmp/wt"}, {"ok", true}}},
                                 {"now_ms", 1000 + n}});
    ++n;
  }
  return n;
}

struct Figures {
  double steps_one_writer = 0;
  double steps_four_writers = 0;
  double claims = 0;
  double complete_median_ms = 0;
  double complete_p95_ms = 0;
  double complete_max_ms = 0;
};

Figures run_backend(const Backend& backend, double budget_s) {
  Figures f;
  const drover::testing::AbiPlugin& plugin = load_plugin(backend);
  std::string directory = make_temp_directory();
  StoreLocation location = backend.make_location(unique_name(), directory);
  auto store = std::make_unique<StoreSession>(plugin, location);
  if (!store->is_open()) throw std::runtime_error("open failed: " + store->open_result().error);

  // 1. One writer.
  Clock::time_point start = Clock::now();
  int64_t steps = record_steps(*store, "single", budget_s);
  f.steps_one_writer = static_cast<double>(steps) / seconds_since(start);

  // 2. Concurrent writer processes, each on its own workflow, same store.
  store.reset();  // no connection may cross fork()
  StartLine line;
  std::vector<pid_t> children;
  for (int p = 0; p < kWriterProcesses; ++p) {
    children.push_back(spawn_child([&, p]() -> int {
      StoreSession child(plugin, location);
      if (!child.is_open()) throw std::runtime_error("open failed: " + child.open_result().error);
      line.wait();
      int64_t n = record_steps(child, "writer-" + std::to_string(p), budget_s);
      append_line(directory + "/writer-" + std::to_string(p), std::to_string(n));
      return 0;
    }));
  }
  start = Clock::now();
  line.release();
  int64_t total = 0;
  for (int p = 0; p < kWriterProcesses; ++p) {
    std::string how = wait_child(children[p], Clock::now() + std::chrono::seconds(static_cast<int>(budget_s) + 60));
    if (how != "exit 0") throw std::runtime_error("writer process " + std::to_string(p) + ": " + how);
    total += std::stoll(read_file(directory + "/writer-" + std::to_string(p)));
  }
  f.steps_four_writers = static_cast<double>(total) / seconds_since(start);
  store = std::make_unique<StoreSession>(plugin, location);

  // 3. Claims: a backlog of ready tasks claimed one by one.
  constexpr int kBacklog = 2000;
  for (int i = 0; i < kBacklog; ++i) {
    store->must(&V::create_task, {{"title", "task " + std::to_string(i)}, {"priority", i % 5}, {"now_ms", 1}});
  }
  start = Clock::now();
  int claimed = 0;
  while (seconds_since(start) < budget_s) {
    Json c = store->must(&V::claim_task,
                         {{"executor", "bench"}, {"lease_ms", 600000}, {"now_ms", 2}, {"default_agent", "claude"}});
    if (c.is_null()) break;
    ++claimed;
  }
  f.claims = claimed / seconds_since(start);

  // 4. complete_task on a task with 100 dependents (all become ready in that call).
  std::vector<double> latencies;
  for (int round = 0; round < 20; ++round) {
    std::string root = store->must(&V::create_task, {{"title", "root"}, {"priority", 100}, {"now_ms", 3}})["id"];
    for (int d = 0; d < 100; ++d) {
      store->must(&V::create_task, {{"title", "dependent"}, {"blocked_by", {root}}, {"now_ms", 3}});
    }
    Json c = store->must(&V::claim_task,
                         {{"executor", "bench"}, {"lease_ms", 600000}, {"now_ms", 4}, {"default_agent", "claude"}});
    if (c["id"] != root) throw std::runtime_error("expected to claim " + root);
    Clock::time_point t = Clock::now();
    Json done = store->must(&V::complete_task, {{"id", root}, {"executor", "bench"}, {"now_ms", 5}});
    latencies.push_back(seconds_since(t) * 1000.0);
    if (done["unblocked"].size() != 100) throw std::runtime_error("complete_task unblocked fewer than 100 tasks");
  }
  std::sort(latencies.begin(), latencies.end());
  f.complete_median_ms = latencies[latencies.size() / 2];
  f.complete_p95_ms = latencies[(latencies.size() * 95 + 99) / 100 - 1];  // nearest rank
  f.complete_max_ms = latencies.back();

  store.reset();
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
  return f;
}

}  // namespace
}  // namespace drover::storage_test

int main(int argc, char** argv) {
  using namespace drover::storage_test;
  double budget_s = 3.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      budget_s = std::stod(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  int failures = 0;
  std::printf("%-10s %14s %14s %12s %28s\n", "backend", "steps/s (1w)", "steps/s (4p)", "claims/s",
              "complete+100 deps ms (p50/p95/max)");
  for (const Backend& backend : conformance_backends()) {
    if (!backend.unavailable.empty() || !backend.skip.empty()) {
      std::printf("%-10s skipped: %s\n", backend.name.c_str(),
                  (backend.unavailable.empty() ? backend.skip : backend.unavailable).c_str());
      continue;
    }
    try {
      Figures f = run_backend(backend, budget_s);
      std::printf("%-10s %14.0f %14.0f %12.0f %14.2f/%.2f/%.2f\n", backend.name.c_str(), f.steps_one_writer,
                  f.steps_four_writers, f.claims, f.complete_median_ms, f.complete_p95_ms, f.complete_max_ms);
    } catch (const std::exception& e) {
      std::printf("%-10s failed: %s\n", backend.name.c_str(), e.what());
      ++failures;
    }
    std::fflush(stdout);
  }
  return failures == 0 ? 0 : 1;
}
