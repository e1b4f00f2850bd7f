// Group commit in the SQLite plugin (plugins/storage/sqlite/src/write_batches.h):
// writes that arrive while a transaction runs go together in the next one;
// each writer gets its own answer, or its own error, and only once the batch
// holding it has run.
#include "write_batches.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace drover::sqlite_storage {
namespace {

using Body = std::function<std::string(drover::storage::StoreTables&)>;

// Runs each write's body with no tables (these bodies never touch them),
// records the batches, and can hold the first batch until told to go.
class Recorder {
 public:
  void run(const std::vector<PendingWrite*>& batch) {
    {
      std::unique_lock lock(mu_);
      batches_.push_back(batch.size());
      if (hold_first_ && batches_.size() == 1) {
        first_running_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !hold_first_; });
      }
    }
    for (PendingWrite* w : batch) {
      try {
        w->result = (*w->body)(*static_cast<drover::storage::StoreTables*>(nullptr));
      } catch (...) {
        w->error = std::current_exception();
      }
    }
  }
  void hold_first() { hold_first_ = true; }
  void wait_first_running() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return first_running_; });
  }
  void release_first() {
    std::lock_guard lock(mu_);
    hold_first_ = false;
    changed_.notify_all();
  }
  std::vector<std::size_t> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::size_t> batches_;
  bool hold_first_ = false, first_running_ = false;
};

std::string submit(WriteBatches& batches, const Body& body) {
  PendingWrite w;
  w.body = &body;
  return batches.submit(w);
}

TEST(WriteBatches, ALoneWriteRunsAtOnceAlone) {
  Recorder rec;
  WriteBatches batches([&](const std::vector<PendingWrite*>& b) { rec.run(b); }, 32);
  EXPECT_EQ(submit(batches, [](auto&) { return std::string("one"); }), "one");
  EXPECT_EQ(submit(batches, [](auto&) { return std::string("two"); }), "two");
  EXPECT_EQ(rec.batches(), (std::vector<std::size_t>{1, 1}));
}

TEST(WriteBatches, WritesArrivingDuringATransactionShareTheNextOneAndEachGetsItsOwnAnswer) {
  Recorder rec;
  rec.hold_first();
  WriteBatches batches([&](const std::vector<PendingWrite*>& b) { rec.run(b); }, 32);
  std::string first;
  std::thread leader([&] { first = submit(batches, [](auto&) { return std::string("first"); }); });
  rec.wait_first_running();
  const int n = 10;
  std::vector<std::string> answers(n);
  std::vector<std::thread> writers;
  for (int i = 0; i < n; ++i)
    writers.emplace_back([&, i] { answers[i] = submit(batches, [i](auto&) { return "answer " + std::to_string(i); }); });
  // Let them all queue behind the running transaction.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  rec.release_first();
  leader.join();
  for (auto& t : writers) t.join();
  EXPECT_EQ(first, "first");
  for (int i = 0; i < n; ++i) EXPECT_EQ(answers[i], "answer " + std::to_string(i));
  EXPECT_EQ(rec.batches(), (std::vector<std::size_t>{1, static_cast<std::size_t>(n)}));
}

TEST(WriteBatches, AFailingWriteFailsAloneAndAnswersNothingBeforeItsBatchRan) {
  Recorder rec;
  rec.hold_first();
  WriteBatches batches([&](const std::vector<PendingWrite*>& b) { rec.run(b); }, 32);
  std::atomic<bool> released{false};
  std::thread leader([&] {
    EXPECT_EQ(submit(batches, [](auto&) { return std::string("first"); }), "first");
    EXPECT_TRUE(released.load()) << "answered before its batch ended";
  });
  rec.wait_first_running();
  std::string ok;
  std::string error;
  std::thread good([&] { ok = submit(batches, [](auto&) { return std::string("fine"); }); });
  std::thread bad([&] {
    try {
      submit(batches, [](auto&) -> std::string { throw std::runtime_error("task t9 does not exist"); });
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  released = true;
  rec.release_first();
  leader.join();
  good.join();
  bad.join();
  EXPECT_EQ(ok, "fine");
  EXPECT_EQ(error, "task t9 does not exist");
}

TEST(WriteBatches, ABatchIsCappedAndTheLeadIsHandedOnUntilEveryWriteRan) {
  Recorder rec;
  WriteBatches batches([&](const std::vector<PendingWrite*>& b) { rec.run(b); }, 4);
  const int threads = 16, each = 200;
  std::atomic<int> wrong{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < each; ++i) {
        const std::string want = std::to_string(t) + "/" + std::to_string(i);
        if (submit(batches, [&](auto&) { return want; }) != want) ++wrong;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(wrong.load(), 0);
  std::size_t total = 0;
  for (std::size_t b : rec.batches()) {
    EXPECT_LE(b, 4u);
    total += b;
  }
  EXPECT_EQ(total, static_cast<std::size_t>(threads * each)) << "every write ran exactly once";
}

}  // namespace
}  // namespace drover::sqlite_storage
