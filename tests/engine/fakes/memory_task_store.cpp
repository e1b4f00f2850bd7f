#include "memory_task_store.h"

#include <algorithm>
#include <set>

namespace drover::testing {
namespace {

bool terminal(TaskStatus s) {
  return s == TaskStatus::kCompleted || s == TaskStatus::kFailed || s == TaskStatus::kCancelled;
}

int id_number(const std::string& id) {
  try {
    return std::stoi(id.substr(1));
  } catch (...) {
    return 0;
  }
}

}  // namespace

Status MemoryTaskStore::check(const std::string& op) { return fault ? fault(op) : Status::Ok(); }

Task* MemoryTaskStore::find(const std::string& id) {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

bool MemoryTaskStore::blockers_done(const Task& t) {
  for (const auto& b : t.blocked_by) {
    Task* bt = find(b);
    if (bt != nullptr && bt->status != TaskStatus::kCompleted) return false;
  }
  return true;
}

std::vector<Task*> MemoryTaskStore::dependents(const std::string& id) {
  std::vector<Task*> out;
  for (const auto& tid : order_) {
    Task& t = tasks_[tid];
    if (std::find(t.blocked_by.begin(), t.blocked_by.end(), id) != t.blocked_by.end()) out.push_back(&t);
  }
  return out;
}

bool MemoryTaskStore::waits_for(const std::string& from, const std::string& to) {
  std::set<std::string> seen;
  std::vector<std::string> stack{from};
  while (!stack.empty()) {
    std::string cur = stack.back();
    stack.pop_back();
    if (cur == to) return true;
    if (!seen.insert(cur).second) continue;
    if (Task* t = find(cur)) stack.insert(stack.end(), t->blocked_by.begin(), t->blocked_by.end());
  }
  return false;
}

void MemoryTaskStore::add_event_locked(std::optional<std::string> task_id, const std::string& kind,
                                       const std::string& message, nlohmann::json data, int64_t now) {
  TaskEvent e;
  e.id = static_cast<int64_t>(events_.size()) + 1;
  e.task_id = std::move(task_id);
  e.kind = kind;
  e.message = message;
  e.data = std::move(data);
  e.created_ms = now;
  events_.push_back(std::move(e));
}

Task MemoryTaskStore::add(const std::string& title, std::vector<std::string> blocked_by, std::optional<std::string> agent) {
  NewTask t;
  t.title = title;
  t.blocked_by = std::move(blocked_by);
  t.agent = std::move(agent);
  auto r = create_task(t, 1);
  return r.ok() ? r.value() : Task{};
}

Task MemoryTaskStore::task(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  return t ? *t : Task{};
}

int MemoryTaskStore::steps_recorded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return steps_;
}

std::vector<std::string> MemoryTaskStore::step_names(const std::string& workflow_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& s : workflows_[workflow_id].steps) out.push_back(s.name);
  return out;
}

std::vector<TaskEvent> MemoryTaskStore::events_of(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TaskEvent> out;
  for (const auto& e : events_)
    if (e.task_id == task_id) out.push_back(e);
  return out;
}

void MemoryTaskStore::steal_lease(const std::string& id, const std::string& other_executor, int64_t until_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  t->status = TaskStatus::kRunning;
  t->lease_owner = other_executor;
  t->lease_expires_ms = until_ms;
}

Result<StoreDescription> MemoryTaskStore::describe() { return StoreDescription{"memory", 1, "memory"}; }

Result<Epic> MemoryTaskStore::create_epic(const std::string& title, const std::string& description, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("create_epic"));
  std::lock_guard<std::mutex> lock(mu_);
  Epic e{"e" + std::to_string(epics_.size() + 1), title, description, now_ms, {}};
  epics_.push_back(e);
  return e;
}

Result<std::vector<Epic>> MemoryTaskStore::list_epics() {
  DROVER_RETURN_IF_ERROR(check("list_epics"));
  std::lock_guard<std::mutex> lock(mu_);
  return epics_;
}

Result<Task> MemoryTaskStore::create_task(const NewTask& n, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("create_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task t;
  t.id = "t" + std::to_string(++next_task_);
  t.title = n.title;
  t.description = n.description;
  t.epic = n.epic;
  t.agent = n.agent;
  t.priority = n.priority.value_or(1);
  t.max_attempts = n.max_attempts.value_or(0);
  t.timeout_ms = n.timeout_ms.value_or(0);
  t.touches = n.touches;
  t.review = n.review;
  for (const auto& b : n.blocked_by) {
    if (!find(b)) return Status::NotFound("create_task: task " + b + " does not exist");
    t.blocked_by.push_back(b);
  }
  t.created_ms = t.updated_ms = now_ms;
  t.status = blockers_done(t) ? TaskStatus::kReady : TaskStatus::kWaiting;
  for (const auto& b : t.blocked_by) find(b)->blocks.push_back(t.id);
  tasks_[t.id] = t;
  order_.push_back(t.id);
  return t;
}

Result<Task> MemoryTaskStore::get_task(const std::string& id) {
  DROVER_RETURN_IF_ERROR(check("get_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  if (!t) return Status::NotFound("get_task: task " + id + " does not exist");
  return *t;
}

Result<std::vector<Task>> MemoryTaskStore::list_tasks(const TaskFilter& f) {
  DROVER_RETURN_IF_ERROR(check("list_tasks"));
  std::vector<Task> out = list_locked(f);
  if (listed) listed(f, out.size());
  return out;
}

std::vector<Task> MemoryTaskStore::list_locked(const TaskFilter& f) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Task> out;
  for (const auto& id : order_) {
    const Task& t = tasks_[id];
    if (f.epic && t.epic != f.epic) continue;
    if (!f.statuses.empty() && std::find(f.statuses.begin(), f.statuses.end(), t.status) == f.statuses.end()) continue;
    if (!f.ids.empty() && std::find(f.ids.begin(), f.ids.end(), t.id) == f.ids.end()) continue;
    out.push_back(t);
  }
  std::stable_sort(out.begin(), out.end(), [](const Task& a, const Task& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.created_ms != b.created_ms) return a.created_ms < b.created_ms;
    return id_number(a.id) < id_number(b.id);
  });
  return out;
}

Result<Task> MemoryTaskStore::add_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("add_dependency"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(task);
  Task* b = find(blocker);
  if (!t || !b) return Status::NotFound("add_dependency: no such task");
  if (waits_for(blocker, task)) return Status::Conflict("dependency cycle: " + task + " -> " + blocker + " -> " + task);
  t->blocked_by.push_back(blocker);
  b->blocks.push_back(task);
  if (t->status == TaskStatus::kReady && !blockers_done(*t)) t->status = TaskStatus::kWaiting;
  t->updated_ms = now_ms;
  return *t;
}

Result<Task> MemoryTaskStore::update_task(const std::string& id, const TaskUpdate& u, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("update_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  if (!t) return Status::NotFound("update_task: task " + id + " does not exist");
  if (u.attempts) t->attempts = *u.attempts;
  if (u.last_error) t->last_error = *u.last_error;
  if (u.result_summary) t->result_summary = *u.result_summary;
  if (u.session_id) t->session_id = *u.session_id;
  if (u.merge_commit) t->merge_commit = *u.merge_commit;
  if (u.status_reason) t->status_reason = *u.status_reason;
  if (u.tokens_in) t->tokens_in = *u.tokens_in;
  if (u.tokens_out) t->tokens_out = *u.tokens_out;
  if (u.cost_usd) t->cost_usd = *u.cost_usd;
  if (u.learned_touches) t->learned_touches = *u.learned_touches;
  t->updated_ms = now_ms;
  return *t;
}

Result<Task> MemoryTaskStore::edit_task(const std::string& id, const TaskEdit& e, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("edit_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  if (!t) return Status::NotFound("edit_task: task " + id + " does not exist");
  if (t->status == TaskStatus::kRunning) return Status::Conflict("edit_task: task " + id + " is running");
  if (e.title) t->title = *e.title;
  if (e.description) t->description = *e.description;
  if (e.priority) t->priority = *e.priority;
  if (e.max_attempts) t->max_attempts = *e.max_attempts;
  if (e.touches) t->touches = *e.touches;
  if (e.review) t->review = *e.review;
  if (e.agent) t->agent = e.agent->empty() ? std::nullopt : e.agent;
  t->updated_ms = now_ms;
  return *t;
}

// Only what the engine tests need: no sub-tasks, no cascade.
Result<TaskRemoval> MemoryTaskStore::remove_task(const std::string& id, bool /*cascade*/, int64_t /*now_ms*/) {
  DROVER_RETURN_IF_ERROR(check("remove_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  if (!t) return Status::NotFound("remove_task: task " + id + " does not exist");
  if (t->status == TaskStatus::kRunning) return Status::Conflict("remove_task: " + id + " is running");
  if (!t->blocks.empty()) return Status::Conflict("remove_task: others wait for " + id);
  for (const auto& b : t->blocked_by) {
    auto& blocks = find(b)->blocks;
    blocks.erase(std::remove(blocks.begin(), blocks.end(), id), blocks.end());
  }
  tasks_.erase(id);
  order_.erase(std::remove(order_.begin(), order_.end(), id), order_.end());
  return TaskRemoval{{id}};
}

Result<Task> MemoryTaskStore::remove_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("remove_dependency"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(task);
  Task* b = find(blocker);
  if (!t || !b) return Status::NotFound("remove_dependency: no such task");
  auto it = std::find(t->blocked_by.begin(), t->blocked_by.end(), blocker);
  if (it == t->blocked_by.end()) return Status::NotFound("remove_dependency: " + task + " does not wait for " + blocker);
  t->blocked_by.erase(it);
  b->blocks.erase(std::remove(b->blocks.begin(), b->blocks.end(), task), b->blocks.end());
  if (t->status == TaskStatus::kWaiting && blockers_done(*t)) t->status = TaskStatus::kReady;
  t->updated_ms = now_ms;
  return *t;
}

Result<Task> MemoryTaskStore::set_paused(const std::string& id, bool paused, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("set_paused"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  if (!t) return Status::NotFound("set_paused: task " + id + " does not exist");
  if (t->status == TaskStatus::kCompleted || t->status == TaskStatus::kCancelled)
    return Status::Conflict("set_paused: task " + id + " is " + std::string(to_string(t->status)));
  t->paused = paused;
  t->updated_ms = now_ms;
  return *t;
}

Result<Task> MemoryTaskStore::review_task(const std::string& id, ReviewDecision decision, const std::string& message,
                                          int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("review_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  if (!t) return Status::NotFound("review_task: task " + id + " does not exist");
  if (!t->awaiting_review())
    return Status::Conflict("review_task: task " + id + " is " + std::string(to_string(t->status)) + ", not awaiting review");
  const bool approve = decision == ReviewDecision::kApprove;
  t->wait = WaitReason{};
  t->not_before_ms = 0;
  t->status_reason = approve ? "approved" : "rejected";
  t->updated_ms = now_ms;
  add_event_locked(id, approve ? "approved" : "rejected", approve ? "approved" : "rejected",
                   nlohmann::json{{"decision", approve ? "approve" : "reject"}, {"message", message},
                                  {"generation", t->generation}},
                   now_ms);
  return *t;
}

Result<std::optional<Task>> MemoryTaskStore::claim_task(const ClaimRequest& c) {
  DROVER_RETURN_IF_ERROR(check("claim_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* best = nullptr;
  bool reclaim = false;
  for (const auto& id : order_) {
    Task& t = tasks_[id];
    if (c.epic && t.epic != c.epic) continue;
    const std::string agent = t.agent_or(c.default_agent);
    if (std::find(c.exclude_agents.begin(), c.exclude_agents.end(), agent) != c.exclude_agents.end()) continue;
    if (std::find(c.exclude_ids.begin(), c.exclude_ids.end(), t.id) != c.exclude_ids.end()) continue;
    const bool ready = t.status == TaskStatus::kReady && t.not_before_ms <= c.now_ms && !t.paused;
    const bool expired = t.status == TaskStatus::kRunning && t.lease_expires_ms < c.now_ms;
    if (!ready && !expired) continue;
    if (!best || t.priority > best->priority) {
      best = &t;
      reclaim = expired;
    }
  }
  if (!best) return std::optional<Task>();
  const std::string previous = best->lease_owner.value_or("");
  best->status = TaskStatus::kRunning;
  best->status_reason.clear();
  best->wait = WaitReason{};
  best->lease_owner = c.executor;
  best->lease_expires_ms = c.now_ms + c.lease_ms;
  best->started_ms = best->updated_ms = c.now_ms;
  if (reclaim) add_event_locked(best->id, "reclaimed", "expired lease of '" + previous + "' reclaimed", nullptr, c.now_ms);
  Task out = *best;
  out.reclaimed = reclaim;
  return std::optional<Task>(out);
}

Result<int> MemoryTaskStore::renew_leases(const std::string& executor, int64_t lease_ms, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("renew_leases"));
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (auto& [id, t] : tasks_) {
    if (t.status == TaskStatus::kRunning && t.lease_owner == executor) {
      t.lease_expires_ms = now_ms + lease_ms;
      ++n;
    }
  }
  return n;
}

Result<Task> MemoryTaskStore::release_locked(const std::string& id, const std::string& executor, int64_t now,
                                             int64_t not_before, const WaitReason& wait, const std::string& reason) {
  Task* t = find(id);
  if (!t) return Status::NotFound("release_task: task " + id + " does not exist");
  if (t->status != TaskStatus::kRunning || t->lease_owner != executor)
    return Status::Conflict("release_task: task " + id + " is not leased by executor '" + executor + "'");
  t->status = blockers_done(*t) ? TaskStatus::kReady : TaskStatus::kWaiting;
  t->lease_owner.reset();
  t->lease_expires_ms = 0;
  t->not_before_ms = not_before;
  t->wait = wait;
  t->wait.until_ms = not_before;
  t->status_reason = reason;
  t->updated_ms = now;
  return *t;
}

Result<Task> MemoryTaskStore::release_task(const ReleaseRequest& r) {
  DROVER_RETURN_IF_ERROR(check("release_task"));
  std::lock_guard<std::mutex> lock(mu_);
  return release_locked(r.id, r.executor, r.now_ms, r.not_before_ms, r.wait, r.status_reason);
}

Result<Task> MemoryTaskStore::take_back(const std::string& id, const std::string& dead_executor, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("release_task"));
  std::lock_guard<std::mutex> lock(mu_);
  return release_locked(id, dead_executor, now_ms, 0, WaitReason{}, "");
}

Result<Completion> MemoryTaskStore::complete_task(const CompleteRequest& c) {
  DROVER_RETURN_IF_ERROR(check("complete_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(c.id);
  if (!t) return Status::NotFound("complete_task: task " + c.id + " does not exist");
  if (t->status == TaskStatus::kCompleted) return Completion{*t, {}};
  if (t->lease_owner && *t->lease_owner != c.executor)
    return Status::Conflict("complete_task: task " + c.id + " is leased by executor '" + *t->lease_owner + "'");
  t->status = TaskStatus::kCompleted;
  t->lease_owner.reset();
  t->merge_commit = c.merge_commit;
  t->result_summary = c.result_summary;
  t->status_reason.clear();
  t->wait = WaitReason{};
  t->completed_ms = t->updated_ms = c.now_ms;
  add_event_locked(c.id, "completed", "completed", nullptr, c.now_ms);
  Completion out{*t, {}};
  for (Task* d : dependents(c.id)) {
    if (d->status == TaskStatus::kWaiting && blockers_done(*d)) {
      d->status = TaskStatus::kReady;
      out.unblocked.push_back(d->id);
    }
  }
  return out;
}

Result<Failure> MemoryTaskStore::fail_task(const FailRequest& f) {
  DROVER_RETURN_IF_ERROR(check("fail_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(f.id);
  if (!t) return Status::NotFound("fail_task: task " + f.id + " does not exist");
  if (t->lease_owner && *t->lease_owner != f.executor)
    return Status::Conflict("fail_task: task " + f.id + " is leased by executor '" + *t->lease_owner + "'");
  t->status = TaskStatus::kFailed;
  t->lease_owner.reset();
  t->last_error = f.error;
  t->wait = WaitReason{};
  t->updated_ms = f.now_ms;
  add_event_locked(f.id, "failed", f.error, nullptr, f.now_ms);
  Failure out{*t, {}};
  std::vector<std::string> stack{f.id};
  while (!stack.empty()) {
    std::string cur = stack.back();
    stack.pop_back();
    for (Task* d : dependents(cur)) {
      if (d->status == TaskStatus::kCompleted || d->status == TaskStatus::kBlocked) continue;
      d->status = TaskStatus::kBlocked;
      d->status_reason = "blocked by failed task " + f.id;
      out.blocked.push_back(d->id);
      stack.push_back(d->id);
    }
  }
  return out;
}

Result<ResetOutcome> MemoryTaskStore::reset_task(const std::string& id, ResetMode mode, int64_t now_ms) {
  DROVER_RETURN_IF_ERROR(check("reset_task"));
  std::lock_guard<std::mutex> lock(mu_);
  Task* t = find(id);
  if (!t) return Status::NotFound("reset_task: task " + id + " does not exist");
  ResetOutcome out;
  if (mode == ResetMode::kCancel) {
    if (terminal(t->status)) return Status::Conflict("reset_task: task " + id + " is " + std::string(to_string(t->status)));
    t->status = TaskStatus::kCancelled;
    out.changed.push_back(id);
    for (Task* d : dependents(id)) {
      if (d->status == TaskStatus::kCompleted) continue;
      d->status = TaskStatus::kBlocked;
      d->status_reason = "blocked by cancelled task " + id;
      out.changed.push_back(d->id);
    }
  } else {
    if (t->status == TaskStatus::kRunning) return Status::Conflict("reset_task: task " + id + " is running");
    if (mode == ResetMode::kRetry && t->status == TaskStatus::kCompleted)
      return Status::Conflict("reset_task: task " + id + " is completed");
    t->status = blockers_done(*t) ? TaskStatus::kReady : TaskStatus::kWaiting;
    t->attempts = 0;
    ++t->generation;
    t->not_before_ms = 0;
    t->wait = WaitReason{};
    t->status_reason.clear();
    out.changed.push_back(id);
    for (Task* d : dependents(id)) {
      if (d->status != TaskStatus::kBlocked) continue;
      d->status = TaskStatus::kWaiting;
      d->status_reason.clear();
      out.changed.push_back(d->id);
    }
  }
  t->updated_ms = now_ms;
  out.task = *t;
  return out;
}

Result<WorkflowRecord> MemoryTaskStore::start_workflow(const std::string& id, const std::string&, const nlohmann::json&,
                                                       const std::string&, int64_t) {
  DROVER_RETURN_IF_ERROR(check("start_workflow"));
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, created] = workflows_.try_emplace(id);
  if (created) it->second.record = WorkflowRecord{id, "running", false};
  WorkflowRecord r = it->second.record;
  r.created = created;
  return r;
}

Result<std::pair<WorkflowRecord, std::vector<StepRecord>>> MemoryTaskStore::get_workflow(const std::string& id) {
  DROVER_RETURN_IF_ERROR(check("get_workflow"));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = workflows_.find(id);
  if (it == workflows_.end()) return Status::NotFound("get_workflow: no workflow " + id);
  return std::make_pair(it->second.record, it->second.steps);
}

Status MemoryTaskStore::finish_workflow(const std::string& id, const std::string& status, const nlohmann::json&, int64_t) {
  DROVER_RETURN_IF_ERROR(check("finish_workflow"));
  std::lock_guard<std::mutex> lock(mu_);
  workflows_[id].record.status = status;
  return Status::Ok();
}

Result<StepRecord> MemoryTaskStore::record_step(const std::string& workflow_id, const StepRecord& step, int64_t) {
  DROVER_RETURN_IF_ERROR(check("record_step"));
  StepRecord out;
  bool crash = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& steps = workflows_[workflow_id].steps;
    if (step.step < static_cast<int64_t>(steps.size())) {
      out = steps[step.step];
      out.recorded = false;
      return out;
    }
    if (steps_ + 1 == crash_before_step) {
      crash_before_step = 0;
      throw Crash{"before recording step '" + step.name + "' of " + workflow_id};
    }
    steps.push_back(step);
    out = step;
    crash = ++steps_ == crash_after_steps;
  }
  if (crash) throw Crash{"after step '" + step.name + "' of " + workflow_id};
  return out;
}

Result<std::vector<WriteResult>> MemoryTaskStore::apply_writes(const std::vector<StoreWrite>& writes) {
  DROVER_RETURN_IF_ERROR(check("apply_writes"));
  if (applied_together) applied_together(writes);
  return TaskStore::apply_writes(writes);
}

Status MemoryTaskStore::append_event(const NewEvent& e) {
  DROVER_RETURN_IF_ERROR(check("append_event"));
  std::lock_guard<std::mutex> lock(mu_);
  add_event_locked(e.task_id, e.kind, e.message, e.data, e.now_ms);
  return Status::Ok();
}

Result<std::vector<TaskEvent>> MemoryTaskStore::list_events(const EventFilter& f) {
  DROVER_RETURN_IF_ERROR(check("list_events"));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TaskEvent> out;
  for (const auto& e : events_) {
    if (f.task_id && e.task_id != f.task_id) continue;
    if (f.after_id && e.id <= *f.after_id) continue;
    out.push_back(e);
  }
  return out;
}

Result<StoreSummary> MemoryTaskStore::summary(const std::optional<std::string>& epic) {
  DROVER_RETURN_IF_ERROR(check("summary"));
  std::lock_guard<std::mutex> lock(mu_);
  StoreSummary s;
  for (const auto& [id, t] : tasks_) {
    if (epic && t.epic != epic) continue;
    ++s.counts[std::string(to_string(t.status))];
    ++s.total;
    s.cost_usd += t.cost_usd.value_or(0.0);
    s.tokens_in += t.tokens_in;
    s.tokens_out += t.tokens_out;
  }
  return s;
}

}  // namespace drover::testing
