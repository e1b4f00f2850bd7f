#include "drover/engine/landing_queue.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "drover/engine/task_workflow.h"
#include "drover/process/leftover_process.h"

namespace drover {
namespace {

// How often a landing is rebuilt because the target moved under it (another
// run, or the user) before its tasks are told to try again later.
constexpr int kMaxRebuilds = 5;

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& v : items) out += (out.empty() ? "" : sep) + v;
  return out;
}

// The tasks of a group of landing requests, in its order.
template <class Waiting>
std::vector<std::string> names_of(const std::vector<Waiting>& group) {
  std::vector<std::string> out;
  for (const auto& w : group) out.push_back(w.request.key.task);
  return out;
}

// Whether this run can still vouch for the task's lease (no lease book: its
// caller keeps no leases, so there is nothing to lose).
bool vouched_for(const EngineContext& e, const std::string& task) {
  return e.leases == nullptr || e.leases->assured(task, e.clock->now_ms());
}

// Why a task whose lease this run cannot vouch for is not published.
std::string unassured_why(const std::string& task) {
  return "this run could not renew its lease on " + task +
         " in time, so it does not publish it (it lands once the lease is renewed, or where another run takes the "
         "task over)";
}

// Several runs on one repository land in turn: an exclusive lock on a file in
// .drover, held while a batch is built, verified and published.
class LandingLock {
 public:
  explicit LandingLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0)
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
  }
  ~LandingLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  LandingLock(const LandingLock&) = delete;
  LandingLock& operator=(const LandingLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

bool LandingQueue::vcs_has_queue() {
  std::lock_guard<std::mutex> lock(mu_);
  if (vcs_has_queue_ < 0) {
    auto probe = e_.workspace->build_landing(e_.target_branch, {});
    vcs_has_queue_ = probe.ok() || probe.status().code() != StatusCode::kUnsupported ? 1 : 0;
    if (!vcs_has_queue_ && e_.events != nullptr)
      e_.events->report("", "the VCS plugin has no merge queue (plugin ABI < 1.2): verify runs on each task's branch "
                            "and a conflicting task is redone in a fresh worktree");
  }
  return vcs_has_queue_ == 1;
}

bool LandingQueue::verifies_merged() {
  return e_.config->verify && e_.config->merge.verify_merged && vcs_has_queue();
}

int LandingQueue::verify_runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return verify_runs_;
}

void LandingQueue::close() {
  // Also what a killed run left (a scratch worktree, or the short-lived branch
  // of one being made); under the lock, so a run still landing keeps its own.
  if (!vcs_has_queue()) return;
  LandingLock lock(e_.config->drover_dir() + "/landing.lock");
  (void)e_.workspace->scratch("landing", std::nullopt);
}

LandingVerdict LandingQueue::land(const LandingRequest& request) { return land_together({request}).front(); }

std::vector<LandingVerdict> LandingQueue::land_together(const std::vector<LandingRequest>& requests) {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<uint64_t> ids;
  for (const auto& r : requests) {
    ids.push_back(++next_id_);
    waiting_.push_back(Waiting{ids.back(), r});
  }
  serve(lock, ids);
  std::vector<LandingVerdict> out;
  for (uint64_t id : ids) {
    out.push_back(std::move(decided_[id]));
    decided_.erase(id);
  }
  return out;
}

void LandingQueue::serve(std::unique_lock<std::mutex>& lock, const std::vector<uint64_t>& ids) {
  while (true) {
    if (std::all_of(ids.begin(), ids.end(), [&](uint64_t id) { return decided_.count(id) > 0; })) return;
    if (busy_) {
      cv_.wait(lock);
      continue;
    }
    std::vector<Waiting> batch = take_batch();
    if (batch.empty()) {  // (cannot happen: an undecided id is waiting or being landed)
      cv_.wait(lock);
      continue;
    }
    busy_ = true;
    lock.unlock();
    Verdicts out;
    try {
      process(batch, out);
    } catch (const std::exception& ex) {
      for (const auto& w : batch)
        if (!out.count(w.id)) out[w.id] = LandingVerdict::of(Landing::kError, "", std::string("landing failed: ") + ex.what());
    } catch (...) {
      for (const auto& w : batch)
        if (!out.count(w.id)) out[w.id] = LandingVerdict::of(Landing::kError, "", "landing failed");
    }
    for (const auto& w : batch)
      if (!out.count(w.id)) out[w.id] = LandingVerdict::of(Landing::kError, "", "landing ended without a verdict");
    lock.lock();
    busy_ = false;
    for (auto& [k, v] : out) decided_[k] = std::move(v);
    cv_.notify_all();
  }
}

std::vector<LandingQueue::Waiting> LandingQueue::take_batch() {
  // Highest priority first, then in the order they asked.
  std::stable_sort(waiting_.begin(), waiting_.end(),
                   [](const Waiting& a, const Waiting& b) { return a.request.priority > b.request.priority; });
  const size_t n = std::min<size_t>(waiting_.size(), static_cast<size_t>(std::max(1, e_.config->merge.batch)));
  std::vector<Waiting> batch(waiting_.begin(), waiting_.begin() + static_cast<long>(n));
  waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<long>(n));
  return batch;
}

void LandingQueue::report(const std::vector<Waiting>& group, const std::string& message) {
  if (e_.events == nullptr) return;
  for (const auto& w : group) e_.events->report(w.request.key.task, message);
}

void LandingQueue::tell(const std::vector<Waiting>& group, const std::string& status) {
  // What `status` shows for each task while it lands (history, not state:
  // a failure here changes nothing).
  for (const auto& w : group) {
    TaskUpdate u;
    u.status_reason = status;
    (void)e_.store->update_task(w.request.key.task, u, e_.clock->now_ms());
  }
}

void LandingQueue::process(const std::vector<Waiting>& batch, Verdicts& out) {
  LandingLock lock(e_.config->drover_dir() + "/landing.lock");
  (void)land_group(batch, out, std::nullopt);
}

namespace {

// A VCS failure while landing: its remote cannot be reached (nothing moved;
// the task waits and lands later), the remote refused the published update
// (not retried: a hook or permissions decide), or an error.
Landing failed_landing(const Status& s, bool publishing) {
  if (s.code() == StatusCode::kUnavailable) return Landing::kUnreachable;
  if (publishing && s.code() == StatusCode::kConflict) return Landing::kRefused;
  return Landing::kError;
}

}  // namespace

void LandingQueue::land_one_by_one(const std::vector<Waiting>& batch, Verdicts& out) {
  // A VCS without the merge queue's operations: each task merged as before
  // (its branch was verified before it asked to land).
  for (const auto& w : batch) {
    if (!vouched_for(e_, w.request.key.task)) {
      out[w.id] = LandingVerdict::of(Landing::kUnassured, "", unassured_why(w.request.key.task));
      continue;
    }
    std::lock_guard<std::mutex> lock(e_.merge_mu);
    auto r = e_.workspace->merge(w.request.key, e_.target_branch, w.request.message);
    LandingVerdict v;
    if (!r.ok()) {
      v.outcome = failed_landing(r.status(), false);
      v.why = r.status().message();
    } else {
      const MergeResult& m = r.value();
      v.paths = m.paths;
      v.commit = m.commit.value_or("");
      switch (m.kind) {
        case MergeKind::kMerged:
        case MergeKind::kAlreadyMerged: v.outcome = Landing::kLanded; break;
        case MergeKind::kNothingToMerge: v.outcome = Landing::kNothingToLand; break;
        case MergeKind::kConflict: v.outcome = Landing::kConflict; break;
        case MergeKind::kLocalChanges: v.outcome = Landing::kLocalChanges; break;
      }
    }
    v.batch = {w.request.key.task};
    out[w.id] = std::move(v);
  }
}

std::string LandingQueue::land_group(std::vector<Waiting> group, Verdicts& out, const std::optional<KnownRed>& red) {
  const size_t asked_for = group.size();
  const bool verify_merged = e_.config->verify.has_value() && e_.config->merge.verify_merged;
  for (int rebuild = 0; rebuild <= kMaxRebuilds && !group.empty(); ++rebuild) {
    std::vector<LandingToBuild> asked;
    for (const auto& w : group) asked.push_back(LandingToBuild{w.request.key, w.request.message});
    auto built = e_.workspace->build_landing(e_.target_branch, asked);
    if (!built.ok() && built.status().code() == StatusCode::kUnsupported) {
      land_one_by_one(group, out);
      return "";
    }
    if (!built.ok()) {
      for (const auto& w : group)
        out[w.id] = LandingVerdict::of(failed_landing(built.status(), false), "", built.status().message());
      return "";
    }
    const BuiltLanding& b = built.value();
    // Decided by the build alone: conflicts, and what is already there.
    std::vector<Waiting> candidates;
    std::map<std::string, std::string> commit_of;
    for (const auto& w : group) {
      auto t = std::find_if(b.tasks.begin(), b.tasks.end(), [&](const TaskLanding& l) { return l.task == w.request.key.str(); });
      LandingVerdict v;
      v.tip = b.tip;
      v.batch = {w.request.key.task};
      if (t == b.tasks.end()) {
        v.outcome = Landing::kError;
        v.why = "the VCS plugin's build_landing did not mention " + w.request.key.str();
      } else if (!t->error.empty()) {
        v.outcome = Landing::kError;  // this task alone: the others go on
        v.why = t->error;
      } else if (t->kind == MergeKind::kMerged) {
        candidates.push_back(w);
        commit_of[w.request.key.task] = t->commit.value_or("");
        continue;
      } else if (t->kind == MergeKind::kAlreadyMerged) {
        v.outcome = Landing::kLanded;
        v.commit = t->commit.value_or("");
      } else if (t->kind == MergeKind::kNothingToMerge) {
        v.outcome = Landing::kNothingToLand;
      } else {
        v.outcome = Landing::kConflict;
        v.paths = t->paths;
      }
      out[w.id] = std::move(v);
    }
    if (candidates.empty() || !b.commit) {
      for (const auto& w : candidates) out[w.id] = LandingVerdict::of(Landing::kNothingToLand, b.tip);
      return candidates.size() == asked_for ? b.tip : "";
    }
    const std::vector<std::string> names = names_of(candidates);
    // The commit to verify and publish: the chain's end is the last candidate's.
    const std::string end = *b.commit;

    VerifyRun run;
    // The same merge on the same tip failed already (nothing was left out).
    const bool known_red = red && red->tip == b.tip && candidates.size() == asked_for;
    if (verify_merged) {
      run = known_red ? red->run : verify(end, candidates);
      if (run.broken) {
        // The merged result could not even be checked out: nobody's fault
        // among the tasks; they land on their next try.
        for (const auto& w : candidates) out[w.id] = LandingVerdict::of(Landing::kError, b.tip, run.why);
        return "";
      }
      if (run.stopped) {
        for (const auto& w : candidates) out[w.id] = LandingVerdict::of(Landing::kStopped, b.tip, "stopped by a signal during verify");
        return "";
      }
      if (!run.passed) {
        if (candidates.size() == 1) {
          LandingVerdict v = LandingVerdict::of(Landing::kVerifyFailed, b.tip, run.why);
          v.output = run.output;
          v.verify_log = run.log;
          v.batch = names;
          out[candidates[0].id] = std::move(v);
          return "";
        }
        // Bisect: land the first half on the tip (or split it further), then
        // the second half on whatever the tip is by then. When the whole first
        // half landed, the second half on the new tip is exactly what just
        // failed: it is split without verifying it again.
        if (!known_red)
          report(candidates, "the merge of " + join(names, ", ") + " failed verify (" + run.why + "); looking for the culprit");
        const size_t half = candidates.size() / 2;
        const std::string after = land_group(std::vector<Waiting>(candidates.begin(), candidates.begin() + static_cast<long>(half)), out, std::nullopt);
        std::optional<KnownRed> second;
        if (!after.empty()) second = KnownRed{after, run};
        (void)land_group(std::vector<Waiting>(candidates.begin() + static_cast<long>(half), candidates.end()), out, second);
        return "";
      }
    }

    // Never published for a task whose lease this run can no longer vouch
    // for (a partitioned executor: another may take it over any moment): it
    // is left out and the others are built, verified and published without it.
    std::vector<Waiting> rest, unassured;
    for (const auto& w : candidates) (vouched_for(e_, w.request.key.task) ? rest : unassured).push_back(w);
    if (!unassured.empty()) {
      for (const auto& w : unassured)
        out[w.id] = LandingVerdict::of(Landing::kUnassured, b.tip, unassured_why(w.request.key.task));
      if (!rest.empty()) report(rest, "landing without " + join(names_of(unassured), ", ") + " (lease not renewed in time)");
      group = std::move(rest);
      continue;
    }

    Result<Publication> p = Status::Error("not published");
    {
      std::lock_guard<std::mutex> lock(e_.merge_mu);
      p = e_.workspace->publish_landing(e_.target_branch, b.tip, end);
    }
    if (!p.ok()) {
      for (const auto& w : candidates)
        out[w.id] = LandingVerdict::of(failed_landing(p.status(), true), b.tip, p.status().message());
      return "";
    }
    if (p.value().kind == PublishKind::kMoved) {
      report(candidates, e_.target_branch + " moved while landing " + join(names, ", ") + "; building on the new tip");
      group = candidates;
      continue;
    }
    for (const auto& w : candidates) {
      LandingVerdict v;
      v.tip = b.tip;
      v.batch = names;
      if (p.value().kind == PublishKind::kLocalChanges) {
        v.outcome = Landing::kLocalChanges;
        v.paths = p.value().paths;
      } else {
        v.outcome = Landing::kLanded;
        v.commit = commit_of[w.request.key.task];
        v.verified = verify_merged;
        v.verify_log = run.log;
      }
      out[w.id] = std::move(v);
    }
    // Only a group landed on the tip it was first built on leaves the tip a
    // bisection may take as "the failed merge minus this group".
    const bool all = p.value().kind == PublishKind::kMerged && candidates.size() == asked_for && rebuild == 0;
    return all ? p.value().tip : "";
  }
  for (const auto& w : group)
    if (!out.count(w.id))
      out[w.id] = LandingVerdict::of(Landing::kBusy, "", e_.target_branch + " kept moving while landing (others landed first " +
                                                            std::to_string(kMaxRebuilds + 1) + " times)");
  return "";
}

LandingQueue::VerifyRun LandingQueue::verify(const std::string& commit, const std::vector<Waiting>& group) {
  VerifyRun run;
  const std::vector<std::string> names = names_of(group);
  auto path = e_.workspace->scratch("landing", commit);
  if (!path.ok()) {
    run.broken = true;
    run.why = "could not check out the merged result: " + path.status().message();
    run.output = run.why;
    return run;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++verify_runs_;
  }
  const VerifyConfig& v = *e_.config->verify;
  const std::string with = group.size() == 1 ? "" : " (together with " + std::to_string(group.size() - 1) + " more: " + join(names, ", ") + ")";
  tell(group, "verifying its merge with " + e_.target_branch + with);
  report(group, "verifying the merge with " + e_.target_branch + with + ": " + join(v.command, " "));
  VerifyRequest req;
  req.task_id = group.front().request.key.task;
  req.argv = v.command;
  req.worktree = path.value();
  req.timeout = v.timeout;
  req.log_file = group.front().request.verify_log;
  // A verify command left running by a killed run ends before this one starts.
  req.process_file = e_.config->drover_dir() + "/logs/landing.verify.pid";
  stop_leftover_process_group(req.process_file);
  VerifyResult r = e_.agents->run_verify(req);
  run.stopped = r.interrupted || e_.stopping.load();
  run.passed = r.passed;
  run.why = r.why;
  run.output = r.output;
  run.log = req.log_file;
  return run;
}

}  // namespace drover
