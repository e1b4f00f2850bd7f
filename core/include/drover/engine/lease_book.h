// LeaseBook: the leases a run holds and until when it can be sure of each.
// The store writes a lease's expiry as the requester's clock plus the lease
// duration, so a lease claimed or renewed by a request sent at T is good until
// T + duration, and a renewal that fails changes nothing. A run that could not
// renew a lease *fences* the task `margin` before that time: it stops the
// task's agent and the workflow starts no further step and writes nothing, so
// by the time the lease expires in the store — and another executor, or this
// run, may claim the task — nothing of this run works on it.
//
// A fenced task is not given up yet: when the store answers again, the run
// looks at it. Still leased to this run (its renewal revived it, nobody took
// it meanwhile): *regained*, and the workflow carries on where it waited —
// a finished agent's work is recorded, not redone. Taken by someone else (or
// finished by them): *lost*, and the workflow ends.
//
// margin = a third of the lease duration (at least 300 ms): with the default
// 30 s lease, a task is fenced 20 s after the last renewal that succeeded;
// renewals are tried every 10 s, and every second while they fail. Clocks of
// the machines sharing a store must agree to well within the margin.
#ifndef DROVER_ENGINE_LEASE_BOOK_H
#define DROVER_ENGINE_LEASE_BOOK_H

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace drover {

class LeaseBook {
 public:
  enum class State { kHeld, kFenced, kLost, kNone };

  explicit LeaseBook(std::chrono::milliseconds lease);
  std::chrono::milliseconds lease() const { return lease_; }
  std::chrono::milliseconds margin() const { return margin_; }

  // A claim sent at sent_ms returned this task.
  void claimed(const std::string& id, int64_t sent_ms);
  // A renewal of every lease of the run, sent at sent_ms, succeeded.
  void renewed(int64_t sent_ms);
  // The task's workflow ended: the run holds no lease on it any more.
  void dropped(const std::string& id);
  // The held tasks whose lease is within the margin of expiring, fenced now
  // (each is returned once).
  std::vector<std::string> fence_due(int64_t now_ms);
  // The fenced tasks (waiting to be regained or lost).
  std::vector<std::string> fenced_tasks() const;
  // A renewal sent at sent_ms succeeded and the store shows the task still
  // leased to this run: it is held again.
  void regained(const std::string& id, int64_t sent_ms);
  // Someone else holds or finished the task: this run's workflow ends.
  void lost(const std::string& id);

  State state(const std::string& id) const;
  // Whether this run can still vouch for the task's lease for at least the
  // margin from now_ms: held, and not yet within the margin of its expiry
  // (whether or not the fence watch has got to it). A landing publishes only
  // such tasks. A task the book does not hold (no lease kept through this
  // book) is vouched for by whoever runs it: true.
  bool assured(const std::string& id, int64_t now_ms) const;
  // Fenced at any time since it was claimed (an agent stopped by the fence
  // is not a failed attempt).
  bool ever_fenced(const std::string& id) const;

 private:
  struct Held {
    int64_t good_until_ms = 0;
    State state = State::kHeld;
    bool ever_fenced = false;
  };
  const std::chrono::milliseconds lease_;
  const std::chrono::milliseconds margin_;
  mutable std::mutex mu_;
  std::map<std::string, Held> held_;
};

}  // namespace drover

#endif
