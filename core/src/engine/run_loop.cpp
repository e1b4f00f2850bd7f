#include "drover/engine/run_loop.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "drover/common/duration.h"
#include "drover/engine/executor_heartbeat.h"
#include "drover/process/leftover_process.h"

namespace drover {
namespace {

std::string hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

std::string make_executor_id() {
  pid_t pid = getpid();
  return hostname() + "/" + std::to_string(pid) + "/" + process_start_time(pid);
}

bool local_executor_is_dead(const std::string& executor_id) {
  auto parts = split(executor_id, '/');
  if (parts.size() != 3 || parts[0] != hostname()) return false;
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(parts[1]));
  } catch (...) {
    return false;
  }
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string start = process_start_time(pid);
  return !start.empty() && start != parts[2];  // the pid was reused by another process
}

RunLoop::RunLoop(EnginePorts ports, RunOptions options)
    : opts_(std::move(options)),
      health_([this](const std::string& line) { print(line); }),
      store_(*ports.store, &health_, PatientTaskStore::Rules{[] { return true; }, nullptr, nullptr}),
      leases_(ports.config->lease_duration),
      outside_(opts_.watch_outside_writes) {
  static_cast<EnginePorts&>(engine_) = ports;
  engine_.events = this;
  engine_.health = &health_;
  engine_.leases = &leases_;
  engine_.outside = &outside_;
  engine_.drain_store_wait_ms = opts_.drain_store_wait_ms;
  if (opts_.workers <= 0) opts_.workers = engine_.config->workers;
}

RunLoop::~RunLoop() {
  done_ = true;
  cv_.notify_all();
  if (lease_keeper_.joinable()) lease_keeper_.join();
  if (fence_watch_.joinable()) fence_watch_.join();
  for (auto& [id, t] : threads_)
    if (t.joinable()) t.join();
}

void RunLoop::print(const std::string& line) {
  if (opts_.print) opts_.print(line);
}

void RunLoop::request_drain() {
  engine_.draining = true;
  if (!draining_.exchange(true)) print("draining: no new tasks start; running agents finish (Ctrl-C again to stop them)");
  cv_.notify_all();
}

void RunLoop::request_stop() {
  draining_ = true;
  engine_.draining = true;
  if (!engine_.stopping.exchange(true)) {
    print("stopping: terminating running agents; `drover resume` continues later");
    engine_.agents->terminate_all();
  }
  cv_.notify_all();
}

void RunLoop::report(const std::string& task_id, const std::string& message) {
  print(task_id.empty() ? message : task_id + ": " + message);
}

void RunLoop::agent_paused(const std::string& agent, int64_t until_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  agent_paused_until_[agent] = std::max(agent_paused_until_[agent], until_ms);
}

void RunLoop::slot_free(const std::string& task_id) {
  running_view_.ended(task_id);  // completed in the store, or its workflow ended
  std::lock_guard<std::mutex> lock(mu_);
  if (slot_holders_.erase(task_id) > 0) {
    --running_;
    cv_.notify_all();
  }
}

void RunLoop::touches_learned(const std::string& /*task_id*/) { running_view_.changed(); }

void RunLoop::released(const std::string& task_id, int64_t until_ms) {
  running_view_.ended(task_id);  // ready again, no longer running
  std::lock_guard<std::mutex> lock(mu_);
  earliest_release_ = std::min(earliest_release_, until_ms);
  cv_.notify_all();
}

std::vector<std::string> RunLoop::paused_agents(int64_t now) {
  std::vector<std::string> out;
  for (const auto& [agent, until] : agent_paused_until_)
    if (until > now) out.push_back(agent);
  // Also while a probe runs after a pause, and once the run gave up on it.
  for (auto& agent : engine_.limits.held(now)) out.push_back(std::move(agent));
  return out;
}

void RunLoop::worker(uint64_t thread_id, Task task) {
  const std::string id = task.id;
  TaskOutcome outcome = TaskOutcome::kAbandoned;
  try {
    outcome = TaskWorkflow(engine_, std::move(task)).run();
  } catch (const std::exception& e) {
    print(id + ": internal error: " + e.what() + " (the task is left for resume)");
  }
  slot_free(id);
  leases_.dropped(id);
  engine_.limits.ended(id);
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(id);
  ++outcomes_[outcome];
  // Abandoned while the run goes on (the store failed a release or a
  // completion): the task may still carry our lease, which the heartbeat would
  // renew for ever. The loop gives it back once the store answers again.
  if (outcome == TaskOutcome::kAbandoned && !engine_.stopping.load()) stranded_.insert(id);
  finished_threads_.push_back(thread_id);
  cv_.notify_all();
}

void RunLoop::join_finished_threads(std::unique_lock<std::mutex>& lock) {
  std::vector<std::thread> done;
  for (uint64_t id : finished_threads_) {
    auto it = threads_.find(id);
    if (it == threads_.end()) continue;
    done.push_back(std::move(it->second));
    threads_.erase(it);
  }
  finished_threads_.clear();
  lock.unlock();
  for (auto& t : done) t.join();
  lock.lock();
}

void RunLoop::lease_keeper_loop() {
  // Leases are renewed every third of their duration, and every second (at
  // most every sixth of it) while renewals fail; cancellations are looked for
  // every half second so `drover cancel` stops an agent promptly. The
  // schedule is in the engine's clock, the one leases are written in.
  const int64_t lease = leases_.lease().count();
  const int64_t renew_every = std::max<int64_t>(200, lease / 3);
  const int64_t retry_every = std::min<int64_t>(1000, std::max<int64_t>(100, lease / 6));
  int64_t next_renew = engine_.clock->now_ms() + renew_every;
  int64_t next_cancel_look = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return done_.load(); });
    if (done_) break;
    lock.unlock();
    const int64_t now = engine_.clock->now_ms();
    if (now >= next_renew) {
      auto r = store_.renew_leases(engine_.executor, lease, now);
      if (r.ok()) {
        leases_.renewed(now);
        settle_fenced(now);
      }
      // While a task is fenced, renew (and look at it) at the retry pace, so
      // it is regained or let go soon after the store answers.
      next_renew = now + (r.ok() && leases_.fenced_tasks().empty() ? renew_every : retry_every);
    }
    // A damaged store (seen by any thread's call) stops the run.
    if (health_.corrupt() && !engine_.stopping.load()) request_stop();
    std::vector<std::string> running = engine_.agents->running_tasks();
    if (!running.empty() && now >= next_cancel_look && !health_.down()) {
      next_cancel_look = now + 500;
      auto cancelled = store_.list_tasks(TaskFilter{std::nullopt, {TaskStatus::kCancelled}, running});
      if (cancelled.ok())
        for (const auto& t : cancelled.value()) engine_.agents->cancel(t.id);
    }
    lock.lock();
  }
}

void RunLoop::settle_fenced(int64_t renewed_at) {
  // The renewal just sent revived every lease still recorded as ours: a
  // fenced task the store shows as running under this run was taken by
  // nobody meanwhile, and its workflow carries on; any other is lost.
  std::vector<std::string> fenced = leases_.fenced_tasks();
  if (fenced.empty()) return;
  auto tasks = store_.list_tasks(TaskFilter{std::nullopt, {}, fenced});
  if (!tasks.ok()) return;  // looked at again after the next renewal
  std::set<std::string> ours;
  for (const auto& t : tasks.value())
    if (t.status == TaskStatus::kRunning && t.lease_owner.value_or("") == engine_.executor) ours.insert(t.id);
  for (const auto& id : fenced) {
    if (ours.count(id)) {
      leases_.regained(id, renewed_at);
      print(id + ": its lease is still this run's now that the store answers; carrying on");
    } else {
      leases_.lost(id);
      print(id + ": another run took it over while this run could not renew its lease; leaving it to that run");
    }
  }
}

void RunLoop::fence_watch_loop() {
  // No store call here: this thread must see a lease running out while every
  // other thread may be waiting for an unreachable store.
  const auto kill_after = std::min(std::chrono::milliseconds(5000), leases_.margin() / 2);
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return done_.load(); });
    if (done_) break;
    lock.unlock();
    for (const auto& id : leases_.fence_due(engine_.clock->now_ms())) {
      print(id + ": its lease could not be renewed (" +
            (health_.down() ? std::string("store unreachable") : std::string("renewals failing")) +
            "); stopping its agent before the lease expires — it carries on when the store answers if nobody took it over");
      engine_.agents->cancel_within(id, kill_after);
    }
    lock.lock();
  }
}

void RunLoop::reclaim_dead_local_executors() {
  auto running = store_.list_tasks(TaskFilter{std::nullopt, {TaskStatus::kRunning}, {}});
  if (!running.ok()) return;
  for (const auto& t : running.value()) {
    const std::string owner = t.lease_owner.value_or("");
    if (owner.empty() || owner == engine_.executor || !local_executor_is_dead(owner)) continue;
    auto r = store_.take_back(t.id, owner, engine_.clock->now_ms());
    if (r.ok()) print(t.id + ": taken back from a dead run (" + owner + ")");
  }
}

void RunLoop::release_stranded() {
  std::set<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A task whose workflow still runs (fenced, finishing a step) is given
    // back once that workflow has ended.
    for (const auto& id : stranded_)
      if (!live_.count(id)) ids.insert(id);
  }
  for (const auto& id : ids) {
    const int64_t now = engine_.clock->now_ms();
    auto r = store_.release_task(ReleaseRequest{id, engine_.executor, now, now,
                                                       WaitReason::interrupted("given back after a store error"),
                                                       "interrupted; `drover resume` continues it"});
    if (store_unreachable(r.status())) return;  // try again when the store answers
    // Given back, or no longer ours (released, completed or reclaimed meanwhile).
    const bool settled = r.ok() || r.status().code() == StatusCode::kConflict || r.status().code() == StatusCode::kNotFound;
    if (!settled) continue;
    std::lock_guard<std::mutex> lock(mu_);
    stranded_.erase(id);
    if (r.ok()) earliest_release_ = std::min(earliest_release_, now);
  }
}

void RunLoop::restore_agent_pauses() {
  // A quota pause is recorded on the task that hit it (released with a typed
  // wait naming the agent); a new run reads it back so the agent's other tasks
  // also wait, instead of each hitting the limit again.
  auto ready = store_.list_tasks(TaskFilter{std::nullopt, {TaskStatus::kReady}, {}});
  if (!ready.ok()) return;
  const int64_t now = engine_.clock->now_ms();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& t : ready.value()) {
    if (t.wait.kind != WaitKind::kQuota || t.wait.agent.empty()) continue;
    // The agent's limits in a row, as its last quota_pause event counted
    // them: a new run goes on backing off from there.
    int in_a_row = 1;
    if (auto events = store_.list_events(EventFilter{t.id, std::nullopt, std::nullopt}); events.ok())
      for (const auto& e : events.value())
        if (e.kind == "quota_pause" && e.data.is_object()) in_a_row = std::max(1, e.data.value("limit", 1));
    engine_.limits.restore(t.wait.agent, in_a_row, t.wait.until_ms, now);
    if (t.wait.until_ms <= now) continue;
    agent_paused_until_[t.wait.agent] = std::max(agent_paused_until_[t.wait.agent], t.wait.until_ms);
  }
}

void RunLoop::sweep_finished_worktrees() {
  // A run killed between a task's completion and its cleanup step leaves the
  // worktree behind, and a completed task is never replayed: remove those
  // here, for every round of the task. The VCS plugin refuses to remove
  // anything not merged into the target.
  auto wts = engine_.workspace->list(engine_.target_branch);
  if (!wts.ok()) return;
  for (const auto& w : wts.value()) {
    if (!w.key || !w.merged || w.dirty) continue;
    auto t = store_.get_task(w.key->task);
    if (!t.ok() || t.value().status != TaskStatus::kCompleted) continue;
    auto r = engine_.workspace->remove(w.name, engine_.target_branch, false);
    if (r.ok() && r.value().removed) print(w.name + ": removed its finished worktree left by an interrupted run");
  }
}

// How long a reported lack of space holds new work back before the run tries
// again. The disk counts as available again (and is said so) once two such
// windows passed without another report, so a disk that stays full costs at
// most one line a minute.
constexpr int64_t kOutOfSpaceWindowMs = 30 * 1000;

void RunLoop::out_of_space(const std::string&, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = engine_.clock->now_ms();
  last_out_of_space_ = now;
  out_of_space_why_ = why.rfind("disk full: ", 0) == 0 ? why.substr(11) : why;
  next_disk_look_ = 0;  // look at once
  cv_.notify_all();
}

bool RunLoop::disk_full(RunSummary& summary) {
  const int64_t now = engine_.clock->now_ms();
  if (now < next_disk_look_) return last_look_full_;
  next_disk_look_ = now + 1000;
  std::optional<std::string> full;
  if (engine_.disk != nullptr) full = engine_.disk->full();
  const int64_t since_report = last_out_of_space_ > 0 ? now - last_out_of_space_ : INT64_MAX;
  if (!full && since_report < kOutOfSpaceWindowMs) full = out_of_space_why_;
  if (!full) {
    // Trying again after a reported lack of space: work may start, but the
    // run is not "available again" until a while passed without a report.
    const bool probing = since_report < 2 * kOutOfSpaceWindowMs;
    if (disk_full_ && !probing) {
      print("disk space available again; carrying on");
      disk_full_ = false;
    }
    return last_look_full_ = false;
  }
  if (!disk_full_) {
    last_disk_line_ = now;
    if (opts_.on_disk_full == OnDiskFull::kStop) {
      summary.stop_reason = "disk full: " + *full + "; stopped (--on-disk-full stop): free space, then `drover resume`";
      print(summary.stop_reason);
      draining_ = true;
      engine_.draining = true;
    } else {
      print("disk full: " + *full + "; no new work starts until there is space (free some, or lower disk.min_free)");
    }
  } else if (now - last_disk_line_ >= 60 * 1000) {
    last_disk_line_ = now;
    print("still waiting for disk space: " + *full);
  }
  disk_full_ = true;
  return last_look_full_ = true;
}

int64_t RunLoop::next_wakeup(int64_t now, bool& anything_left) {
  anything_left = false;
  TaskFilter filter{std::nullopt, {TaskStatus::kReady, TaskStatus::kRunning}, {}};
  if (!opts_.epic.empty()) filter.epic = opts_.epic;
  auto tasks = store_.list_tasks(filter);
  if (!tasks.ok()) {
    anything_left = true;
    return now + 1000;
  }
  int64_t wake = now + 60 * 1000;
  for (const auto& t : tasks.value()) {
    // A paused task waits for `drover unpause`, a held one for a running
    // task to finish (which wakes the loop): neither keeps the run going.
    if (t.status == TaskStatus::kReady && (t.paused || held_.count(t.id))) continue;
    // Nor does one whose agent the run gave up on (quota.give_up_after).
    if (t.status == TaskStatus::kReady && engine_.limits.given_up(t.agent_or(engine_.config->default_agent))) continue;
    if (t.awaiting_review()) {
      // A person's turn: it keeps the run going only when asked to, and is
      // looked at twice a second for the decision.
      if (!opts_.wait_for_review) continue;
      anything_left = true;
      wake = std::min(wake, now + 500);
      continue;
    }
    anything_left = true;
    if (t.status == TaskStatus::kReady) {
      int64_t nb = t.not_before_ms;
      auto p = agent_paused_until_.find(t.agent_or(engine_.config->default_agent));
      if (p != agent_paused_until_.end() && p->second > now) nb = std::max(nb, p->second);
      wake = std::min(wake, std::max(nb, now + 20));
    } else if (t.lease_owner.value_or("") != engine_.executor) {
      // Another executor's task: look again when its lease would expire, and
      // at least every second to see dependents it unblocks.
      wake = std::min(wake, std::min(t.lease_expires_ms + 10, now + 1000));
    }
  }
  return wake;
}

Result<RunSummary> RunLoop::run() {
  Clock& clock = *engine_.clock;
  const Config& config = *engine_.config;
  const int64_t started = clock.now_ms();
  engine_.executor = opts_.executor.empty() ? make_executor_id() : opts_.executor;
  engine_.target_branch = config.target_branch;
  if (engine_.target_branch.empty()) {
    auto info = engine_.workspace->repo_info();
    if (!info.ok()) return info.status();
    if (!info.value().head_branch)
      return Status::InvalidConfig("no target_branch in " + config.path + " and HEAD is detached; set target_branch");
    engine_.target_branch = *info.value().head_branch;
  }

  reclaim_dead_local_executors();
  sweep_finished_worktrees();
  restore_agent_pauses();
  lease_keeper_ = std::thread([this] { lease_keeper_loop(); });
  fence_watch_ = std::thread([this] { fence_watch_loop(); });
  // Seen by every machine sharing the store (executor_heartbeat.h, log_shipper.h):
  // beats at the pace of lease renewals; marked stopped, output sent, on return.
  // Both talk to the store directly, not patiently: a beat or a chunk the store
  // does not take now is skipped or kept for later, and neither may hold up the
  // run's exit while the store is away.
  ExecutorHeartbeat heartbeat(
      *engine_.store, clock, this_executor(engine_.executor, opts_.workers, config.lease_duration.count(), started),
      [this] { return draining_ ? ExecutorState::kStopping : ExecutorState::kRunning; },
      std::max(std::chrono::milliseconds(200), config.lease_duration / 3), [this] { return health_.down(); });
  std::optional<LogShipper> shipper;
  if (config.log_store_max_bytes > 0) {
    LogShipper::Options shipping{config.log_store_max_bytes};
    shipping.store_down = [this] { return health_.down(); };
    shipper.emplace(*engine_.store, clock, shipping);
  }
  engine_.log_shipper = shipper ? &*shipper : nullptr;

  RunSummary summary;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    join_finished_threads(lock);
    if (!stranded_.empty()) {
      lock.unlock();
      release_stranded();
      lock.lock();
    }
    // An agent limited for longer than quota.give_up_after is given up on.
    for (const auto& [agent, why] : engine_.limits.give_up(clock.now_ms(), config.quota_give_up_after)) {
      print(why);
      summary.stop_reason += (summary.stop_reason.empty() ? "" : "; ") + why;
    }
    // Claim as many as there are free workers (none while a disk is full).
    const bool no_space = !draining_ && disk_full(summary);
    while (running_ < opts_.workers && !draining_ && !no_space) {
      // Short tasks free their slot while a claim is on its way, so this loop
      // can go on for the whole run: the threads that ended are joined here
      // too, or every one of them would keep its stack until the run ends.
      if (!finished_threads_.empty()) join_finished_threads(lock);
      if (config.budget_usd) {
        lock.unlock();
        auto s = store_.summary(std::nullopt);
        lock.lock();
        if (s.ok() && s.value().cost_usd >= *config.budget_usd) {
          char spent[64];
          std::snprintf(spent, sizeof spent, "$%.2f of the $%.2f budget", s.value().cost_usd, *config.budget_usd);
          summary.stop_reason = std::string(spent) +
                                " spent; no new agent runs start (raise budget_usd in drover.yaml to continue)";
          print(summary.stop_reason);
          draining_ = true;
          break;
        }
      }
      const int64_t now = clock.now_ms();
      if (now < claim_retry_at_) break;
      ClaimRequest req{engine_.executor, config.lease_duration.count(), now, std::nullopt, paused_agents(now),
                       config.default_agent, {}};
      if (!opts_.epic.empty()) req.epic = opts_.epic;
      // Every free worker filled with one claim (storage ABI 1.5; one claim
      // per task before: the run loop's claims were what a run of short
      // tasks waited on).
      const int free_workers = engine_.limits.may_probe(now) ? 1 : opts_.workers - running_;
      lock.unlock();
      req.exclude_ids = held_by_overlap_now();
      auto claimed = store_.claim_tasks(req, free_workers);
      if (claimed.ok() && claimed.value().size() > 1) claimed = keep_apart(std::move(claimed.value()), now);
      lock.lock();
      if (claimed.ok() && claimed.value().empty() && !req.exclude_ids.empty()) {
        auto held = claim_held(req, lock);
        if (!held.ok()) claimed = held.status();
        else if (held.value()) claimed.value().push_back(std::move(*held.value()));
      }
      if (!claimed.ok()) {
        // Unreachable: StoreHealth has said so once. Anything else is said
        // once per message. Either way the next claim waits, growing to 5 s.
        if (!store_unreachable(claimed.status()) && claimed.status().message() != last_claim_error_) {
          last_claim_error_ = claimed.status().message();
          print("warning: claiming work failed: " + last_claim_error_ + " (retrying)");
        }
        claim_retry_at_ = now + std::min<int64_t>(5000, int64_t{200} << std::min(claim_failures_++, 5));
        break;
      }
      claim_failures_ = 0;
      last_claim_error_.clear();
      if (claimed.value().empty()) break;
      for (Task& task : claimed.value()) {
        if (live_.count(task.id)) {
          // Its lease expired while this run's own workflow for it is still
          // ending (fenced): never run a task twice at once. It is given back
          // once that workflow has ended.
          stranded_.insert(task.id);
          continue;
        }
        stranded_.erase(task.id);
        running_view_.claimed(task);
        leases_.claimed(task.id, now);
        engine_.limits.claimed(task.agent_or(config.default_agent), task.id, now);
        live_.insert(task.id);
        ++running_;
        slot_holders_.insert(task.id);
        const uint64_t thread_id = next_thread_++;
        threads_.emplace(thread_id,
                         std::thread([this, thread_id, t = std::move(task)]() mutable { worker(thread_id, std::move(t)); }));
      }
    }
    // A damaged store: stop everything now, nothing more can be recorded.
    if (health_.corrupt() && !engine_.stopping.load()) request_stop();
    if (draining_ && running_ == 0) {
      summary.interrupted = summary.stop_reason.empty();
      break;
    }
    bool anything_left = true;
    int64_t wake = clock.now_ms() + 1000;
    if (!draining_ && running_ > 0) {
      // Our own workers wake the loop when they finish, and tell it when a
      // task they released becomes claimable; no need to scan the store.
      wake = std::min(wake, earliest_release_);
    } else if (!draining_) {
      lock.unlock();
      reclaim_dead_local_executors();
      wake = next_wakeup(clock.now_ms(), anything_left);
      lock.lock();
    }
    earliest_release_ = std::numeric_limits<int64_t>::max();
    if (!anything_left && running_ == 0 && stranded_.empty()) break;
    // A workflow that ended while the lock was let go above (its notify was
    // missed) is joined, and its task given back if stranded, before any wait:
    // with nothing else left the wait below could otherwise last for ever.
    if (!finished_threads_.empty()) continue;
    if (!stranded_.empty()) wake = std::min(wake, clock.now_ms() + 1000);  // the store may take it back now
    if (claim_retry_at_ > clock.now_ms()) wake = std::min(wake, claim_retry_at_);
    if (disk_full_) wake = std::min(wake, next_disk_look_);
    if (running_ < opts_.workers || draining_) {
      clock.wait_until(lock, cv_, wake, running_ == 0 && finished_threads_.empty() && live_.empty());
    } else {
      // Every worker busy: wake when one is free, or after a second to look
      // at the disk again (a full disk may have to drain the run).
      clock.wait_until(lock, cv_, clock.now_ms() + 1000, false);
    }
  }
  lock.unlock();
  for (auto& [id, t] : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  done_ = true;
  cv_.notify_all();
  if (lease_keeper_.joinable()) lease_keeper_.join();
  if (fence_watch_.joinable()) fence_watch_.join();
  engine_.landing.close();  // the scratch worktree merged results were verified in
  if (auto damaged = health_.corrupt()) return *damaged;
  if (health_.down()) {
    // Exiting now matters more than waiting for the store: the tasks still
    // leased to this run are taken back by the next run on this machine at
    // once, or by anyone when their lease expires.
    print("the store is unreachable: tasks this run still holds are taken back by the next `drover resume`");
    return Status::Unavailable("cannot reach the store to summarise the run; `drover status` shows it once the store answers");
  }
  release_stranded();
  sweep_finished_worktrees();

  TaskFilter filter;
  if (!opts_.epic.empty()) filter.epic = opts_.epic;
  // Completed tasks are counted by the store, not read back: with every task
  // of a large run in memory at once, the summary was the run's peak.
  auto counts = store_.summary(filter.epic);
  if (!counts.ok()) return counts.status();
  summary.completed = counts.value().count(TaskStatus::kCompleted);
  summary.cost_usd = counts.value().cost_usd;
  filter.statuses = {TaskStatus::kFailed, TaskStatus::kBlocked, TaskStatus::kWaiting, TaskStatus::kCancelled,
                     TaskStatus::kReady,  TaskStatus::kRunning};
  auto all = store_.list_tasks(filter);
  if (!all.ok()) return all.status();
  for (const auto& t : all.value()) {
    switch (t.status) {
      case TaskStatus::kCompleted: break;  // counted above
      case TaskStatus::kFailed:
        ++summary.failed;
        summary.failures.emplace_back(t.id, t.last_error);
        break;
      case TaskStatus::kBlocked:
        ++summary.blocked;
        summary.blocked_tasks.emplace_back(t.id, t.status_reason);
        break;
      case TaskStatus::kWaiting: ++summary.waiting; break;
      case TaskStatus::kCancelled: ++summary.cancelled; break;
      case TaskStatus::kReady:
        if (t.awaiting_review()) summary.awaiting_review.emplace_back(t.id, t.wait.detail);
        else ++(t.wait.kind == WaitKind::kInterrupted ? summary.stopped : summary.ready);
        break;
      case TaskStatus::kRunning: ++summary.running; break;
    }
  }
  summary.duration_ms = clock.now_ms() - started;
  {
    std::lock_guard<std::mutex> guard(mu_);
    summary.outcomes = outcomes_;
  }
  {
    std::lock_guard<std::mutex> guard(engine_.counts_mu);
    summary.rounds = engine_.counts;
  }
  summary.verify_runs_on_merge = engine_.landing.verify_runs();
  return summary;
}

}  // namespace drover
