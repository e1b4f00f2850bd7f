#include "drover/engine/task_workflow.h"

#include "drover/common/duration.h"
#include "drover/engine/backoff.h"
#include "drover/engine/prompt.h"
#include "drover/process/leftover_process.h"
#include "step_records.h"

namespace drover {
namespace {

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& v : items) out += (out.empty() ? "" : sep) + v;
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

bool is_not_now(const Result<json>& r) { return !r.ok() && r.status().code() == StatusCode::kUnavailable; }

std::string in_duration(int64_t ms) { return format_duration(std::chrono::milliseconds(ms)); }

}  // namespace

TaskWorkflow::TaskWorkflow(EngineContext& engine, Task task)
    : e_(engine),
      task_(std::move(task)),
      store_(*engine.store, engine.health,
             PatientTaskStore::Rules{
                 [this] {
                   // A drained run waits a little for an unreachable store, then
                   // lets the workflow go (the step runs again on resume), so
                   // it exits soon after its last agent ended.
                   return e_.stopping.load() || (e_.draining.load() && e_.health &&
                                                 e_.health->down_for_ms() > e_.drain_store_wait_ms);
                 },
                 [this] { return fenced(); },
                 [this] { return e_.leases != nullptr && e_.leases->state(id()) == LeaseBook::State::kFenced; }}) {
  attempts_at_claim_ = task_.attempts;
}

std::optional<std::string> TaskWorkflow::fenced() const {
  if (e_.leases == nullptr || e_.leases->state(id()) != LeaseBook::State::kLost) return std::nullopt;
  return "another run took task " + id() + " over while this run could not renew its lease";
}

bool TaskWorkflow::stopped_by_fence(const AgentAttemptResult& a) const {
  return a.cancelled && e_.leases != nullptr && e_.leases->ever_fenced(id());
}

bool TaskWorkflow::lost(const WorkflowContext& ctx) {
  std::string why;
  if (auto f = fenced()) why = *f + "; it carries on there";
  else if (ctx.broken()) why = ctx.broken_why() + "; the next claim runs that step again";
  else return false;
  if (!lost_reported_) report("left for the next claim: " + why);
  lost_reported_ = true;
  return true;
}

std::optional<std::string> TaskWorkflow::disk_full(const std::string& error) const {
  if (e_.disk != nullptr)
    if (auto f = e_.disk->full()) return "disk full: " + *f;
  // A write that failed for lack of space may have left more free than
  // disk.min_free behind it (a blob or a file written whole or not at all).
  for (const char* says : {"No space left on device", "database or disk is full", "disk quota exceeded"})
    if (error.find(says) != std::string::npos) return "disk full: " + error.substr(0, 300);
  return std::nullopt;
}

Status TaskWorkflow::step_failure(const Status& error) const {
  if (auto f = disk_full(error.message())) return not_now(*f);
  return error;
}

bool TaskWorkflow::is_disk_full(const Result<json>& r) {
  return is_not_now(r) && r.status().message().rfind("disk full: ", 0) == 0;
}

TaskOutcome TaskWorkflow::wait_for_disk(const std::string& why) {
  // The run loop starts nothing while the disk is full and says so once; the
  // task is claimable again as soon as there is space.
  if (e_.events) e_.events->out_of_space(id(), why);
  return release(now() + 5000, WaitReason::backoff(why), "waiting for disk space (" + why + ")");
}

std::string TaskWorkflow::workflow_id(const Task& task) {
  return "task/" + task.id + "/" + std::to_string(task.generation);
}

std::string TaskWorkflow::agent_name() const { return task_.agent_or(e_.config->default_agent); }

int TaskWorkflow::max_attempts() const {
  return task_.max_attempts > 0 ? task_.max_attempts : e_.config->max_attempts;
}

void TaskWorkflow::report(const std::string& message) {
  if (e_.events) e_.events->report(id(), message);
}

void TaskWorkflow::event(const std::string& kind, const std::string& message, const json& data) {
  // The event log is history, not state: a store hiccup here must not stop the task.
  (void)store_.append_event(NewEvent{id(), kind, message, data, now()});
}

void TaskWorkflow::update(const TaskUpdate& fields) {
  auto r = store_.update_task(id(), fields, now());
  if (r.ok()) task_ = std::move(r.value());
}

TaskOutcome TaskWorkflow::release(int64_t not_before_ms, WaitReason wait, const std::string& reason) {
  ReleaseRequest req{id(), e_.executor, now(), not_before_ms, std::move(wait), reason};
  auto r = store_.release_task(req);
  if (!r.ok()) {
    report("could not release: " + r.status().message());
    return TaskOutcome::kAbandoned;
  }
  task_ = std::move(r.value());
  if (e_.events) e_.events->released(id(), not_before_ms);
  return TaskOutcome::kYielded;
}

TaskOutcome TaskWorkflow::fail(const std::string& error) {
  auto r = store_.fail_task(FailRequest{id(), e_.executor, now(), error});
  if (!r.ok()) {
    report("could not record the failure: " + r.status().message());
    return TaskOutcome::kAbandoned;
  }
  std::string blocked = join(r.value().blocked, ", ");
  report("failed: " + error + (blocked.empty() ? "" : " (now blocked: " + blocked + ")"));
  return TaskOutcome::kFailed;
}

bool TaskWorkflow::cancelled_by_user() {
  auto fresh = store_.get_task(id());
  return fresh.ok() && fresh.value().status == TaskStatus::kCancelled;
}

std::string TaskWorkflow::commit_message(int attempt) const {
  std::string msg = task_.title.empty() ? id() : task_.title;
  std::string desc = first_lines(task_.description, 20);
  if (!desc.empty()) msg += "\n\n" + desc;
  msg += "\n\nDrover-Task: " + id() + "\nDrover-Attempt: " + std::to_string(attempt) + "\n";
  return msg;
}

bool TaskWorkflow::restart_interrupted_attempt(const WorktreeKey& key, const PreparedWorktree& start, int attempt) {
  const std::string to = start.head.empty() ? start.base_commit : start.head;
  if (to.empty()) return false;
  const std::string keep = "refs/drover/interrupted/" + key.str() + "/" + std::to_string(attempt) + "-" + std::to_string(now());
  auto r = e_.workspace->reset(key, to, keep);
  if (!r.ok()) {
    // Not being able to restart is no reason to stop: the attempt continues
    // on top of what is there, as with on_interrupted: continue.
    report("could not restart the interrupted attempt " + std::to_string(attempt) + " from its start (" +
           r.status().message() + "); continuing on top of its files");
    return false;
  }
  if (!r.value().reset) return false;
  report("restarting interrupted attempt " + std::to_string(attempt) + " from " + to.substr(0, 10) + "; its " +
         std::to_string(r.value().paths.size()) + " changed file(s) are kept at " + r.value().kept_at);
  event("attempt_restarted", "interrupted attempt " + std::to_string(attempt) + " restarted from its start",
        json{{"attempt", attempt}, {"kept_at", r.value().kept_at}, {"paths", r.value().paths}, {"from", to}});
  return true;
}

std::optional<CheckoutState> TaskWorkflow::checkout_before() {
  if (e_.outside == nullptr || !e_.outside->watching()) return std::nullopt;
  auto s = e_.workspace->checkout_state(e_.target_branch);
  if (s.ok()) return s.value();
  if (s.status().code() == StatusCode::kUnsupported && e_.outside->stop_watching())
    report("writes outside worktrees are not watched: " + s.status().message());
  return std::nullopt;
}

std::string TaskWorkflow::outside_writes(const WorktreeKey& key, const std::optional<CheckoutState>& before) {
  if (!before) return "";
  // The target first: a commit the agent put on a checked-out target makes
  // the checkout look changed until the target is put back.
  std::vector<std::string> found;
  if (!before->target_tip.empty()) {
    std::lock_guard<std::mutex> lock(e_.merge_mu);  // no merge of ours moves the target meanwhile
    auto moves = e_.workspace->target_moves(key, e_.target_branch, before->target_tip, true);
    if (moves.ok()) {
      std::vector<std::string> commits;
      for (const auto& c : moves.value().commits)
        if (c.by_task) commits.push_back(c.commit.substr(0, 10) + " \"" + c.summary + "\"");
      if (!commits.empty()) {
        std::string text = "the agent committed to " + e_.target_branch + " itself: " + join(commits, ", ");
        if (moves.value().undone)
          text += "; " + e_.target_branch + " was put back to " + before->target_tip.substr(0, 10) +
                  " and the agent's commits are kept at " + moves.value().kept_at;
        else
          text += "; left as it is because other commits followed (look at `git log " + e_.target_branch + "`)";
        found.push_back(text);
      }
    }
  }
  auto after = e_.workspace->checkout_state(e_.target_branch);
  if (after.ok()) {
    auto changes = checkout_changes(*before, after.value(), e_.target_branch);
    if (!changes.empty()) {
      e_.outside->blame(id(), changes);
      std::vector<std::string> texts;
      for (const auto& c : changes) texts.push_back(c.text());
      found.push_back("the agent wrote outside its worktree: " + join(texts, ", ") + " in " +
                      e_.config->project_root + " (left as they are: keep or undo them yourself; if you made these " +
                      "changes, the agent is not to blame: `drover retry " + id() + "`)");
    }
  }
  if (found.empty()) return "";
  const std::string text = join(found, "; ");
  event("outside_write", text, json{{"paths_and_commits", found}});
  return text;
}

Result<json> TaskWorkflow::run_agent(const WorktreeKey& key, int attempt, const std::string& worktree,
                                     const std::string& previous_failure, const std::string& session_id) {
  const Config& cfg = *e_.config;
  const std::string name = agent_name();
  if (name.empty()) return Status::InvalidConfig("no agent for task " + id() + ": set default_agent in drover.yaml");

  PromptInput in;
  in.task = task_;
  in.guidelines = cfg.prompt_guidelines;
  in.previous_failure = previous_failure;
  if (task_.epic) {
    auto epics = store_.list_epics();
    if (epics.ok())
      for (const auto& epic : epics.value())
        if (epic.id == *task_.epic) in.epic_title = epic.title;
  }
  for (const auto& b : task_.blocked_by) {
    auto t = store_.get_task(b);
    if (t.ok() && t.value().status == TaskStatus::kCompleted) in.completed_blockers.push_back(std::move(t.value()));
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
  req.timeout = task_.timeout_ms > 0 ? std::chrono::milliseconds(task_.timeout_ms) : cfg.task_timeout;
  // We hold the task's lease: an agent still running for it was left by a
  // drover that died, and must not keep writing into the worktree.
  req.process_file = dir + "/logs/" + id() + "/agent.pid";
  if (stop_leftover_process_group(req.process_file)) report("stopped an agent left running by an interrupted run");

  TaskUpdate starting;
  starting.attempts = attempt;
  starting.status_reason = "running agent '" + name + "' (attempt " + std::to_string(attempt) + ")";
  update(starting);
  event("attempt_started", "attempt " + std::to_string(attempt) + " with agent '" + name + "'",
        json{{"attempt", attempt}, {"agent", name}, {"log_file", req.log_file}});
  report("started: " + task_.title + " (agent " + name + ", attempt " + std::to_string(attempt) + ")");

  const std::optional<CheckoutState> before = checkout_before();
  auto res = e_.agents->run_agent(name, req);
  if (auto f = fenced()) return not_now(*f);
  if (!res.ok()) return res.status();
  if (stopped_by_fence(res.value()))
    return not_now("its agent was stopped when its lease could not be renewed");
  AgentAttemptResult a = res.value();
  if (std::string outside = outside_writes(key, before); !outside.empty()) {
    // Whatever the agent reported, an attempt that wrote outside its box failed.
    report(outside);
    a.outcome = AttemptOutcome::kFailure;
    a.reason = outside;
  }
  if (e_.stopping.load()) return not_now("stopped by a signal before the agent finished");
  // An agent that failed while the disk is full most likely failed for that.
  if (a.outcome != AttemptOutcome::kSuccess && a.outcome != AttemptOutcome::kQuota)
    if (auto f = disk_full(a.reason)) return not_now(*f);

  TaskUpdate fields;
  fields.tokens_in = task_.tokens_in + a.tokens_in.value_or(0);
  fields.tokens_out = task_.tokens_out + a.tokens_out.value_or(0);
  fields.cost_usd = task_.cost_usd + a.cost_usd.value_or(0.0);
  if (a.session_id) fields.session_id = *a.session_id;
  if (!a.summary.empty()) fields.result_summary = a.summary.substr(0, 4000);
  if (a.outcome != AttemptOutcome::kSuccess) fields.last_error = a.reason;
  update(fields);
  json out = record(a);
  out["log_file"] = req.log_file;
  event("attempt_finished",
        "attempt " + std::to_string(attempt) + ": " + std::string(to_string(a.outcome)) +
            (a.reason.empty() ? "" : " — " + a.reason),
        out);
  return out;
}

Result<json> TaskWorkflow::run_verify(const std::string& worktree, int attempt) {
  const VerifyConfig& v = *e_.config->verify;
  VerifyRequest req;
  req.task_id = id();
  req.argv = v.command;
  req.worktree = worktree;
  req.timeout = v.timeout;
  req.log_file = e_.config->drover_dir() + "/logs/" + id() + "/" + std::to_string(attempt) + ".verify.log";
  // A verify command left running by a killed run ends before this one starts.
  req.process_file = e_.config->drover_dir() + "/logs/" + id() + "/verify.pid";
  stop_leftover_process_group(req.process_file);
  report("verifying: " + join(v.command, " "));
  VerifyResult r = e_.agents->run_verify(req);
  if (auto f = fenced()) return not_now(*f);
  if (r.interrupted || e_.stopping.load()) return not_now("stopped by a signal during verify");
  return record(r, req.log_file);
}

TaskOutcome TaskWorkflow::run() {
  const std::string tid = id();
  const std::string wf_id = workflow_id(task_);
  auto started = WorkflowContext::start(store_, wf_id, "task", json{{"task_id", tid}}, e_.executor, e_.clock);
  if (!started.ok() && (fenced() || store_unreachable(started.status()))) {
    report("left for the next claim: cannot start its workflow: " + started.status().message());
    return TaskOutcome::kAbandoned;
  }
  if (!started.ok()) {
    report("cannot start its workflow: " + started.status().message());
    return release(now() + 5000, WaitReason::backoff(started.status().message()),
                   started.status().message());
  }
  WorkflowContext& ctx = started.value();
  if (task_.reclaimed) report("resuming (workflow " + wf_id + ")");

  const Config& cfg = *e_.config;
  const int max = max_attempts();
  const uint64_t seed = std::hash<std::string>{}(wf_id);
  const WaitReason interrupted = WaitReason::interrupted("stopped by a signal");
  const std::string interrupted_reason = "interrupted; `drover resume` continues it";
  std::string session_id = task_.session_id;
  std::string last_error, previous_failure;
  int round = 1;  // the worktree round: a merge conflict starts the next one
  int quota_in_a_row = 0;  // usage/rate limits since the agent last ran to an end
  int attempt = 0;
  bool first_agent_run = true;  // no agent step has run (rather than replayed) in this execution

  while (true) {
    ++attempt;
    const std::string a = std::to_string(attempt);
    // After a merge conflict the work is redone on a fresh branch from the new
    // tip; the conflicting branch stays (it is unmerged work) for `worktree prune`.
    const WorktreeKey key{tid, round};
    bool attempt_failed = false;

    auto wt = ctx.step("worktree#" + a, [&]() -> Result<json> {
      auto w = e_.workspace->prepare(key, e_.target_branch);
      if (!w.ok()) return step_failure(w.status());
      return record(w.value());
    });
    if (lost(ctx)) return TaskOutcome::kAbandoned;
    if (is_disk_full(wt)) return wait_for_disk(wt.status().message());
    if (!wt.ok()) {
      last_error = "could not prepare the worktree: " + wt.status().message();
      previous_failure.clear();
      attempt_failed = true;
    }

    const PreparedWorktree prepared = wt.ok() ? prepared_worktree(wt.value()) : PreparedWorktree{};
    const std::string& worktree = prepared.path;
    if (!attempt_failed) {
      auto ar = ctx.step("agent#" + a, [&] {
        // An earlier execution of this workflow began this attempt and was cut
        // short: its agent may have left half its work behind.
        const bool interrupted_before = !ctx.created() && first_agent_run && attempt <= attempts_at_claim_;
        first_agent_run = false;
        if (interrupted_before && cfg.restart_interrupted && restart_interrupted_attempt(key, prepared, attempt))
          session_id.clear();  // the agent's session remembers work that is gone
        return run_agent(key, attempt, worktree, previous_failure, session_id);
      });
      if (lost(ctx)) return TaskOutcome::kAbandoned;
      if (is_disk_full(ar)) return wait_for_disk(ar.status().message());
      if (is_not_now(ar)) {
        // Stopped by a signal: give the task back so any executor resumes it at once.
        release(now(), interrupted, interrupted_reason);
        return TaskOutcome::kAbandoned;
      }
      if (!ar.ok()) {
        last_error = "agent could not run: " + ar.status().message();
        previous_failure.clear();
        attempt_failed = true;
      } else {
        const AgentStep r = agent_step(ar.value());
        if (r.session_id) session_id = *r.session_id;
        if (r.outcome != AttemptOutcome::kQuota) quota_in_a_row = 0;
        if (r.outcome == AttemptOutcome::kQuota) {
          // Without a reset time in the future (none given, or the one given
          // has passed and the limit is still there), the pause grows with each
          // limit in a row, from backoff_initial up to backoff_max: never a
          // relaunch storm, never a day's wait for a rounded clock time.
          ++quota_in_a_row;
          auto p = ctx.step("pause#" + a, [&]() -> Result<json> {
            int64_t until = r.reset_at_ms.value_or(0);
            if (until <= now())
              until = now() + backoff_delay(quota_in_a_row, cfg.backoff_initial, cfg.backoff_max, seed).count();
            return timer_record(until);
          });
          if (lost(ctx) || !p.ok()) return TaskOutcome::kAbandoned;
          --attempt;  // a quota pause does not burn an attempt
          const int64_t until = timer_step(p.value());
          const std::string agent = agent_name();
          if (e_.events) e_.events->agent_paused(agent, until);
          if (now() < until) {
            report("agent '" + agent + "' hit a usage limit (" + r.reason + "); paused for " + in_duration(until - now()) +
                   ", no attempt used");
            event("quota_pause", "agent '" + agent + "' hit a usage limit; paused for " + in_duration(until - now()),
                  json{{"agent", agent}, {"until_ms", until}});
            return release(until, WaitReason::quota(agent, r.reason),
                           "agent '" + agent + "' paused by a usage limit: " + r.reason +
                               (quota_in_a_row > 1 ? " (limit " + std::to_string(quota_in_a_row) + " in a row)" : ""));
          }
          continue;
        }
        if (r.outcome != AttemptOutcome::kSuccess && cancelled_by_user()) {
          (void)ctx.finish("cancelled", json{{"reason", "cancelled by the user"}});
          report("cancelled");
          return TaskOutcome::kFailed;
        }
        if (r.outcome == AttemptOutcome::kBlocked || r.outcome == AttemptOutcome::kPermanent) {
          // The agent says it cannot go on without something it does not
          // have (or hit an error a retry cannot change); running it again would not change that.
          last_error = (r.outcome == AttemptOutcome::kBlocked ? "the agent is blocked: " : "permanent error: ") + r.reason;
          (void)ctx.finish("failed", json{{"error", last_error}});
          return fail(last_error + " (attempt " + a + "; not retried)");
        }
        if (r.outcome != AttemptOutcome::kSuccess) {
          last_error = std::string(to_string(r.outcome)) + (r.reason.empty() ? "" : ": " + r.reason);
          previous_failure = "The agent's run ended with " + last_error;
          attempt_failed = true;
        }
      }
    }

    if (!attempt_failed && cfg.verify) {
      auto v = ctx.step("verify#" + a, [&] { return run_verify(worktree, attempt); });
      if (lost(ctx)) return TaskOutcome::kAbandoned;
      if (is_not_now(v)) {
        release(now(), interrupted, interrupted_reason);
        return TaskOutcome::kAbandoned;
      }
      const VerifyResult verify = v.ok() ? verify_step(v.value()) : VerifyResult{};
      if (!v.ok() || !verify.passed) {
        std::string out = v.ok() ? verify.output : v.status().message();
        last_error = "verify failed (" + (v.ok() ? verify.why : std::string("error")) + ")";
        previous_failure = "The verify command `" + join(cfg.verify->command, " ") + "` failed. Its output ended with:\n" + out;
        event("verify_failed", last_error, json{{"output", out}});
        attempt_failed = true;
      }
    }

    std::string merge_commit;
    bool merged = false;
    if (!attempt_failed) {
      auto c = ctx.step("commit#" + a, [&]() -> Result<json> {
        auto r = e_.workspace->commit(key, CommitRequest{commit_message(attempt), cfg.author_name, cfg.author_email});
        if (!r.ok()) return step_failure(r.status());
        return record(r.value());
      });
      if (lost(ctx)) return TaskOutcome::kAbandoned;
      if (is_disk_full(c)) return wait_for_disk(c.status().message());
      if (!c.ok()) {
        last_error = "commit failed: " + c.status().message();
        previous_failure.clear();
        attempt_failed = true;
      } else if (commit_step(c.value()).commit) {
        std::vector<std::string> in_the_way;  // the user's files blocking the merge
        auto m = ctx.step("merge#" + a, [&]() -> Result<json> {
          std::lock_guard<std::mutex> lock(e_.merge_mu);
          auto r = e_.workspace->merge(key, e_.target_branch,
                                       "Merge task " + tid + ": " + task_.title + "\n\nDrover-Task: " + tid + "\n");
          if (!r.ok()) return step_failure(r.status());
          if (r.value().kind == MergeKind::kLocalChanges) {
            in_the_way = r.value().paths;
            return not_now("local changes in the way of the merge: " + join(r.value().paths, ", "));
          }
          return record(r.value());
        });
        if (lost(ctx)) return TaskOutcome::kAbandoned;
        if (is_disk_full(m)) return wait_for_disk(m.status().message());
        if (is_not_now(m)) {
          bool first_time;
          {
            std::lock_guard<std::mutex> lock(e_.merge_mu);
            first_time = e_.awaiting_merge.insert(tid).second;
          }
          std::vector<std::string> by_agents;  // files an agent wrote there, not the user
          if (e_.outside != nullptr)
            for (const auto& p : in_the_way)
              if (auto writer = e_.outside->writer_of(p)) by_agents.push_back(p + " by task " + *writer + "'s agent");
          if (first_time && by_agents.empty())
            report("awaiting merge: " + m.status().message() + " (commit or stash them; drover retries every second)");
          else if (first_time)
            report("awaiting merge: " + m.status().message() + " — written outside its worktree by an agent (" +
                   join(by_agents, ", ") + "), not by you: undo or commit them; drover retries every second");
          return release(now() + 1000, WaitReason::merge(m.status().message(), in_the_way),
                         "awaiting merge: " + m.status().message());
        }
        const MergeResult merge = m.ok() ? merge_step(m.value()) : MergeResult{};
        if (!m.ok()) {
          last_error = "merge failed: " + m.status().message();
          previous_failure.clear();
          attempt_failed = true;
        } else if (merge.kind == MergeKind::kConflict) {
          ++round;
          std::string paths = join(merge.paths, ", ");
          last_error = "merge conflict in " + paths;
          previous_failure = "Your previous change conflicted with work merged meanwhile into " + e_.target_branch +
                             " in these paths: " + paths + ". Redo the change on top of the current code.";
          event("merge_conflict", last_error, m.value());
          attempt_failed = true;
        } else {
          merged = true;
          if (merge.commit) merge_commit = *merge.commit;
        }
      } else {
        merged = true;  // the agent changed nothing: nothing to merge
      }
    }

    if (!attempt_failed && merged) {
      auto done = ctx.step("complete", [&]() -> Result<json> {
        CompleteRequest req{tid, e_.executor, now(), merge_commit, task_.result_summary};
        if (merge_commit.empty() && req.result_summary.empty()) req.result_summary = "no changes";
        auto r = store_.complete_task(req);
        if (!r.ok()) return r.status();
        return record(r.value());
      });
      if (lost(ctx)) return TaskOutcome::kAbandoned;
      if (!done.ok()) {
        report("could not complete: " + done.status().message());
        return TaskOutcome::kAbandoned;
      }
      if (e_.events) e_.events->slot_free(tid);
      std::string unblocked = join(completion_step(done.value()).unblocked, ", ");
      report("completed" + (merge_commit.empty() ? std::string(" (no changes)") : " (merged " + merge_commit.substr(0, 10) + ")") +
             (unblocked.empty() ? "" : "; ready now: " + unblocked));
      (void)ctx.step("cleanup", [&]() -> Result<json> {
        // Every round's worktree: the earlier rounds' branches hold work that
        // conflicted; the completed merge made them obsolete, and the VCS
        // plugin still refuses to remove anything not merged.
        json removed = json::array();
        for (int r = round; r >= 1; --r) {
          const std::string name = WorktreeKey{tid, r}.str();
          auto rm = e_.workspace->remove(name, e_.target_branch, false);
          removed.push_back(json{{"key", name},
                                 {"removed", rm.ok() && rm.value().removed},
                                 {"error", rm.ok() ? "" : rm.status().message()}});
        }
        return json{{"worktrees", removed}};
      });
      (void)ctx.finish("succeeded", json{{"merge_commit", merge_commit}});
      return TaskOutcome::kCompleted;
    }

    // The attempt failed.
    if (attempt >= max) {
      (void)ctx.finish("failed", json{{"error", last_error}});
      return fail(last_error + " (after " + a + " attempt" + (attempt == 1 ? "" : "s") + ")");
    }
    auto b = ctx.step("backoff#" + a, [&]() -> Result<json> {
      return timer_record(now() + backoff_delay(attempt, cfg.backoff_initial, cfg.backoff_max, seed).count());
    });
    if (lost(ctx) || !b.ok()) return TaskOutcome::kAbandoned;
    const int64_t until = timer_step(b.value());
    if (now() < until) {
      report("attempt " + a + " failed: " + last_error + "; retrying in " + in_duration(until - now()));
      return release(until, WaitReason::backoff(last_error),
                     "retrying after attempt " + a + " failed: " + last_error);
    }
  }
}

}  // namespace drover
