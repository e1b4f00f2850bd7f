#include "drover/agent/process_agent_runner.h"

#include <deque>

namespace drover {

Result<AgentAttemptResult> ProcessAgentRunner::run_agent(const std::string& agent_name,
                                                         const AgentAttemptRequest& request) {
  auto agent = agents_(agent_name);
  if (!agent.ok()) return agent.status();
  AgentAttemptRequest capped = request;
  capped.log_max_bytes = log_max_bytes_;
  if (boxes_) capped.box = boxes_->for_agent(agent_name);
  auto result = run_agent_attempt(agent.value()->vtable(), agent.value()->handle(), capped, runner_,
                                  [&](ProcessRunner::RunId id) {
                                    std::lock_guard<std::mutex> lock(mu_);
                                    runs_[request.task_id] = id;
                                  });
  std::lock_guard<std::mutex> lock(mu_);
  runs_.erase(request.task_id);
  return result;
}

VerifyResult ProcessAgentRunner::run_verify(const VerifyRequest& request) {
  ProcessSpec spec;
  spec.argv = request.argv;
  spec.env = build_child_environment(default_environment_allow_list(), {});
  spec.cwd = request.worktree;
  spec.timeout = request.timeout;
  spec.log_path = request.log_file;
  spec.log_max_bytes = log_max_bytes_;
  spec.process_file = request.process_file;
  std::optional<BoxedAttempt> boxed;
  const BoxSettings box = boxes_ ? boxes_->for_verify() : BoxSettings{};
  if (boxes_) {
    std::string report = request.log_file.size() > 4 ? request.log_file.substr(0, request.log_file.size() - 4) + ".box.json"
                                                     : request.worktree + "/.verify.box.json";
    auto prepared = prepare_boxed_attempt(box, request.task_id + ".verify", request.worktree, report, {});
    if (!prepared.ok()) {
      VerifyResult out;
      out.why = "error";
      out.output = prepared.status().message();
      return out;
    }
    boxed = std::move(prepared.value());
    for (const auto& [k, v] : boxed->env) spec.env[k] = v;
    spec.wrapper = boxed->wrapper;
    spec.process_note = boxed->process_note;
  }
  std::deque<std::string> tail;
  std::mutex mu;
  auto r = runner_.run(spec, [&](int, std::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    tail.emplace_back(line.substr(0, 2000));
    if (tail.size() > 60) tail.pop_front();
  });
  if (boxed) {
    BoxOutcome o = finish_boxed_attempt(*boxed, box);
    for (const std::string& l : o.leftovers) tail.push_back("drover: ended what the verify command left running: " + l);
  }
  VerifyResult out;
  if (!r.ok()) {
    out.why = "error";
    out.output = r.status().message();
    return out;
  }
  for (const auto& l : tail) out.output += l + "\n";
  const ProcessResult& p = r.value();
  out.passed = p.exit_code && *p.exit_code == 0;
  out.interrupted = p.cancelled;
  out.why = p.timed_out ? "timed out" : p.exit_code ? "exit code " + std::to_string(*p.exit_code) : "killed by a signal";
  return out;
}

void ProcessAgentRunner::cancel(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = runs_.find(task_id); it != runs_.end()) runner_.cancel(it->second);
}

void ProcessAgentRunner::cancel_within(const std::string& task_id, std::chrono::milliseconds kill_after) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = runs_.find(task_id); it != runs_.end()) runner_.cancel(it->second, kill_after);
}

std::vector<std::string> ProcessAgentRunner::running_tasks() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [task, id] : runs_) out.push_back(task);
  return out;
}

// The second Ctrl-C: SIGTERM, and SIGKILL a second later at most, so the run
// can keep its promise to exit within 2 s.
void ProcessAgentRunner::terminate_all() { runner_.terminate_all(std::chrono::seconds(1)); }

}  // namespace drover
