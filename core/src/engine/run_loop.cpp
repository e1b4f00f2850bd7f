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
#include "drover/engine/workflow_context.h"
#include "drover/process/leftover_process.h"

namespace drover {
namespace {

using Storage = drover_storage_vtable_v1;

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

RunLoop::RunLoop(Project& project, RunOptions options) : project_(project), opts_(std::move(options)) {
  runner_ = std::make_unique<ProcessRunner>();
  if (opts_.workers <= 0) opts_.workers = project_.config().workers;
}

RunLoop::~RunLoop() {
  done_ = true;
  cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  for (auto& [id, t] : threads_)
    if (t.joinable()) t.join();
}

void RunLoop::request_drain() {
  if (!draining_.exchange(true) && opts_.print)
    opts_.print("draining: no new tasks start; running agents finish (Ctrl-C again to stop them)");
  cv_.notify_all();
}

void RunLoop::request_stop() {
  draining_ = true;
  if (!shared_.stopping.exchange(true)) {
    if (opts_.print) opts_.print("stopping: terminating running agents; `drover resume` continues later");
    runner_->terminate_all();
  }
  cv_.notify_all();
}

std::vector<std::string> RunLoop::paused_agents(int64_t now) {
  std::vector<std::string> out;
  for (const auto& [agent, until] : agent_paused_until_)
    if (until > now) out.push_back(agent);
  return out;
}

void RunLoop::worker(uint64_t thread_id, json task) {
  const std::string id = task.value("id", "");
  TaskWorkflow wf(shared_, std::move(task));
  try {
    (void)wf.run();
  } catch (const std::exception& e) {
    if (opts_.print) opts_.print(id + ": internal error: " + e.what() + " (the task is left for resume)");
  }
  release_slot(id);
  std::lock_guard<std::mutex> lock(mu_);
  finished_threads_.push_back(thread_id);
  cv_.notify_all();
}

void RunLoop::release_slot(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (slot_holders_.erase(task_id) > 0) {
    --running_;
    cv_.notify_all();
  }
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

void RunLoop::heartbeat_loop() {
  // Leases are renewed every third of their duration; cancellations are
  // looked for every half second so `drover cancel` stops an agent promptly.
  const auto renew_every = std::max(std::chrono::milliseconds(200), project_.config().lease_duration / 3);
  const auto tick = std::min(renew_every, std::chrono::milliseconds(500));
  auto next_renew = std::chrono::steady_clock::now() + renew_every;
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    cv_.wait_for(lock, tick, [&] { return done_.load(); });
    if (done_) break;
    std::map<std::string, ProcessRunner::RunId> runs = runs_;
    lock.unlock();
    if (std::chrono::steady_clock::now() >= next_renew) {
      next_renew = std::chrono::steady_clock::now() + renew_every;
      auto r = shared_.store->call(&Storage::renew_leases, "renew_leases",
                                   json{{"executor", shared_.executor},
                                        {"lease_ms", project_.config().lease_duration.count()},
                                        {"now_ms", now_ms()}});
      if (!r.ok() && opts_.print) opts_.print("warning: could not renew leases: " + r.status().message());
    }
    if (!runs.empty()) {
      json ids = json::array();
      for (const auto& [task_id, run_id] : runs) ids.push_back(task_id);
      auto tasks = shared_.store->call(&Storage::list_tasks, "list_tasks", json{{"ids", ids}, {"status", json::array({"cancelled"})}});
      if (tasks.ok()) {
        for (const auto& t : tasks.value()) {
          auto it = runs.find(t.value("id", ""));
          if (it != runs.end()) runner_->cancel(it->second);
        }
      }
    }
    lock.lock();
  }
}

void RunLoop::reclaim_dead_local_executors() {
  auto running = shared_.store->call(&Storage::list_tasks, "list_tasks", json{{"status", json::array({"running"})}});
  if (!running.ok()) return;
  for (const auto& t : running.value()) {
    std::string owner = t.value("lease_owner", "");
    if (owner.empty() || owner == shared_.executor || !local_executor_is_dead(owner)) continue;
    auto r = shared_.store->call(&Storage::release_task, "release_task",
                                 json{{"id", t.value("id", "")}, {"executor", owner}, {"now_ms", now_ms()}});
    if (r.ok() && opts_.print) opts_.print(t.value("id", "") + ": taken back from a dead run (" + owner + ")");
  }
}

void RunLoop::restore_agent_pauses() {
  // A quota pause is recorded on the task that hit it (released with a
  // not-before time and a reason naming the agent); a new run reads it back so
  // the agent's other tasks also wait, instead of each hitting the limit again.
  auto ready = shared_.store->call(&Storage::list_tasks, "list_tasks", json{{"status", json::array({"ready"})}});
  if (!ready.ok()) return;
  const int64_t now = now_ms();
  const std::string prefix = "agent '";
  const std::string marker = "' paused by a usage limit";
  for (const auto& t : ready.value()) {
    const std::string reason = t.value("status_reason", "");
    const int64_t until = t.value("not_before_ms", int64_t{0});
    size_t end = reason.find(marker);
    if (reason.rfind(prefix, 0) != 0 || end == std::string::npos || until <= now) continue;
    const std::string agent = reason.substr(prefix.size(), end - prefix.size());
    std::lock_guard<std::mutex> lock(mu_);
    agent_paused_until_[agent] = std::max(agent_paused_until_[agent], until);
  }
}

void RunLoop::sweep_finished_worktrees() {
  // A run killed between a task's completion and its cleanup step leaves the
  // worktree behind, and a completed task is never replayed: remove those
  // here. The VCS plugin refuses to remove anything not merged into the target.
  auto wts = shared_.vcs->call(&drover_vcs_vtable_v1::list_worktrees, "list_worktrees",
                               json{{"target_branch", shared_.target_branch}});
  if (!wts.ok()) return;
  for (const auto& w : wts.value()) {
    const std::string key = w.value("task_id", "");
    if (key.empty() || !w.value("merged", false) || w.value("dirty", false)) continue;
    auto t = shared_.store->call(&Storage::get_task, "get_task", json{{"id", key}});
    if (!t.ok() || t.value().value("status", "") != "completed") continue;
    auto r = shared_.vcs->call(&drover_vcs_vtable_v1::remove_worktree, "remove_worktree", json{{"task_id", key}, {"target_branch", shared_.target_branch}});
    if (r.ok() && r.value().value("removed", false) && opts_.print)
      opts_.print(key + ": removed its finished worktree left by an interrupted run");
  }
}

int64_t RunLoop::next_wakeup(int64_t now, bool& anything_left) {
  anything_left = false;
  json filter{{"status", json::array({"ready", "running"})}};
  if (!opts_.epic.empty()) filter["epic"] = opts_.epic;
  auto tasks = shared_.store->call(&Storage::list_tasks, "list_tasks", filter);
  if (!tasks.ok()) {
    anything_left = true;
    return now + 1000;
  }
  int64_t wake = now + 60 * 1000;
  for (const auto& t : tasks.value()) {
    anything_left = true;
    if (t.value("status", "") == "ready") {
      int64_t nb = t.value("not_before_ms", int64_t{0});
      std::string agent = t.value("agent", json()).is_string() ? t["agent"].get<std::string>() : "";
      if (agent.empty()) agent = project_.config().default_agent;
      auto p = agent_paused_until_.find(agent);
      if (p != agent_paused_until_.end() && p->second > now) nb = std::max(nb, p->second);
      wake = std::min(wake, std::max(nb, now + 20));
    } else if (t.value("lease_owner", "") != shared_.executor) {
      // Another executor's task: look again when its lease would expire, and
      // at least every second to see dependents it unblocks.
      wake = std::min(wake, std::min(t.value("lease_expires_ms", now) + 10, now + 1000));
    }
  }
  return wake;
}

Result<RunSummary> RunLoop::run() {
  const int64_t started = now_ms();
  auto store = project_.store();
  if (!store.ok()) return store.status();
  auto vcs = project_.vcs();
  if (!vcs.ok()) return vcs.status();
  shared_.project = &project_;
  shared_.store = store.value();
  shared_.vcs = vcs.value();
  shared_.runner = runner_.get();
  shared_.executor = make_executor_id();
  shared_.target_branch = project_.config().target_branch;
  if (shared_.target_branch.empty()) {
    auto info = shared_.vcs->call(&drover_vcs_vtable_v1::repo_info, "repo_info", json::object());
    if (!info.ok()) return info.status();
    if (!info.value()["head_branch"].is_string())
      return Status::InvalidConfig("no target_branch in " + project_.config().path +
                                   " and HEAD is detached; set target_branch");
    shared_.target_branch = info.value()["head_branch"];
  }
  shared_.report = [this](const std::string& id, const std::string& msg) {
    if (opts_.print) opts_.print(id + ": " + msg);
  };
  shared_.pause_agent = [this](const std::string& agent, int64_t until) {
    std::lock_guard<std::mutex> lock(mu_);
    agent_paused_until_[agent] = std::max(agent_paused_until_[agent], until);
  };
  shared_.run_started = [this](const std::string& id, ProcessRunner::RunId rid) {
    std::lock_guard<std::mutex> lock(mu_);
    runs_[id] = rid;
  };
  shared_.run_ended = [this](const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    runs_.erase(id);
  };
  shared_.slot_done = [this](const std::string& id) { release_slot(id); };
  shared_.released_until = [this](int64_t until_ms) {
    std::lock_guard<std::mutex> lock(mu_);
    earliest_release_ = std::min(earliest_release_, until_ms);
    cv_.notify_all();
  };

  reclaim_dead_local_executors();
  sweep_finished_worktrees();
  restore_agent_pauses();
  heartbeat_ = std::thread([this] { heartbeat_loop(); });

  RunSummary summary;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    join_finished_threads(lock);
    // Claim as many as there are free workers.
    while (running_ < opts_.workers && !draining_) {
      if (project_.config().budget_usd) {
        lock.unlock();
        auto s = shared_.store->call(&Storage::summary, "summary", json::object());
        lock.lock();
        if (s.ok() && s.value().value("cost_usd", 0.0) >= *project_.config().budget_usd) {
          char spent[64];
          std::snprintf(spent, sizeof spent, "$%.2f of the $%.2f budget", s.value().value("cost_usd", 0.0),
                        *project_.config().budget_usd);
          summary.stop_reason = std::string(spent) +
                                " spent; no new agent runs start (raise budget_usd in drover.yaml to continue)";
          if (opts_.print) opts_.print(summary.stop_reason);
          draining_ = true;
          break;
        }
      }
      const int64_t now = now_ms();
      json req{{"executor", shared_.executor},
               {"lease_ms", project_.config().lease_duration.count()},
               {"now_ms", now},
               {"default_agent", project_.config().default_agent},
               {"exclude_agents", paused_agents(now)}};
      if (!opts_.epic.empty()) req["epic"] = opts_.epic;
      lock.unlock();
      auto claimed = shared_.store->call(&Storage::claim_task, "claim_task", req);
      lock.lock();
      if (!claimed.ok()) {
        if (opts_.print) opts_.print("warning: claiming work failed: " + claimed.status().message());
        break;
      }
      if (claimed.value().is_null()) break;
      ++running_;
      const std::string tid = claimed.value().value("id", "");
      slot_holders_.insert(tid);
      const uint64_t thread_id = next_thread_++;
      threads_.emplace(thread_id, std::thread([this, thread_id, t = claimed.value()] { worker(thread_id, t); }));
    }
    if (draining_ && running_ == 0) {
      summary.interrupted = summary.stop_reason.empty();
      break;
    }
    bool anything_left = true;
    int64_t wake = now_ms() + 1000;
    if (!draining_ && running_ > 0) {
      // Our own workers wake the loop when they finish, and tell it when a
      // task they released becomes claimable; no need to scan the store.
      wake = std::min(wake, earliest_release_);
    } else if (!draining_) {
      lock.unlock();
      reclaim_dead_local_executors();
      wake = next_wakeup(now_ms(), anything_left);
      lock.lock();
    }
    earliest_release_ = std::numeric_limits<int64_t>::max();
    if (!anything_left && running_ == 0) break;
    if (running_ < opts_.workers || draining_) {
      cv_.wait_until(lock, std::chrono::system_clock::time_point(std::chrono::milliseconds(wake)));
    } else {
      cv_.wait(lock, [&] { return running_ < opts_.workers || draining_.load(); });
    }
  }
  lock.unlock();
  done_ = true;
  cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  for (auto& [id, t] : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  sweep_finished_worktrees();

  json filter = json::object();
  if (!opts_.epic.empty()) filter["epic"] = opts_.epic;
  auto all = shared_.store->call(&Storage::list_tasks, "list_tasks", filter);
  if (!all.ok()) return all.status();
  for (const auto& t : all.value()) {
    const std::string st = t.value("status", "");
    if (st == "completed") ++summary.completed;
    else if (st == "failed") {
      ++summary.failed;
      summary.failures.emplace_back(t.value("id", ""), t.value("last_error", ""));
    } else if (st == "blocked") {
      ++summary.blocked;
      summary.blocked_tasks.emplace_back(t.value("id", ""), t.value("status_reason", ""));
    } else if (st == "waiting") ++summary.waiting;
    else if (st == "cancelled") ++summary.cancelled;
    else if (st == "ready") ++summary.ready;
    else if (st == "running") ++summary.running;
  }
  auto s = shared_.store->call(&Storage::summary, "summary", filter);
  if (s.ok()) summary.cost_usd = s.value().value("cost_usd", 0.0);
  summary.duration_ms = now_ms() - started;
  return summary;
}

}  // namespace drover
