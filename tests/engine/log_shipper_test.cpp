// LogShipper and ExecutorHeartbeat against the real SQLite storage plugin:
// lines reach the store in order and exactly once, through a store outage
// (chunks wait and are sent when it answers), with the oldest waiting bytes
// dropped past the buffer's cap (a gap readers skip); output is kept as
// UTF-8; an executor's beats and its "stopped" at the end.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>

#include "drover/engine/executor_heartbeat.h"
#include "drover/engine/log_shipper.h"
#include "drover/engine/patient_task_store.h"
#include "drover/plugin_host/plugin_host.h"
#include "drover/plugin_host/plugin_task_store.h"
#include "fakes/fake_clock.h"

namespace drover {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

class LogShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("drover-ship-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    static PluginHost host({DROVER_TEST_PLUGIN_DIR});
    auto p = host.load(DROVER_KIND_STORAGE, "sqlite");
    ASSERT_TRUE(p.ok()) << p.status().message();
    auto s = PluginTaskStore::open(*p.value(), "{path: drover.db}",
                                   json{{"project_root", dir_.string()}, {"drover_dir", (dir_ / ".drover").string()}});
    ASSERT_TRUE(s.ok()) << s.status().message();
    real_ = std::move(s.value());
    // What the shipper sees: the real store, unreachable while down_.
    store_ = std::make_unique<PatientTaskStore>(
        *real_, nullptr,
        PatientTaskStore::Rules{[] { return true; },
                                [this]() -> std::optional<std::string> {
                                  if (down_) return std::string("store down (test)");
                                  return std::nullopt;
                                },
                                nullptr});
    NewTask t;
    t.title = "a";
    ASSERT_TRUE(real_->create_task(t, 1000).ok());
  }
  void TearDown() override {
    store_.reset();
    real_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string stored(int64_t* first_offset = nullptr, bool* finished = nullptr) {
    std::string out;
    int64_t at = 0;
    for (int i = 0; i < 100; ++i) {
      auto p = real_->read_log(LogReadRequest{"t1", 0, 1, 1, at, 1 << 20});
      EXPECT_TRUE(p.ok()) << p.status().message();
      if (!p.ok()) break;
      if (i == 0 && first_offset) *first_offset = p.value().offset;
      if (finished) *finished = p.value().finished;
      out += p.value().data;
      if (p.value().eof) break;
      at = p.value().next_offset;
    }
    return out;
  }
  std::filesystem::path dir_;
  std::unique_ptr<PluginTaskStore> real_;
  std::unique_ptr<PatientTaskStore> store_;
  std::atomic<bool> down_{false};
  testing::FakeClock clock_;
};

TEST_F(LogShipperTest, LinesReachTheStoreInOrderAndTheRoundIsFinished) {
  LogShipper shipper(*store_, clock_, LogShipper::Options{});
  {
    LogShipment round(&shipper, StoredLogKey{"t1", 0, 1, 1});
    auto sink = round.sink();
    for (int i = 1; i <= 100; ++i) sink("line " + std::to_string(i));
  }
  shipper.flush(5s);
  bool finished = false;
  std::string text = stored(nullptr, &finished);
  std::string expected;
  for (int i = 1; i <= 100; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(text, expected);
  EXPECT_TRUE(finished);
}

TEST_F(LogShipperTest, AnOutageDelaysChunksButLosesAndRepeatsNothing) {
  LogShipper shipper(*store_, clock_, LogShipper::Options{});
  LogShipment round(&shipper, StoredLogKey{"t1", 0, 1, 1});
  auto sink = round.sink();
  sink("before");
  shipper.flush(5s);
  down_ = true;
  for (int i = 0; i < 50; ++i) sink("during " + std::to_string(i));
  shipper.flush(300ms);  // gives up: the store is away
  EXPECT_EQ(stored(), "before\n");
  down_ = false;
  sink("after");
  shipper.flush(5s);
  std::string expected = "before\n";
  for (int i = 0; i < 50; ++i) expected += "during " + std::to_string(i) + "\n";
  EXPECT_EQ(stored(), expected + "after\n");
}

TEST_F(LogShipperTest, PastTheBufferCapTheOldestWaitingBytesAreDropped) {
  LogShipper::Options o;
  o.buffer_max = 1000;
  LogShipper shipper(*store_, clock_, o);
  LogShipment round(&shipper, StoredLogKey{"t1", 0, 1, 1});
  auto sink = round.sink();
  down_ = true;
  std::string all;
  for (int i = 0; i < 100; ++i) {
    std::string line = "line " + std::to_string(1000 + i) + std::string(40, '.');
    sink(line);
    all += line + "\n";
  }
  down_ = false;
  shipper.flush(5s);
  int64_t first = 0;
  std::string text = stored(&first);
  EXPECT_GT(first, 0) << "a gap where the dropped bytes were";
  EXPECT_LE(text.size(), 1000u);
  EXPECT_EQ(all.substr(static_cast<size_t>(first)), text) << "the newest bytes, at their offsets";
}

TEST_F(LogShipperTest, OutputIsKeptAsUtf8) {
  EXPECT_EQ(valid_log_text("ok \xc3\xa9"), "ok \xc3\xa9");
  EXPECT_EQ(valid_log_text(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(valid_log_text("\xff\xc3"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(valid_log_text("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "a surrogate is not UTF-8";
}

TEST_F(LogShipperTest, AnExecutorBeatsAndSaysWhenItStopped) {
  std::atomic<bool> draining{false};
  {
    ExecutorHeartbeat beat(*store_, clock_, this_executor("h/1/2", 3, 30000, 1000),
                           [&] { return draining ? ExecutorState::kStopping : ExecutorState::kRunning; }, 10s);
    for (int i = 0; i < 100 && beat.beats() == 0; ++i) std::this_thread::sleep_for(20ms);
    ASSERT_GE(beat.beats(), 1);
    auto l = real_->list_executors(clock_.now_ms());
    ASSERT_TRUE(l.ok()) << l.status().message();
    ASSERT_EQ(l.value().executors.size(), 1u);
    EXPECT_EQ(l.value().executors[0].beat.state, ExecutorState::kRunning);
    EXPECT_EQ(l.value().executors[0].beat.workers, 3);
    EXPECT_EQ(l.value().executors[0].beat.host, this_host());
    draining = true;
    clock_.advance(10'000);
    for (int i = 0; i < 100 && beat.beats() < 2; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(real_->list_executors(clock_.now_ms()).value().executors[0].beat.state, ExecutorState::kStopping);
  }
  EXPECT_EQ(real_->list_executors(clock_.now_ms()).value().executors[0].beat.state, ExecutorState::kStopped);
}

}  // namespace
}  // namespace drover
