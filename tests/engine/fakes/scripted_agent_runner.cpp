#include "scripted_agent_runner.h"

#include <algorithm>
#include <chrono>

namespace drover::testing {

void ScriptedAgentRunner::script(const std::string& task_id, std::vector<ScriptedAttempt> attempts) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& a : attempts) scripts_[task_id].push_back(std::move(a));
}

void ScriptedAgentRunner::script_verify(const std::string& task_id, std::vector<bool> passes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (bool p : passes) verifies_[task_id].push_back(p);
}

int ScriptedAgentRunner::runs(const std::string& task_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find(task_id);
  return it == requests_.end() ? 0 : static_cast<int>(it->second.size());
}

std::vector<AgentAttemptRequest> ScriptedAgentRunner::requests(const std::string& task_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find(task_id);
  return it == requests_.end() ? std::vector<AgentAttemptRequest>{} : it->second;
}

bool ScriptedAgentRunner::wait_running(const std::string& task_id) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return running_.count(task_id) > 0; });
}

void ScriptedAgentRunner::finish(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  finished_.insert(task_id);
  cv_.notify_all();
}

bool ScriptedAgentRunner::was_cancelled(const std::string& task_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ever_cancelled_.count(task_id) > 0;
}

int ScriptedAgentRunner::most_at_once(const std::string& task_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = most_at_once_.find(task_id);
  return it == most_at_once_.end() ? 0 : it->second;
}

Result<AgentAttemptResult> ScriptedAgentRunner::run_agent(const std::string&, const AgentAttemptRequest& request) {
  if (before) before(request);
  ScriptedAttempt a;
  bool stopped = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    requests_[request.task_id].push_back(request);
    const int now_running = ++at_once_[request.task_id];
    most_at_once_[request.task_id] = std::max(most_at_once_[request.task_id], now_running);
    auto& queue = scripts_[request.task_id];
    if (auto ruled = rule ? rule(request) : std::nullopt) {
      a = *ruled;
    } else if (!queue.empty()) {
      a = queue.front();
      queue.pop_front();
    }
    if (a.hold) {
      running_.insert(request.task_id);
      cv_.notify_all();
      cv_.wait(lock, [&] {
        return terminated_ || finished_.count(request.task_id) > 0 ||
               (!a.ignore_cancel && cancelled_.count(request.task_id) > 0);
      });
      stopped = !finished_.count(request.task_id);
      running_.erase(request.task_id);
      cancelled_.erase(request.task_id);
      finished_.erase(request.task_id);
    }
    --at_once_[request.task_id];
  }
  AgentAttemptResult r;
  r.log_file = request.log_file;
  if (stopped) {
    r.outcome = AttemptOutcome::kCrashed;
    r.reason = "stopped";
    r.cancelled = true;
    return r;
  }
  r.outcome = a.outcome;
  r.reason = a.reason;
  r.reset_at_ms = a.reset_at_ms;
  r.session_id = a.session_id;
  if (a.cost_usd > 0) r.cost_usd = a.cost_usd;
  r.stop_reason = a.stop_reason;
  r.summary = a.summary ? *a.summary : a.outcome == AttemptOutcome::kSuccess ? "did " + request.task_id : "";
  return r;
}

int ScriptedAgentRunner::verify_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return verify_count_;
}

VerifyResult ScriptedAgentRunner::run_verify(const VerifyRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  ++verify_count_;
  VerifyResult v;
  v.passed = true;
  auto& queue = verifies_[request.task_id];
  if (verify_rule) {
    v.passed = verify_rule(request);
  } else if (!queue.empty()) {
    v.passed = queue.front();
    queue.pop_front();
  }
  v.why = v.passed ? "exit code 0" : "exit code 1";
  v.output = v.passed ? "ok\n" : "FAILED: test_x\n";
  return v;
}

void ScriptedAgentRunner::cancel(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_.count(task_id)) cancelled_.insert(task_id);
  ever_cancelled_.insert(task_id);
  cv_.notify_all();
}

void ScriptedAgentRunner::cancel_within(const std::string& task_id, std::chrono::milliseconds /*kill_after*/) {
  cancel(task_id);
}

std::vector<std::string> ScriptedAgentRunner::running_tasks() {
  std::lock_guard<std::mutex> lock(mu_);
  return {running_.begin(), running_.end()};
}

void ScriptedAgentRunner::terminate_all() {
  std::lock_guard<std::mutex> lock(mu_);
  terminated_ = true;
  cv_.notify_all();
}

}  // namespace drover::testing
