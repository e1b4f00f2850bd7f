#include "drover/engine/task_workflow.h"

#include "drover/common/duration.h"
#include "drover/engine/agent_verdict.h"
#include "drover/engine/attempt_files.h"
#include "drover/engine/log_shipper.h"
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

// What the merge queue's "not now" says when the user's files are in the way.
const char* const kLocalChanges = "local changes in the way of the merge: ";

bool is_local_changes(const Result<json>& r) {
  return is_not_now(r) && r.status().message().rfind(kLocalChanges, 0) == 0;
}

// What the review step's "not now" says while nobody has decided.
const char* const kAwaitingReview = "awaiting review";

bool is_awaiting_review(const Result<json>& r) { return is_not_now(r) && r.status().message() == kAwaitingReview; }

// What a step's "not now" says when the VCS cannot reach its remote (fetch or
// push failed for the network, the server, or a lost reply).
const char* const kRemoteAway = "the repository's remote cannot be reached: ";
const char* const kDiskFull = "disk full: ";
// ... when others moved the target first every time the landing was built
// (executors on several machines landing at once): no attempt is used.
const char* const kTargetBusy = "waiting to land: ";

// The fields of `fields` whose value differs from the task's as this
// workflow last read or wrote it (the task is leased to it: nobody else
// changes them meanwhile).
TaskUpdate changed_fields(const Task& task, const TaskUpdate& fields) {
  TaskUpdate out;
  auto keep = [](auto& to, const auto& from, const auto& current) {
    if (from && *from != current) to = from;
  };
  keep(out.attempts, fields.attempts, task.attempts);
  keep(out.last_error, fields.last_error, task.last_error);
  keep(out.result_summary, fields.result_summary, task.result_summary);
  keep(out.session_id, fields.session_id, task.session_id);
  keep(out.merge_commit, fields.merge_commit, task.merge_commit);
  keep(out.status_reason, fields.status_reason, task.status_reason);
  keep(out.tokens_in, fields.tokens_in, task.tokens_in);
  keep(out.tokens_out, fields.tokens_out, task.tokens_out);
  keep(out.learned_touches, fields.learned_touches, task.learned_touches);
  if (fields.cost_usd && fields.cost_usd != task.cost_usd) out.cost_usd = fields.cost_usd;
  return out;
}

// The task as the store has it once the update is written.
void set_fields(Task& task, const TaskUpdate& u) {
  auto set = [](auto& to, const auto& from) {
    if (from) to = *from;
  };
  set(task.attempts, u.attempts);
  set(task.last_error, u.last_error);
  set(task.result_summary, u.result_summary);
  set(task.session_id, u.session_id);
  set(task.merge_commit, u.merge_commit);
  set(task.status_reason, u.status_reason);
  set(task.tokens_in, u.tokens_in);
  set(task.tokens_out, u.tokens_out);
  set(task.learned_touches, u.learned_touches);
  if (u.cost_usd) task.cost_usd = u.cost_usd;
}

bool any_field(const TaskUpdate& u) {
  return u.attempts || u.last_error || u.result_summary || u.session_id || u.merge_commit || u.status_reason ||
         u.tokens_in || u.tokens_out || u.cost_usd || u.learned_touches;
}

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
  // Only plugins say "unavailable" (a VCS whose remote is away): nothing was
  // done, and the step runs again once the task is claimed again.
  if (error.code() == StatusCode::kUnavailable && error.message().rfind(kRemoteAway, 0) != 0)
    return not_now(kRemoteAway + error.message());
  return error;
}

bool TaskWorkflow::must_wait(const Result<json>& r) {
  const std::string& m = r.status().message();
  return is_not_now(r) && (m.rfind(kDiskFull, 0) == 0 || m.rfind(kRemoteAway, 0) == 0 || m.rfind(kTargetBusy, 0) == 0);
}

TaskOutcome TaskWorkflow::wait_for(const std::string& why) {
  if (why.rfind(kTargetBusy, 0) == 0) return release(now() + 1000, WaitReason::backoff(why), why);
  if (why.rfind(kDiskFull, 0) != 0)  // the remote: like a store outage, tried again every few seconds
    return release(now() + 5000, WaitReason::backoff(why), "waiting for the repository's remote (" + why + ")");
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
  NewEvent e{id(), kind, message, data, now()};
  if (collecting_ != nullptr) {
    collecting_->push_back(StoreWrite::append_event(e));
    return;
  }
  // The event log is history, not state: a store hiccup here must not stop the task.
  (void)store_.append_event(e);
}

void TaskWorkflow::update(const TaskUpdate& fields) {
  const TaskUpdate changes = changed_fields(task_, fields);
  if (!any_field(changes)) return;  // e.g. an agent that reported nothing: no store call
  // Quiet: the store does not send the task back, its new fields are these
  // (the task is leased to this workflow: nobody else changes them). Taken
  // even if the write fails: the next update carries them again.
  StoreWrite write = StoreWrite::update_task(id(), changes, now(), true);
  set_fields(task_, changes);
  if (collecting_ != nullptr) {
    collecting_->push_back(std::move(write));
    return;
  }
  // Like an event: a store hiccup here must not stop the task.
  (void)store_.apply_writes({std::move(write)});
}

TaskUpdate TaskWorkflow::waiting_to_land() const {
  TaskUpdate waiting;
  waiting.status_reason = "waiting to land on " + e_.target_branch;
  return waiting;
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

Result<json> TaskWorkflow::run_agent(const WorktreeKey& key, int attempt, int round, const std::string& round_kind,
                                     const std::string& worktree, const std::string& previous_failure,
                                     const std::string& session_id) {
  const Config& cfg = *e_.config;
  const std::string name = agent_name();
  if (name.empty()) return Status::InvalidConfig("no agent for task " + id() + ": set default_agent in drover.yaml");

  PromptInput in;
  in.task = task_;
  in.guidelines = cfg.prompt_guidelines;
  in.previous_failure = previous_failure;
  in.round = round_kind;
  if (task_.epic) {
    auto epics = store_.list_epics();
    if (epics.ok())
      for (const auto& epic : epics.value())
        if (epic.id == *task_.epic) in.epic_title = epic.title;
  }
  if (!task_.blocked_by.empty()) {
    // One store call for all of them (not one per blocker): it is on the
    // path from a blocker's completion to this agent's start.
    auto blockers = store_.list_tasks(TaskFilter{std::nullopt, {TaskStatus::kCompleted}, task_.blocked_by});
    if (blockers.ok())
      for (const auto& b : task_.blocked_by)
        for (auto& t : blockers.value())
          if (t.id == b) in.completed_blockers.push_back(std::move(t));
  }

  const std::string dir = cfg.drover_dir();
  AgentAttemptRequest req;
  req.task_id = id();
  req.attempt = attempt;
  req.prompt = render_prompt(cfg.prompt_template, in, attempt);
  // Next to the log: one directory per task keeps file creation per attempt low.
  const AttemptFiles files = attempt_files(dir, id(), task_.generation, attempt, round);
  req.prompt_file = files.prompt;
  req.log_file = files.log;
  req.round = round_kind;
  req.worktree = worktree;
  req.session_id = session_id;
  req.timeout = task_.timeout_ms > 0 ? std::chrono::milliseconds(task_.timeout_ms) : cfg.task_timeout;
  // We hold the task's lease: an agent still running for it was left by a
  // drover that died, and must not keep writing into the worktree.
  req.process_file = dir + "/logs/" + id() + "/agent.pid";
  if (stop_leftover_process_group(req.process_file)) report("stopped an agent left running by an interrupted run");

  const std::string doing = round_kind == "resolve"    ? "resolving merge conflicts"
                            : round_kind == "fix"      ? "fixing the merged result"
                            : round_kind == "review"   ? "addressing review feedback"
                            : round_kind == "continue" ? "continuing after the turn limit"
                                                       : "";
  const std::string which = "attempt " + std::to_string(attempt) + (round > 1 ? ", round " + std::to_string(round) : "");
  TaskUpdate starting;
  starting.attempts = attempt;
  starting.status_reason = (doing.empty() ? "running agent '" + name + "'" : doing + " with agent '" + name + "'") + " (" + which + ")";
  std::vector<StoreWrite> started;  // one store call, before the agent starts
  {
    Collecting together(*this, &started);
    update(starting);
    event(round > 1 ? "round_started" : "attempt_started",
          (doing.empty() ? "" : doing + ": ") + which + " with agent '" + name + "'",
          json{{"attempt", attempt}, {"round", round}, {"kind", round_kind}, {"agent", name}, {"log_file", req.log_file}});
  }
  (void)store_.apply_writes(started);  // history and fields: a store hiccup must not stop the task
  if (doing.empty()) report("started: " + task_.title + " (agent " + name + ", attempt " + std::to_string(attempt) + ")");
  else report(doing + " (agent " + name + ", " + which + ")");

  const std::optional<CheckoutState> before = checkout_before();
  // The output also goes to the store, for `drover logs` on other machines.
  const LogShipment shipment(e_.log_shipper, StoredLogKey{id(), task_.generation, attempt, round});
  req.on_output = shipment.sink();
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
  if (a.cost_usd) fields.cost_usd = task_.cost_usd.value_or(0.0) + *a.cost_usd;  // none reported: left as it is
  if (a.session_id) fields.session_id = *a.session_id;
  if (!a.summary.empty()) fields.result_summary = a.summary.substr(0, 4000);
  if (a.outcome != AttemptOutcome::kSuccess) fields.last_error = a.reason;
  json out = record(a);
  out["log_file"] = req.log_file;
  // Written with the agent step's record, in its transaction: the tokens are
  // counted once, with the step, even across a crash.
  Collecting with_the_record(*this, agent_riders_ != nullptr ? &agent_riders_->writes : nullptr);
  update(fields);
  event("attempt_finished",
        "attempt " + std::to_string(attempt) + ": " + std::string(to_string(a.outcome)) +
            (a.reason.empty() ? "" : " — " + a.reason),
        out);
  return out;
}

Result<json> TaskWorkflow::run_verify(const std::string& worktree, int attempt, int round) {
  const VerifyConfig& v = *e_.config->verify;
  VerifyRequest req;
  req.task_id = id();
  req.argv = v.command;
  req.worktree = worktree;
  req.timeout = v.timeout;
  req.log_file = attempt_files(e_.config->drover_dir(), id(), task_.generation, attempt, round).verify_log;
  // A verify command left running by a killed run ends before this one starts.
  req.process_file = e_.config->drover_dir() + "/logs/" + id() + "/verify.pid";
  stop_leftover_process_group(req.process_file);
  report("verifying: " + join(v.command, " "));
  VerifyResult r = e_.agents->run_verify(req);
  if (auto f = fenced()) return not_now(*f);
  if (r.interrupted || e_.stopping.load()) return not_now("stopped by a signal during verify");
  return record(r, req.log_file);
}

Result<json> TaskWorkflow::land(const WorktreeKey& key, int attempt, int round) {
  LandingRequest req;
  req.key = key;
  req.title = task_.title;
  req.priority = task_.priority;
  req.message = "Merge task " + id() + ": " + task_.title + "\n\nDrover-Task: " + id() + "\n";
  req.verify_log = attempt_files(e_.config->drover_dir(), id(), task_.generation, attempt, round).land_log;
  update(waiting_to_land());  // no store call when the commit's record carried it
  LandingVerdict v = e_.landing.land(req);
  if (auto f = fenced()) return not_now(*f);
  switch (v.outcome) {
    case Landing::kStopped: return not_now("stopped by a signal while landing");
    case Landing::kLocalChanges:
      in_the_way_ = v.paths;
      return not_now(kLocalChanges + join(v.paths, ", "));
    case Landing::kUnreachable: return not_now(kRemoteAway + v.why);
    case Landing::kBusy: return not_now(kTargetBusy + v.why);
    case Landing::kUnassured: return not_now(v.why);
    case Landing::kError: return step_failure(Status::Error(v.why));
    default: return record(v);
  }
}

Result<json> TaskWorkflow::review_decision(int64_t after_event) {
  EventFilter filter;
  filter.task_id = id();
  filter.after_id = after_event;
  auto events = store_.list_events(filter);
  if (!events.ok()) return not_now("cannot read the review decision: " + events.status().message());
  for (const auto& ev : events.value()) {
    if (ev.kind != "approved" && ev.kind != "rejected") continue;
    // A decision on an earlier generation (before a reset) is not this one's.
    if (!ev.data.is_object() || ev.data.value("generation", int64_t{-1}) != task_.generation) continue;
    return record(ReviewStep{ev.kind == "approved", ev.data.value("message", std::string()), ev.id});
  }
  return not_now(kAwaitingReview);
}

TaskOutcome TaskWorkflow::await_review(const WorktreeKey& key, bool no_changes) {
  const std::string said = first_line(task_.result_summary);
  std::string detail;
  if (no_changes) {
    detail = "the agent changed nothing" + (said.empty() ? std::string(" and said nothing") : " and said: " + said);
  } else {
    auto d = e_.workspace->diff_summary(key, e_.target_branch);
    detail = d.ok() ? std::to_string(d.value().files) + " file" + (d.value().files == 1 ? "" : "s") + " changed, +" +
                          std::to_string(d.value().insertions) + " -" + std::to_string(d.value().deletions)
                    : std::string("its work is committed");
    if (!said.empty()) detail += "; the agent said: " + said;
  }
  report("awaiting review: " + detail + " (`drover show " + id() + "`, `drover diff " + id() + "`; then `drover approve " +
         id() + "` or `drover reject " + id() + " -m \"...\"`)");
  event("review_requested", detail, json{{"no_changes", no_changes}});
  return release(kNoTimeMs, WaitReason::review(detail), "awaiting review: " + detail);
}

std::string TaskWorkflow::conflict_text(const WorktreeSync& sync) const {
  std::string text = "Merging the current " + e_.target_branch + " into your worktree left conflicts in: " +
                     join(sync.paths, ", ") + ".\n";
  for (const auto& c : sync.collides_with) {
    std::string title = c.summary;
    if (auto t = e_.store->get_task(c.task); t.ok()) title = t.value().title;
    text += "- task " + c.task + " (\"" + title + "\") landed changes to " + join(c.paths, ", ") + "\n";
  }
  text += "The files hold standard conflict markers (<<<<<<<, =======, >>>>>>>). Resolve each conflict so that both "
          "your change and the work that landed are kept, remove every marker, and leave the result in the working "
          "tree: Drover commits it and finishes the merge.";
  return text;
}

void TaskWorkflow::learn_conflict(const WorktreeSync& sync) {
  // Recorded on both sides: a later task declaring these paths is held
  // (merge.overlap: hold) while either of them runs or lands.
  auto learn = [&](const std::string& task_id, const std::vector<std::string>& paths) {
    auto t = store_.get_task(task_id);
    if (!t.ok()) return;
    std::set<std::string> all(t.value().learned_touches.begin(), t.value().learned_touches.end());
    const size_t before = all.size();
    all.insert(paths.begin(), paths.end());
    if (all.size() == before) return;
    TaskUpdate u;
    u.learned_touches = std::vector<std::string>(all.begin(), all.end());
    auto r = store_.update_task(task_id, u, now());
    if (r.ok() && e_.events) e_.events->touches_learned(task_id);
    if (r.ok() && task_id == id()) task_ = std::move(r.value());
  };
  std::vector<std::string> with;
  learn(id(), sync.paths);
  for (const auto& c : sync.collides_with) {
    with.push_back(c.task);
    learn(c.task, c.paths);
  }
  event("conflict_paths", "conflicting paths: " + join(sync.paths, ", ") + (with.empty() ? "" : " (with " + join(with, ", ") + ")"),
        json{{"paths", sync.paths}, {"with", with}});
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
  // No step's side effect starts while the lease is in doubt, even when the
  // last store call got through (it was under way before the fence).
  ctx.set_gate([this] { return store_.clear_to_call(); });
  if (task_.reclaimed) report("resuming (workflow " + wf_id + ")");

  const Config& cfg = *e_.config;
  const std::string& target = e_.target_branch;
  const int max = max_attempts();
  const int max_rounds = cfg.merge.max_rounds;
  // Verify runs on the branch only where it does not run on the merged result.
  const bool verify_branch = cfg.verify && !(cfg.merge.verify_merged && e_.landing.verifies_merged());
  const uint64_t seed = std::hash<std::string>{}(wf_id);
  const WaitReason interrupted = WaitReason::interrupted("stopped by a signal");
  const std::string interrupted_reason = "interrupted; `drover resume` continues it";
  std::string session_id = task_.session_id;
  std::string last_error, previous_failure;
  // The worktree's key round: a fresh worktree per conflict only where the
  // VCS can neither bring the tip in nor reset a worktree (a VCS plugin of ABI < 1.2).
  int wt_round = 1;
  int attempt = 0;
  bool first_agent_run = true;  // no agent step has run (rather than replayed) in this execution
  int64_t last_decision_event = 0;  // the review decision the last review step took
  const bool review_all = cfg.review_required || task_.review;

  while (true) {
    ++attempt;
    const std::string a = std::to_string(attempt);
    const WorktreeKey key{tid, wt_round};
    bool attempt_failed = false;
    bool redo = false;         // rounds ran out: the next attempt starts over on the tip
    std::string redo_tip;      // that tip ("" when unknown: a fresh worktree instead)
    std::string round_tip;     // the tip the current round's worktree was brought to

    auto prepare = [&]() -> Result<json> {
      auto w = e_.workspace->prepare(key, target);
      if (!w.ok()) return step_failure(w.status());
      return record(w.value());
    };
    const bool worktree_replayed = ctx.replaying();
    auto wt = ctx.step("worktree#" + a, prepare);
    if (lost(ctx)) return TaskOutcome::kAbandoned;
    if (must_wait(wt)) return wait_for(wt.status().message());
    // A recorded worktree is looked up again (prepare is idempotent): it may
    // have been made by an executor on another machine (it died or lost its
    // lease), or removed since. Then it is made again here, the VCS bringing
    // back the task's committed work (a remote keeps it), and what that
    // executor had not committed is gone: see "lost#" below.
    bool made_again_here = false;
    if (wt.ok() && worktree_replayed) {
      auto again = prepare();
      if (must_wait(again)) return wait_for(again.status().message());
      if (again.ok()) {
        made_again_here = prepared_worktree(again.value()).created;
        if (made_again_here) report("its worktree was made again here (the one it had is gone)");
      }
      wt = again;
    }
    if (!wt.ok()) {
      last_error = "could not prepare the worktree: " + wt.status().message();
      previous_failure.clear();
      attempt_failed = true;
    }

    const PreparedWorktree prepared = wt.ok() ? prepared_worktree(wt.value()) : PreparedWorktree{};
    const std::string& worktree = prepared.path;
    int round = 1;
    std::string round_kind = "work";
    std::string told = previous_failure;  // what the round's agent is told to do besides its task
    bool agent_runs = true;               // false: the round only lands again
    bool agent_step_replayed = false;     // an agent step of this attempt ran to its end before (recorded)
    int continuations = 0;                // rounds after the agent stopped at its turn limit
    std::string merge_commit;
    bool landed = false;
    AgentVerdict verdict;  // what the round's agent said of its work
    // Another round of `kind` when the attempt has rounds left.
    auto next_round = [&](const std::string& kind, const std::string& text) {
      if (round - 1 >= max_rounds) return false;
      ++round;
      round_kind = kind;
      told = text;
      agent_runs = true;
      e_.count(kind);
      return true;
    };

    while (!attempt_failed && !landed) {
      const std::string s = a + (round > 1 ? "." + std::to_string(round) : "");
      while (agent_runs) {
        const bool replayed = ctx.replaying();
        WorkflowContext::Riders riders;
        agent_riders_ = &riders;
        auto ar = ctx.step("agent#" + s, [&] {
          // An earlier execution of this workflow began this attempt and was cut
          // short: its agent may have left half its work behind. (Not when its
          // agent ran to an end that was recorded, e.g. a usage limit.)
          const bool interrupted_before = round == 1 && !ctx.created() && first_agent_run && !agent_step_replayed &&
                                          attempt <= attempts_at_claim_;
          first_agent_run = false;
          if (interrupted_before && cfg.restart_interrupted && restart_interrupted_attempt(key, prepared, attempt))
            session_id.clear();  // the agent's session remembers work that is gone
          return run_agent(key, attempt, round, round_kind, worktree, told, session_id);
        }, riders);
        agent_riders_ = nullptr;
        if (replayed) agent_step_replayed = true;
        if (lost(ctx)) return TaskOutcome::kAbandoned;
        if (must_wait(ar)) return wait_for(ar.status().message());
        if (is_not_now(ar)) {
          // Stopped by a signal: give the task back so any executor resumes it at once.
          release(now(), interrupted, interrupted_reason);
          return TaskOutcome::kAbandoned;
        }
        if (!ar.ok()) {
          last_error = "agent could not run: " + ar.status().message();
          previous_failure.clear();
          attempt_failed = true;
          break;
        }
        const AgentStep r = agent_step(ar.value());
        // The agent ran on an executor that is gone and nothing after it was
        // recorded: its uncommitted work went with that machine. The agent
        // works again on what was saved (the decision is recorded, so a later
        // replay takes the same path).
        if (replayed && (ctx.recorded_next("lost#" + s) || (made_again_here && !ctx.replaying()))) {
          auto l = ctx.step("lost#" + s, [&]() -> Result<json> { return json{{"lost", "uncommitted work"}}; });
          if (lost(ctx) || !l.ok()) return TaskOutcome::kAbandoned;
          report("round " + s + "'s agent worked on an executor that is gone, which did not commit; the agent works again");
          ++round;
          round_kind = "continue";
          told = "The machine your previous run worked on was lost before your changes were saved. Whatever is in "
                 "the working tree is what was saved; carry on from there and finish the task.";
          session_id.clear();  // the session lived on that machine
          e_.count("continue");
          continue;
        }
        if (r.session_id) session_id = *r.session_id;
        if (r.outcome != AttemptOutcome::kQuota && !replayed) e_.limits.ran(agent_name());
        if (r.outcome == AttemptOutcome::kQuota) {
          // Limits count per agent (agent_limit_book.h): without a reset time
          // ahead, the agent's nth limit in a row pauses it for
          // quota.backoff.initial * 2^(n-1), up to quota.backoff.max: never a
          // relaunch storm, never a day's wait for a rounded clock time. The
          // pause and its count are recorded: a replay waits for the same end.
          const std::string agent = agent_name();
          auto p = ctx.step("pause#" + s, [&]() -> Result<json> {
            const auto pause = e_.limits.limited(agent, now(), r.reset_at_ms, cfg.quota_backoff_initial,
                                                 cfg.quota_backoff_max);
            json j = timer_record(pause.until_ms);
            j["limit"] = pause.in_a_row;
            j["reset_given"] = r.reset_at_ms.has_value() && *r.reset_at_ms >= pause.until_ms;
            return j;
          });
          if (lost(ctx) || !p.ok()) return TaskOutcome::kAbandoned;
          const int64_t until = timer_step(p.value());
          const int nth = std::max(1, p.value().value("limit", 1));
          const std::string kind = p.value().value("reset_given", false) ? "usage limit" : "rate limit";
          if (e_.events) e_.events->agent_paused(agent, until);
          if (now() < until) {
            // The count is said from the 2nd limit in a row on.
            const std::string which = nth > 1 ? " (" + ordinal(nth) + " " + kind + " in a row)" : "";
            report("agent '" + agent + "' hit a usage limit (" + r.reason + "); paused for " + in_duration(until - now()) +
                   which + ", no attempt used");
            event("quota_pause", "agent '" + agent + "' hit a usage limit; paused for " + in_duration(until - now()) + which,
                  json{{"agent", agent}, {"until_ms", until}, {"limit", nth}, {"kind", kind}});
            return release(until, WaitReason::quota(agent, r.reason),
                           "agent '" + agent + "' paused by a usage limit: " + r.reason + which);
          }
          // The pause is over: the worktree is looked at again and the same
          // round's agent runs again; no attempt is used.
          auto again = ctx.step("worktree#" + a, prepare);
          if (lost(ctx)) return TaskOutcome::kAbandoned;
          if (must_wait(again)) return wait_for(again.status().message());
          continue;
        }
        agent_runs = false;
        verdict = read_verdict(r.summary);
        if (r.outcome == AttemptOutcome::kSuccess && !replayed)
          if (std::string said = first_line(r.summary); !said.empty()) report("the agent said: " + said);
        if (r.outcome == AttemptOutcome::kSuccess && verdict.kind == VerdictKind::kBlocked) {
          // Its own verdict: it cannot go on without something it does not have.
          last_error = "the agent is blocked: " + verdict.reason;
          (void)ctx.finish("failed", json{{"error", last_error}});
          return fail(last_error + " (attempt " + a + "; not retried)");
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
        if (r.outcome != AttemptOutcome::kSuccess && r.stop_reason == "max_turns") {
          // Stopped at its turn limit: running it again from the start would
          // stop there again. Its session goes on in the same worktree
          // (tasks.max_turns_continuations rounds), then the task fails.
          if (continuations < cfg.max_turns_continuations) {
            ++continuations;
            ++round;
            round_kind = "continue";
            told = "Your previous run stopped at its turn limit before the task was done. Your work so far is in "
                   "the working tree; carry on from there and finish the task.";
            agent_runs = true;
            e_.count("continue");
            continue;
          }
          last_error = r.reason + (continuations > 0 ? " (again after " + std::to_string(continuations) +
                                                           " continuation round" + (continuations == 1 ? "" : "s") +
                                                           " with its session resumed)"
                                                     : std::string());
          (void)ctx.finish("failed", json{{"error", last_error}});
          return fail(last_error + " (attempt " + a + "; not retried)");
        }
        if (r.outcome != AttemptOutcome::kSuccess) {
          last_error = std::string(to_string(r.outcome)) + (r.reason.empty() ? "" : ": " + r.reason);
          // A resolve or fix round that failed is tried again while rounds are left.
          if (round > 1 && next_round(round_kind, "The previous round's agent run ended with " + last_error + ".\n\n" + told))
            continue;
          previous_failure = "The agent's run ended with " + last_error;
          attempt_failed = true;
          redo = round > 1;  // mid-round: the next attempt starts over
          redo_tip = round_tip;
        }
      }
      if (attempt_failed) break;

      if (verify_branch) {
        auto v = ctx.step("verify#" + s, [&] { return run_verify(worktree, attempt, round); });
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
          break;
        }
      }

      WorkflowContext::Riders committed;
      auto c = ctx.step("commit#" + s, [&]() -> Result<json> {
        auto r = e_.workspace->commit(key, CommitRequest{commit_message(attempt), cfg.author_name, cfg.author_email});
        if (!r.ok()) return step_failure(r.status());
        if (r.value().commit && !review_all) {
          // The landing comes next: its status goes with this record.
          Collecting with_the_record(*this, &committed.writes);
          update(waiting_to_land());
        }
        return record(r.value());
      }, committed);
      if (lost(ctx)) return TaskOutcome::kAbandoned;
      if (must_wait(c)) return wait_for(c.status().message());
      if (!c.ok()) {
        last_error = "commit failed: " + c.status().message();
        // Conflict markers left behind, say: the resolution goes on.
        if (round_kind == "resolve" && next_round("resolve", "Drover could not commit your resolution: " +
                                                                 c.status().message() + "\n\n" + told))
          continue;
        previous_failure.clear();
        attempt_failed = true;
        redo = round > 1;
        redo_tip = round_tip;
        break;
      }
      if (round_kind == "resolve")
        event("resolved", "the agent resolved the conflicts (round " + std::to_string(round) + ")", json{{"round", round}});
      const bool no_changes = !commit_step(c.value()).commit;
      if (no_changes && (verdict.kind == VerdictKind::kDone || cfg.no_changes == NoChanges::kComplete)) {
        landed = true;  // the agent changed nothing and says so (or that is taken as done): nothing to land
        break;
      }
      if (no_changes && cfg.no_changes == NoChanges::kFail) {
        const std::string said = first_line(task_.result_summary);
        last_error = "the agent changed nothing and gave no verdict line" +
                     (said.empty() ? std::string() : " (it said: " + said + ")");
        (void)ctx.finish("failed", json{{"error", last_error}});
        return fail(last_error + "; tasks.no_changes: fail (attempt " + a + "; not retried)");
      }
      if (no_changes || review_all) {
        // A person decides: the work lands (or, with no changes, the task
        // completes) on approval; a rejection's feedback goes to the agent.
        auto rv = ctx.step("review#" + s, [&] { return review_decision(last_decision_event); });
        if (lost(ctx)) return TaskOutcome::kAbandoned;
        if (is_awaiting_review(rv)) return await_review(key, no_changes);
        if (!rv.ok()) {
          // The decision could not be read (the store): look again on the next claim.
          report("left for the next claim: " + rv.status().message());
          release(now(), interrupted, interrupted_reason);
          return TaskOutcome::kAbandoned;
        }
        const ReviewStep decision = review_step(rv.value());
        last_decision_event = decision.event_id;
        if (!decision.approved) {
          // Another round in the same worktree, session resumed; a person's
          // rejections are not limited by merge.max_rounds.
          ++round;
          round_kind = "review";
          told = (decision.message.empty() ? std::string("(no message)") : decision.message) +
                 (no_changes ? "\n\nYour previous run changed no file." : "");
          agent_runs = true;
          e_.count("review");
          report("rejected by review; round " + std::to_string(round) + " gives the agent the feedback");
          continue;
        }
        report("approved" + std::string(no_changes ? "; completing with no changes" : "; landing"));
        if (no_changes) {
          landed = true;
          break;
        }
      }

      WorkflowContext::Riders landed_event;  // written with the land step's record, once
      auto m = ctx.step("land#" + s, [&] {
        auto r = land(key, attempt, round);
        if (!r.ok()) return r;
        const LandingVerdict v = landing_step(r.value());
        if (v.outcome == Landing::kLanded) {
          Collecting with_the_record(*this, &landed_event.writes);
          event("landed", "landed on " + target + (v.commit.empty() ? "" : " as " + v.commit.substr(0, 10)) +
                              (v.verified ? ", verified on the merged result" : "") +
                              (v.batch.size() > 1 ? " (batch: " + join(v.batch, ", ") + ")" : ""),
                json{{"commit", v.commit}, {"batch", v.batch}, {"verified", v.verified}, {"round", round}});
        }
        return r;
      }, landed_event);
      if (lost(ctx)) return TaskOutcome::kAbandoned;
      if (must_wait(m)) return wait_for(m.status().message());
      if (is_local_changes(m)) {
        bool first_time;
        {
          std::lock_guard<std::mutex> lock(e_.merge_mu);
          first_time = e_.awaiting_merge.insert(tid).second;
        }
        std::vector<std::string> by_agents;  // files an agent wrote there, not the user
        if (e_.outside != nullptr)
          for (const auto& p : in_the_way_)
            if (auto writer = e_.outside->writer_of(p)) by_agents.push_back(p + " by task " + *writer + "'s agent");
        if (first_time && by_agents.empty())
          report("awaiting merge: " + m.status().message() + " (commit or stash them; drover retries every second)");
        else if (first_time)
          report("awaiting merge: " + m.status().message() + " — written outside its worktree by an agent (" +
                 join(by_agents, ", ") + "), not by you: undo or commit them; drover retries every second");
        return release(now() + 1000, WaitReason::merge(m.status().message(), in_the_way_),
                       "awaiting merge: " + m.status().message());
      }
      if (is_not_now(m)) {
        release(now(), interrupted, interrupted_reason);
        return TaskOutcome::kAbandoned;
      }
      if (!m.ok()) {
        last_error = "merge failed: " + m.status().message();
        previous_failure.clear();
        attempt_failed = true;
        break;
      }
      const LandingVerdict verdict = landing_step(m.value());
      if (verdict.outcome == Landing::kRefused) {
        // A hook, permissions or branch protection on the remote: landing
        // again would be refused again.
        last_error = "the repository's remote refused the landing: " + verdict.why;
        (void)ctx.finish("failed", json{{"error", last_error}});
        return fail(last_error + " (attempt " + a + "; not retried)");
      }
      if (verdict.outcome == Landing::kLanded || verdict.outcome == Landing::kNothingToLand) {
        landed = true;
        merge_commit = verdict.commit;
        break;
      }
      const bool conflict = verdict.outcome == Landing::kConflict;
      const std::string paths = join(verdict.paths, ", ");
      const std::string verify_text =
          conflict ? "" : "The verify command `" + join(cfg.verify ? cfg.verify->command : std::vector<std::string>{}, " ") +
                              "` failed (" + verdict.why + ") on your change merged with the current " + target +
                              ". Its output ended with:\n" + verdict.output;
      if (conflict) {
        last_error = "merge conflict in " + paths;
        event("conflict", "conflicts with " + target + " in " + paths, m.value());
      } else {
        last_error = "verify failed on the merge with " + target + " (" + verdict.why + ")";
        event("verify_failed_on_merge", last_error, json{{"output", verdict.output}, {"batch", verdict.batch},
                                                          {"log_file", verdict.verify_log}});
      }
      if (!e_.landing.vcs_has_queue()) {
        wt_round += 1;  // a VCS without sync: the next attempt redoes the work on a fresh worktree
      } else if (round - 1 < max_rounds) {
        // Bring the target's tip into the worktree: conflicts stay there for a
        // resolve round; a clean merge shows a fix round what failed.
        const std::string next = a + "." + std::to_string(round + 1);
        auto sy = ctx.step("sync#" + next, [&]() -> Result<json> {
          auto r = e_.workspace->sync(key, target);
          if (!r.ok()) return step_failure(r.status());
          return record(r.value());
        });
        if (lost(ctx)) return TaskOutcome::kAbandoned;
        if (must_wait(sy)) return wait_for(sy.status().message());
        if (sy.ok()) {
          const WorktreeSync ws = sync_step(sy.value());
          round_tip = ws.tip;
          if (ws.kind == SyncKind::kConflict) {
            learn_conflict(ws);
            next_round("resolve", conflict_text(ws));
          } else if (!conflict) {
            next_round("fix", verify_text);
          } else {
            ++round;  // the conflict went away with the tip's move: land again
          }
          continue;
        }
        last_error = "could not bring " + target + " into the worktree: " + sy.status().message();
        previous_failure.clear();
        attempt_failed = true;
        break;
      } else {
        redo = true;
        redo_tip = verdict.tip;
      }
      previous_failure = conflict ? "Your previous change conflicted with work merged meanwhile into " + target +
                                        " in these paths: " + paths + ". Redo the change on top of the current code."
                                  : verify_text;
      attempt_failed = true;
    }

    if (landed) {
      bool slot_freed = false;
      auto done = ctx.step("complete", [&]() -> Result<json> {
        CompleteRequest req{tid, e_.executor, now(), merge_commit, task_.result_summary};
        req.quiet = true;  // the step keeps what it needs: the ids it unblocked
        if (merge_commit.empty() && req.result_summary.empty()) req.result_summary = "no changes";
        auto r = store_.complete_task(req);
        if (!r.ok()) return r.status();
        // The dependents it unblocked may start now, before this step's
        // record is written: the worker slot is free once the store says so.
        if (e_.events) e_.events->slot_free(tid);
        slot_freed = true;
        return record(r.value());
      });
      if (lost(ctx)) return TaskOutcome::kAbandoned;
      if (!done.ok()) {
        report("could not complete: " + done.status().message());
        return TaskOutcome::kAbandoned;
      }
      if (e_.events && !slot_freed) e_.events->slot_free(tid);  // the step was replayed
      std::string unblocked = join(completion_step(done.value()).unblocked, ", ");
      report("completed" + (merge_commit.empty() ? std::string(" (no changes)") : " (merged " + merge_commit.substr(0, 10) + ")") +
             (unblocked.empty() ? "" : "; ready now: " + unblocked));
      // The workflow's end goes with the cleanup's record.
      WorkflowContext::Riders finished;
      finished.writes.push_back(
          StoreWrite::finish_workflow(ctx.id(), "succeeded", json{{"merge_commit", merge_commit}}, now()));
      (void)ctx.step("cleanup", [&]() -> Result<json> {
        // Every round's worktree: the earlier rounds' branches hold work that
        // conflicted; the completed merge made them obsolete, and the VCS
        // plugin still refuses to remove anything not merged.
        json removed = json::array();
        for (int r = wt_round; r >= 1; --r) {
          const std::string name = WorktreeKey{tid, r}.str();
          auto rm = e_.workspace->remove(name, target, false);
          removed.push_back(json{{"key", name},
                                 {"removed", rm.ok() && rm.value().removed},
                                 {"error", rm.ok() ? "" : rm.status().message()}});
        }
        return json{{"worktrees", removed}};
      }, finished);
      // Not written with it (the cleanup was recorded before, or could not be): on its own.
      if (!finished.writes.empty()) (void)ctx.finish("succeeded", json{{"merge_commit", merge_commit}});
      return TaskOutcome::kCompleted;
    }

    // The attempt failed.
    if (attempt >= max) {
      (void)ctx.finish("failed", json{{"error", last_error}});
      return fail(last_error + " (after " + a + " attempt" + (attempt == 1 ? "" : "s") + ")");
    }
    if (redo && redo_tip.empty()) wt_round += 1;  // the tip is not known: a fresh worktree
    if (redo && !redo_tip.empty()) {
      // Rounds ran out: the next attempt starts over on the target's tip, and
      // what did not land is kept under a private ref.
      auto rs = ctx.step("reset#" + a, [&]() -> Result<json> {
        const std::string keep = "refs/drover/archive/" + key.str() + "/" + a + "-" + std::to_string(now());
        auto r = e_.workspace->reset(key, redo_tip, keep);
        if (!r.ok()) return step_failure(r.status());
        return json{{"reset", r.value().reset}, {"kept_at", r.value().kept_at}, {"to", redo_tip}};
      });
      if (lost(ctx)) return TaskOutcome::kAbandoned;
      if (must_wait(rs)) return wait_for(rs.status().message());
      if (rs.ok()) {
        session_id.clear();  // the session remembers work that is gone from the worktree
        e_.count("redo");
        report("starting over on " + target + "'s tip; what did not land is kept at " +
               rs.value().value("kept_at", std::string("(nothing to keep)")));
      } else {
        wt_round += 1;  // cannot reset that worktree: the next attempt gets a fresh one
      }
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
