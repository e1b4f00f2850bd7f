#include "drover/engine/task_workflow.h"

#include <deque>
#include <filesystem>
#include <optional>

#include "drover/agent/agent_attempt.h"
#include "drover/process/leftover_process.h"
#include "drover/common/duration.h"
#include "drover/engine/backoff.h"
#include "drover/engine/prompt.h"
#include "drover/engine/workflow_context.h"

namespace drover {
namespace {

using Storage = drover_storage_vtable_v1;
using Vcs = drover_vcs_vtable_v1;

std::string join(const json& arr, const std::string& sep) {
  std::string out;
  if (!arr.is_array()) return out;
  for (const auto& v : arr) {
    if (!out.empty()) out += sep;
    out += v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

std::string first_lines(const std::string& text, size_t max_lines) {
  std::string out;
  size_t lines = 0, pos = 0;
  while (pos < text.size() && lines < max_lines) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    out += (lines ? "\n" : "") + line;
    ++lines;
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

// Marker for step functions that must not be recorded: the step runs again
// when the workflow is picked up next (used for "the user's checkout is in the
// way" and for a run interrupted by a stop).
Status not_now(const std::string& why) { return Status::Unavailable(why); }

}  // namespace

std::string TaskWorkflow::agent_name() const {
  if (task_.contains("agent") && task_["agent"].is_string() && !task_["agent"].get<std::string>().empty())
    return task_["agent"].get<std::string>();
  return s_.project->config().default_agent;
}

int TaskWorkflow::max_attempts() const {
  int m = task_.value("max_attempts", 0);
  return m > 0 ? m : s_.project->config().max_attempts;
}

void TaskWorkflow::event(const std::string& kind, const std::string& message, const json& data) {
  (void)s_.store->call(&Storage::append_event, "append_event",
                       json{{"task_id", id()}, {"kind", kind}, {"message", message}, {"data", data}, {"now_ms", now_ms()}});
}

void TaskWorkflow::update(const json& fields) {
  auto r = s_.store->call(&Storage::update_task, "update_task", json{{"id", id()}, {"now_ms", now_ms()}, {"fields", fields}});
  if (r.ok()) task_ = r.value();
}

TaskOutcome TaskWorkflow::release(int64_t not_before_ms, const std::string& reason) {
  auto r = s_.store->call(&Storage::release_task, "release_task",
                          json{{"id", id()}, {"executor", s_.executor}, {"now_ms", now_ms()}, {"not_before_ms", not_before_ms}});
  if (!r.ok()) {
    if (s_.report) s_.report(id(), "could not release: " + r.status().message());
    return TaskOutcome::kAbandoned;
  }
  // After the release, which resets the reason: `status` shows why it waits.
  update(json{{"status_reason", reason}});
  if (s_.released_until) s_.released_until(not_before_ms);
  return TaskOutcome::kYielded;
}

TaskOutcome TaskWorkflow::fail(const std::string& error) {
  auto r = s_.store->call(&Storage::fail_task, "fail_task",
                          json{{"id", id()}, {"executor", s_.executor}, {"now_ms", now_ms()}, {"error", error}});
  if (!r.ok()) {
    if (s_.report) s_.report(id(), "could not record the failure: " + r.status().message());
    return TaskOutcome::kAbandoned;
  }
  if (s_.report) {
    std::string blocked = join(r.value().value("blocked", json::array()), ", ");
    s_.report(id(), "failed: " + error + (blocked.empty() ? "" : " (now blocked: " + blocked + ")"));
  }
  return TaskOutcome::kFailed;
}

std::string TaskWorkflow::commit_message(int attempt) const {
  std::string msg = task_.value("title", id());
  std::string desc = first_lines(task_.value("description", ""), 20);
  if (!desc.empty()) msg += "\n\n" + desc;
  msg += "\n\nDrover-Task: " + id() + "\nDrover-Attempt: " + std::to_string(attempt) + "\n";
  return msg;
}

Result<json> TaskWorkflow::run_agent(int attempt, const std::string& worktree, const std::string& previous_failure,
                                     const std::string& session_id) {
  const Config& cfg = s_.project->config();
  const std::string name = agent_name();
  if (name.empty()) return Status::InvalidConfig("no agent for task " + id() + ": set default_agent in drover.yaml");
  auto agent = s_.project->agent(name);
  if (!agent.ok()) return agent.status();

  PromptInput in;
  in.task = task_;
  in.guidelines = cfg.prompt_guidelines;
  in.previous_failure = previous_failure;
  if (task_.contains("epic") && task_["epic"].is_string()) {
    auto epics = s_.store->call(&Storage::list_epics, "list_epics", json::object());
    if (epics.ok())
      for (const auto& e : epics.value())
        if (e.value("id", "") == task_["epic"].get<std::string>()) in.epic_title = e.value("title", "");
  }
  for (const auto& b : task_.value("blocked_by", json::array())) {
    auto t = s_.store->call(&Storage::get_task, "get_task", json{{"id", b}});
    if (t.ok() && t.value().value("status", "") == "completed") in.completed_blockers.push_back(t.value());
  }

  const std::string dir = cfg.drover_dir();
  AgentAttemptRequest req;
  req.task_id = id();
  req.attempt = attempt;
  req.prompt = render_prompt(cfg.prompt_template, in, attempt);
  // Next to the log: one directory per task keeps file creation per attempt low.
  req.prompt_file = dir + "/logs/" + id() + "/" + std::to_string(attempt) + ".prompt.md";
  req.log_file = dir + "/logs/" + id() + "/" + std::to_string(attempt) + ".log";
  req.worktree = worktree;
  req.session_id = session_id;
  int64_t t = task_.value("timeout_ms", 0);
  req.timeout = t > 0 ? std::chrono::milliseconds(t) : cfg.task_timeout;
  // We hold the task's lease: an agent still running for it was left by a
  // drover that died, and must not keep writing into the worktree.
  req.process_file = dir + "/logs/" + id() + "/agent.pid";
  if (stop_leftover_process_group(req.process_file) && s_.report)
    s_.report(id(), "stopped an agent left running by an interrupted run");

  update(json{{"attempts", attempt}, {"status_reason", "running agent '" + name + "' (attempt " + std::to_string(attempt) + ")"}});
  event("attempt_started", "attempt " + std::to_string(attempt) + " with agent '" + name + "'",
        json{{"attempt", attempt}, {"agent", name}, {"log_file", req.log_file}});
  if (s_.report) s_.report(id(), "started: " + task_.value("title", "") + " (agent " + name + ", attempt " +
                                     std::to_string(attempt) + ")");

  const std::string tid = id();
  auto res = run_agent_attempt(agent.value()->vtable(), agent.value()->handle(), req, *s_.runner,
                               [&](ProcessRunner::RunId rid) {
                                 if (s_.run_started) s_.run_started(tid, rid);
                               });
  if (s_.run_ended) s_.run_ended(tid);
  if (!res.ok()) return res.status();
  const AgentAttemptResult& a = res.value();
  if (s_.stopping.load()) return not_now("stopped by a signal before the agent finished");

  json out{{"outcome", a.outcome}, {"reason", a.reason}, {"summary", a.summary}, {"log_file", req.log_file},
           {"duration_ms", a.duration_ms}};
  if (a.session_id) out["session_id"] = *a.session_id;
  if (a.turns) out["turns"] = *a.turns;
  if (a.tokens_in) out["tokens_in"] = *a.tokens_in;
  if (a.tokens_out) out["tokens_out"] = *a.tokens_out;
  if (a.cost_usd) out["cost_usd"] = *a.cost_usd;
  if (a.reset_at_ms) out["reset_at_ms"] = *a.reset_at_ms;
  if (a.exit_code) out["exit_code"] = *a.exit_code;

  json fields{{"tokens_in", task_.value("tokens_in", 0) + a.tokens_in.value_or(0)},
              {"tokens_out", task_.value("tokens_out", 0) + a.tokens_out.value_or(0)},
              {"cost_usd", task_.value("cost_usd", 0.0) + a.cost_usd.value_or(0.0)}};
  if (a.session_id) fields["session_id"] = *a.session_id;
  if (!a.summary.empty()) fields["result_summary"] = a.summary.substr(0, 4000);
  if (a.outcome != "success") fields["last_error"] = a.reason;
  update(fields);
  event("attempt_finished", "attempt " + std::to_string(attempt) + ": " + a.outcome + (a.reason.empty() ? "" : " — " + a.reason),
        out);
  return out;
}

Result<json> TaskWorkflow::run_verify(const std::string& worktree, int attempt) {
  const VerifyConfig& v = *s_.project->config().verify;
  ProcessSpec spec;
  spec.argv = v.command;
  spec.env = build_child_environment(default_environment_allow_list(), {});
  spec.cwd = worktree;
  spec.timeout = v.timeout;
  spec.log_path = s_.project->config().drover_dir() + "/logs/" + id() + "/" + std::to_string(attempt) + ".verify.log";
  std::deque<std::string> tail;
  std::mutex mu;
  if (s_.report) s_.report(id(), "verifying: " + join(json(v.command), " "));
  auto r = s_.runner->run(spec, [&](int, std::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    tail.emplace_back(line.substr(0, 2000));
    if (tail.size() > 60) tail.pop_front();
  });
  if (!r.ok()) return json{{"passed", false}, {"output", r.status().message()}};
  if (s_.stopping.load()) return not_now("stopped by a signal during verify");
  std::string output;
  for (const auto& l : tail) output += l + "\n";
  bool passed = r.value().exit_code && *r.value().exit_code == 0;
  std::string why = r.value().timed_out ? "timed out" : r.value().exit_code ? "exit code " + std::to_string(*r.value().exit_code)
                                                                             : "killed by a signal";
  return json{{"passed", passed}, {"why", why}, {"output", output}, {"log_file", spec.log_path}};
}

TaskOutcome TaskWorkflow::run() {
  const std::string tid = id();
  const std::string wf_id = "task/" + tid + "/" + std::to_string(task_.value("generation", 0));
  auto started = WorkflowContext::start(*s_.store, wf_id, "task", json{{"task_id", tid}}, s_.executor);
  if (!started.ok()) {
    if (s_.report) s_.report(tid, "cannot start its workflow: " + started.status().message());
    return release(now_ms() + 5000, started.status().message());
  }
  WorkflowContext& ctx = started.value();
  if (task_.value("reclaimed", false) && s_.report) s_.report(tid, "resuming (workflow " + wf_id + ")");

  const Config& cfg = s_.project->config();
  const int max = max_attempts();
  const uint64_t seed = std::hash<std::string>{}(wf_id);
  std::string session_id = task_.value("session_id", "");
  std::string last_error, previous_failure;
  int conflicts = 0;
  int attempt = 0;

  while (true) {
    ++attempt;
    const std::string a = std::to_string(attempt);
    // After a merge conflict the work is redone on a fresh branch from the new
    // tip; the conflicting branch stays (it is unmerged work) for `worktree prune`.
    const std::string vcs_key = conflicts == 0 ? tid : tid + "-r" + std::to_string(conflicts + 1);
    bool attempt_failed = false;

    auto wt = ctx.step("worktree#" + a, [&] {
      return s_.vcs->call(&Vcs::prepare_worktree, "prepare_worktree",
                          json{{"task_id", vcs_key}, {"target_branch", s_.target_branch}});
    });
    if (!wt.ok()) {
      last_error = "could not prepare the worktree: " + wt.status().message();
      previous_failure.clear();
      attempt_failed = true;
    }

    std::string worktree = wt.ok() ? wt.value().value("path", "") : "";
    if (!attempt_failed) {
      auto ar = ctx.step("agent#" + a, [&] { return run_agent(attempt, worktree, previous_failure, session_id); });
      if (!ar.ok() && ar.status().code() == StatusCode::kUnavailable) {
        // Stopped by a signal: give the task back so any executor resumes it at once.
        release(now_ms(), "interrupted; `drover resume` continues it");
        return TaskOutcome::kAbandoned;
      }
      if (!ar.ok()) {
        last_error = "agent could not run: " + ar.status().message();
        previous_failure.clear();
        attempt_failed = true;
      } else {
        const json& r = ar.value();
        if (r.contains("session_id") && r["session_id"].is_string()) session_id = r["session_id"];
        const std::string outcome = r.value("outcome", "crashed");
        if (outcome == "quota") {
          auto p = ctx.step("pause#" + a, [&]() -> Result<json> {
            int64_t until = r.value("reset_at_ms", int64_t{0});
            if (until <= now_ms()) until = now_ms() + backoff_delay(attempt, cfg.backoff_initial, cfg.backoff_max, seed).count();
            return json{{"until_ms", until}};
          });
          if (!p.ok()) return TaskOutcome::kAbandoned;
          --attempt;  // a quota pause does not burn an attempt
          int64_t until = p.value().value("until_ms", int64_t{0});
          if (s_.pause_agent) s_.pause_agent(agent_name(), until);
          if (now_ms() < until) {
            if (s_.report)
              s_.report(tid, "agent '" + agent_name() + "' hit a usage limit (" + r.value("reason", "") + "); paused for " +
                                 format_duration(std::chrono::milliseconds(until - now_ms())) + ", no attempt used");
            event("quota_pause", "agent '" + agent_name() + "' hit a usage limit; paused for " +
                      format_duration(std::chrono::milliseconds(until - now_ms())),
                  json{{"agent", agent_name()}, {"until_ms", until}});
            return release(until, "agent '" + agent_name() + "' paused by a usage limit: " + r.value("reason", ""));
          }
          continue;
        }
        if (outcome == "cancelled" || outcome == "crashed" || outcome != "success") {
          auto fresh = s_.store->call(&Storage::get_task, "get_task", json{{"id", tid}});
          if (fresh.ok() && fresh.value().value("status", "") == "cancelled") {
            (void)ctx.finish("cancelled", json{{"reason", "cancelled by the user"}});
            if (s_.report) s_.report(tid, "cancelled");
            return TaskOutcome::kFailed;
          }
        }
        if (outcome == "blocked") {
          // The agent says it cannot go on without something it does not
          // have; running it again would not change that.
          last_error = "the agent is blocked: " + r.value("reason", "");
          (void)ctx.finish("failed", json{{"error", last_error}});
          return fail(last_error + " (attempt " + a + "; not retried)");
        }
        if (outcome != "success") {
          last_error = outcome + (r.value("reason", "").empty() ? "" : ": " + r.value("reason", ""));
          previous_failure = "The agent's run ended with " + last_error;
          attempt_failed = true;
        }
      }
    }

    if (!attempt_failed && cfg.verify) {
      auto v = ctx.step("verify#" + a, [&] { return run_verify(worktree, attempt); });
      if (!v.ok() && v.status().code() == StatusCode::kUnavailable) {
        release(now_ms(), "interrupted; `drover resume` continues it");
        return TaskOutcome::kAbandoned;
      }
      if (!v.ok() || !v.value().value("passed", false)) {
        std::string out = v.ok() ? v.value().value("output", "") : v.status().message();
        last_error = "verify failed (" + (v.ok() ? v.value().value("why", "") : std::string("error")) + ")";
        previous_failure = "The verify command `" + join(json(cfg.verify->command), " ") + "` failed. Its output ended with:\n" + out;
        event("verify_failed", last_error, json{{"output", out}});
        attempt_failed = true;
      }
    }

    std::string merge_commit;
    bool merged = false;
    if (!attempt_failed) {
      auto c = ctx.step("commit#" + a, [&] {
        json req{{"task_id", vcs_key}, {"message", commit_message(attempt)}};
        if (!cfg.author_name.empty()) req["author_name"] = cfg.author_name;
        if (!cfg.author_email.empty()) req["author_email"] = cfg.author_email;
        return s_.vcs->call(&Vcs::commit, "commit", req);
      });
      if (!c.ok()) {
        last_error = "commit failed: " + c.status().message();
        previous_failure.clear();
        attempt_failed = true;
      } else if (c.value().contains("commit") && c.value()["commit"].is_string()) {
        auto m = ctx.step("merge#" + a, [&]() -> Result<json> {
          std::lock_guard<std::mutex> lock(s_.merge_mu);
          auto r = s_.vcs->call(&Vcs::merge, "merge",
                                json{{"task_id", vcs_key},
                                     {"target_branch", s_.target_branch},
                                     {"message", "Merge task " + tid + ": " + task_.value("title", "") +
                                                     "\n\nDrover-Task: " + tid + "\n"}});
          if (r.ok() && r.value().value("result", "") == "local_changes")
            return not_now("local changes in the way of the merge: " + join(r.value().value("paths", json::array()), ", "));
          return r;
        });
        if (!m.ok() && m.status().code() == StatusCode::kUnavailable) {
          bool first_time;
          {
            std::lock_guard<std::mutex> lock(s_.merge_mu);
            first_time = s_.awaiting_merge.insert(tid).second;
          }
          if (first_time && s_.report)
            s_.report(tid, "awaiting merge: " + m.status().message() + " (commit or stash them; drover retries every second)");
          return release(now_ms() + 1000, "awaiting_merge: " + m.status().message());
        }
        if (!m.ok()) {
          last_error = "merge failed: " + m.status().message();
          previous_failure.clear();
          attempt_failed = true;
        } else if (m.value().value("result", "") == "conflict") {
          ++conflicts;
          std::string paths = join(m.value().value("paths", json::array()), ", ");
          last_error = "merge conflict in " + paths;
          previous_failure = "Your previous change conflicted with work merged meanwhile into " + s_.target_branch +
                             " in these paths: " + paths + ". Redo the change on top of the current code.";
          event("merge_conflict", last_error, m.value());
          attempt_failed = true;
        } else {
          merged = true;
          if (m.value().contains("commit") && m.value()["commit"].is_string()) merge_commit = m.value()["commit"];
        }
      } else {
        merged = true;  // the agent changed nothing: nothing to merge
      }
    }

    if (!attempt_failed && merged) {
      auto done = ctx.step("complete", [&] {
        json req{{"id", tid}, {"executor", s_.executor}, {"now_ms", now_ms()}};
        if (!merge_commit.empty()) req["merge_commit"] = merge_commit;
        std::string summary = task_.value("result_summary", "");
        if (merge_commit.empty() && summary.empty()) summary = "no changes";
        req["result_summary"] = summary;
        return s_.store->call(&Storage::complete_task, "complete_task", req);
      });
      if (!done.ok()) {
        if (s_.report) s_.report(tid, "could not complete: " + done.status().message());
        return TaskOutcome::kAbandoned;
      }
      if (s_.slot_done) s_.slot_done(tid);
      if (s_.report) {
        std::string unblocked = join(done.value().value("unblocked", json::array()), ", ");
        s_.report(tid, "completed" + (merge_commit.empty() ? std::string(" (no changes)") : " (merged " + merge_commit.substr(0, 10) + ")") +
                           (unblocked.empty() ? "" : "; ready now: " + unblocked));
      }
      (void)ctx.step("cleanup", [&]() -> Result<json> {
        auto r = s_.vcs->call(&Vcs::remove_worktree, "remove_worktree", json{{"task_id", vcs_key}, {"target_branch", s_.target_branch}});
        if (!r.ok()) return json{{"removed", false}, {"error", r.status().message()}};
        return r;
      });
      (void)ctx.finish("succeeded", json{{"merge_commit", merge_commit}});
      return TaskOutcome::kCompleted;
    }

    // The attempt failed.
    if (attempt >= max) {
      (void)ctx.finish("failed", json{{"error", last_error}});
      return fail(last_error + " (after " + std::to_string(attempt) + " attempt" + (attempt == 1 ? "" : "s") + ")");
    }
    auto b = ctx.step("backoff#" + a, [&]() -> Result<json> {
      return json{{"until_ms", now_ms() + backoff_delay(attempt, cfg.backoff_initial, cfg.backoff_max, seed).count()}};
    });
    if (!b.ok()) return TaskOutcome::kAbandoned;
    int64_t until = b.value().value("until_ms", int64_t{0});
    if (now_ms() < until) {
      if (s_.report) s_.report(tid, "attempt " + a + " failed: " + last_error + "; retrying in " +
                                        format_duration(std::chrono::milliseconds(until - now_ms())));
      return release(until, "retrying after attempt " + a + " failed: " + last_error);
    }
  }
}

}  // namespace drover
