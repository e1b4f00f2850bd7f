#include "stored_log.h"

#include <chrono>
#include <iostream>
#include <thread>

#include "cli_support.h"

namespace drover::cli {
namespace {

constexpr int64_t kReadBytes = 256 * 1024;

// Prints a piece read from `asked`; says on stderr when bytes before it were
// not kept (logs.store_max_size, or output an executor could not send).
void print_piece(const LogPiece& p, int64_t asked) {
  if (p.offset > asked)
    std::cerr << "drover: [" << (p.offset - asked)
              << " bytes of output are not kept in the store here (logs.store_max_size keeps the first and the last "
                 "half of a round)]\n";
  std::cout << p.data << std::flush;
}

bool still_running(TaskStore& store, const std::string& task_id, int attempt) {
  Task t = get_task_or_fail(store, task_id);
  return t.status == TaskStatus::kRunning && t.attempts == attempt;
}

}  // namespace

std::optional<StoredLogKey> stored_round(TaskStore& store, const std::string& task_id, int attempt, int round) {
  LogReadRequest r;
  r.task_id = task_id;
  if (attempt > 0) r.attempt = attempt;
  if (round > 0) r.round = round;
  r.max_bytes = 1;
  auto p = store.read_log(r);
  if (!p.ok()) {
    const StatusCode code = p.status().code();
    if (code == StatusCode::kNotFound || code == StatusCode::kUnsupported) return std::nullopt;
    check(p.status());
  }
  return p.value().key;
}

void print_stored_log(TaskStore& store, const StoredLogKey& key) {
  int64_t offset = 0;
  while (true) {
    LogReadRequest r{key.task_id, key.generation, key.attempt, key.round, offset, kReadBytes};
    LogPiece p = unwrap(store.read_log(r));
    print_piece(p, offset);
    if (p.eof || p.next_offset <= offset) break;
    offset = p.next_offset;
  }
}

void follow_stored_log(TaskStore& store, const std::string& task_id, int64_t generation, int attempt, int round) {
  std::optional<int> current = round > 0 ? std::optional<int>(round) : std::nullopt;
  int64_t offset = 0;
  // Once the attempt has ended, its executor still sends what it had not sent
  // yet (it ships once a second, off the agent's path) and then the chunk that
  // marks the round finished: that is waited for, up to kEndGrace (an executor
  // that died never sends it).
  constexpr auto kEndGrace = std::chrono::seconds(10);
  std::optional<std::chrono::steady_clock::time_point> ended;
  auto done_waiting = [&] {
    if (!ended) {
      if (still_running(store, task_id, attempt)) return false;
      ended = std::chrono::steady_clock::now();
    }
    return std::chrono::steady_clock::now() - *ended > kEndGrace;
  };
  while (true) {
    LogReadRequest r{task_id, generation, attempt, current, offset, kReadBytes};
    auto read = store.read_log(r);
    if (!read.ok()) {
      if (read.status().code() != StatusCode::kNotFound) check(read.status());
      // Its first chunk is on its way (executors send once a second).
      if (done_waiting()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      continue;
    }
    const LogPiece& p = read.value();
    current = p.key.round;
    print_piece(p, offset);
    offset = p.next_offset;
    if (!p.eof) continue;
    if (p.finished && round <= 0) {
      // The next round of the attempt (conflict resolution, a fix) follows.
      LogReadRequest next{task_id, generation, attempt, std::nullopt, 0, 1};
      auto later = store.read_log(next);
      if (later.ok() && later.value().key.round > *current) {
        current = later.value().key.round;
        offset = 0;
        continue;
      }
    }
    if (p.finished && round > 0) return;
    if (done_waiting() || (p.finished && ended)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace drover::cli
