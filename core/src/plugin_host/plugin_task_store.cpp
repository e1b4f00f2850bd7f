#include "drover/plugin_host/plugin_task_store.h"

#include <algorithm>

#include "drover/model/task_text.h"
#include "plugin_response.h"

namespace drover {
namespace {

using json = nlohmann::json;
using Storage = drover_storage_vtable_v1;

template <class T, class F>
Result<T> read_storage(Result<json> r, F&& convert) {
  return read_response<T>(std::move(r), "storage", std::forward<F>(convert));
}

Task as_task(const json& j) { return task_from_json(j); }

// Converts a response that is an array of records, one by one.
template <class T>
auto each(T (*convert)(const json&)) {
  return [convert](const json& j) {
    std::vector<T> out;
    for (const auto& e : j) out.push_back(convert(e));
    return out;
  };
}

template <class T>
void put(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

StepRecord step_from_json(const json& j) {
  StepRecord s;
  s.step = j.value("step", int64_t{0});
  s.name = j.value("name", "");
  if (j.contains("error") && j["error"].is_string()) s.error = j["error"].get<std::string>();
  if (j.contains("outcome")) s.outcome = j["outcome"];
  s.recorded = j.value("recorded", true);
  return s;
}

json update_request(const std::string& id, const TaskUpdate& u, int64_t now_ms, bool quiet = false) {
  json fields = json::object();
  put(fields, "attempts", u.attempts);
  put(fields, "last_error", u.last_error);
  put(fields, "result_summary", u.result_summary);
  put(fields, "session_id", u.session_id);
  put(fields, "merge_commit", u.merge_commit);
  put(fields, "status_reason", u.status_reason);
  put(fields, "tokens_in", u.tokens_in);
  put(fields, "tokens_out", u.tokens_out);
  put(fields, "cost_usd", u.cost_usd);
  put(fields, "learned_touches", u.learned_touches);
  json req{{"id", id}, {"now_ms", now_ms}, {"fields", fields}};
  if (quiet) req["quiet"] = true;
  return req;
}

// Quiet (ABI 1.6): the answer is {"recorded": true} when this call recorded
// the step; recorded_step() rebuilds the record from what was sent.
json step_request(const std::string& workflow_id, const StepRecord& step, int64_t now_ms) {
  json req{{"workflow_id", workflow_id}, {"step", step.step}, {"name", step.name}, {"now_ms", now_ms}, {"quiet", true}};
  if (step.error) {
    req["error"] = *step.error;
  } else {
    req["outcome"] = step.outcome;
  }
  return req;
}

// The step as recorded: the answer in full (someone else recorded it first,
// or a plugin older than 1.6), or what this call sent.
StepRecord recorded_step(const json& answer, const StepRecord& sent) {
  if (answer.contains("name")) return step_from_json(answer);
  StepRecord step = sent;
  step.recorded = answer.value("recorded", true);
  return step;
}

json event_request(const NewEvent& e) {
  json req{{"kind", e.kind}, {"message", e.message}, {"data", e.data}, {"now_ms", e.now_ms}};
  put(req, "task_id", e.task_id);
  return req;
}

json finish_request(const std::string& id, const std::string& status, const json& output, int64_t now_ms) {
  return json{{"id", id}, {"status", status}, {"output", output}, {"now_ms", now_ms}};
}

// apply_writes' {"op", "request"} for one write.
json write_entry(const StoreWrite& w) {
  switch (w.kind) {
    case StoreWrite::Kind::kRecordStep:
      return json{{"op", "record_step"}, {"request", step_request(w.id, w.step, w.now_ms)}};
    case StoreWrite::Kind::kUpdateTask:
      return json{{"op", "update_task"}, {"request", update_request(w.id, w.update, w.now_ms, w.quiet)}};
    case StoreWrite::Kind::kAppendEvent:
      return json{{"op", "append_event"}, {"request", event_request(w.event)}};
    case StoreWrite::Kind::kFinishWorkflow:
      return json{{"op", "finish_workflow"}, {"request", finish_request(w.id, w.status, w.output, w.now_ms)}};
  }
  return json::object();
}

WorkflowRecord workflow_from_json(const json& j) {
  return WorkflowRecord{j.value("id", ""), j.value("status", "running"), j.value("created", false)};
}

}  // namespace

Result<std::unique_ptr<PluginTaskStore>> PluginTaskStore::open(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                   const nlohmann::json& context) {
  auto client = StorageClient::open(plugin, config_yaml, context);
  if (!client.ok()) return client.status();
  return std::make_unique<PluginTaskStore>(std::move(client.value()));
}

Result<StoreDescription> PluginTaskStore::describe() {
  return read_storage<StoreDescription>(client_->call(&Storage::describe, "describe", json::object()), [](const json& j) {
    return StoreDescription{j.value("backend", ""), j.value("schema_version", int64_t{0}), j.value("location", "")};
  });
}

Result<Epic> PluginTaskStore::create_epic(const std::string& title, const std::string& description, int64_t now_ms) {
  if (Status st = check_task_text("title", title); !st.ok()) return st;
  if (Status st = check_task_text("description", description); !st.ok()) return st;
  return read_storage<Epic>(client_->call(&Storage::create_epic, "create_epic",
                                 json{{"title", title}, {"description", description}, {"now_ms", now_ms}}),
                   epic_from_json);
}

Result<std::vector<Epic>> PluginTaskStore::list_epics() {
  return read_storage<std::vector<Epic>>(client_->call(&Storage::list_epics, "list_epics", json::object()),
                                         each(epic_from_json));
}

Result<Task> PluginTaskStore::create_task(const NewTask& t, int64_t now_ms) {
  if (Status st = check_new_task(t); !st.ok()) return st;
  json req{{"title", t.title}, {"description", t.description}, {"now_ms", now_ms}};
  put(req, "epic", t.epic);
  put(req, "parent", t.parent);
  put(req, "agent", t.agent);
  put(req, "priority", t.priority);
  put(req, "max_attempts", t.max_attempts);
  put(req, "timeout_ms", t.timeout_ms);
  if (!t.blocked_by.empty()) req["blocked_by"] = t.blocked_by;
  if (!t.touches.empty()) req["touches"] = t.touches;
  if (t.review) req["review"] = true;
  return read_storage<Task>(client_->call(&Storage::create_task, "create_task", req), as_task);
}

Result<Task> PluginTaskStore::get_task(const std::string& id) {
  return read_storage<Task>(client_->call(&Storage::get_task, "get_task", json{{"id", id}}), as_task);
}

Result<std::vector<Task>> PluginTaskStore::list_tasks(const TaskFilter& filter) {
  json req = json::object();
  put(req, "epic", filter.epic);
  if (!filter.statuses.empty()) {
    json s = json::array();
    for (TaskStatus st : filter.statuses) s.push_back(to_string(st));
    req["status"] = s;
  }
  if (!filter.ids.empty()) req["ids"] = filter.ids;
  return read_storage<std::vector<Task>>(client_->call(&Storage::list_tasks, "list_tasks", req), each(task_from_json));
}

Result<Task> PluginTaskStore::add_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) {
  if (Status st = check_task_text("task id", task); !st.ok()) return st;
  if (Status st = check_task_text("blocker id", blocker); !st.ok()) return st;
  return read_storage<Task>(client_->call(&Storage::add_dependency, "add_dependency",
                                json{{"task", task}, {"blocker", blocker}, {"now_ms", now_ms}}),
                   as_task);
}

Result<Task> PluginTaskStore::update_task(const std::string& id, const TaskUpdate& u, int64_t now_ms) {
  return read_storage<Task>(client_->call(&Storage::update_task, "update_task", update_request(id, u, now_ms)), as_task);
}

Result<Task> PluginTaskStore::edit_task(const std::string& id, const TaskEdit& e, int64_t now_ms) {
  if (e.title) {
    if (Status st = check_task_text("title", *e.title); !st.ok()) return st;
  }
  if (e.description) {
    if (Status st = check_task_text("description", *e.description); !st.ok()) return st;
  }
  json fields = json::object();
  put(fields, "title", e.title);
  put(fields, "description", e.description);
  put(fields, "priority", e.priority);
  put(fields, "max_attempts", e.max_attempts);
  put(fields, "touches", e.touches);
  put(fields, "review", e.review);
  if (e.agent) fields["agent"] = e.agent->empty() ? json() : json(*e.agent);
  return read_storage<Task>(
      client_->call(&Storage::edit_task, "edit_task", json{{"id", id}, {"now_ms", now_ms}, {"fields", fields}}), as_task);
}

Result<TaskRemoval> PluginTaskStore::remove_task(const std::string& id, bool cascade, int64_t now_ms) {
  return read_storage<TaskRemoval>(
      client_->call(&Storage::remove_task, "remove_task", json{{"id", id}, {"now_ms", now_ms}, {"cascade", cascade}}),
      [](const json& j) { return TaskRemoval{string_list(j, "removed")}; });
}

Result<Task> PluginTaskStore::remove_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) {
  return read_storage<Task>(client_->call(&Storage::remove_dependency, "remove_dependency",
                                          json{{"task", task}, {"blocker", blocker}, {"now_ms", now_ms}}),
                            as_task);
}

Result<Task> PluginTaskStore::set_paused(const std::string& id, bool paused, int64_t now_ms) {
  return read_storage<Task>(
      client_->call(&Storage::set_paused, "set_paused", json{{"id", id}, {"paused", paused}, {"now_ms", now_ms}}),
      as_task);
}

Result<Task> PluginTaskStore::review_task(const std::string& id, ReviewDecision decision, const std::string& message,
                                          int64_t now_ms) {
  json req{{"id", id},
           {"decision", decision == ReviewDecision::kApprove ? "approve" : "reject"},
           {"message", message},
           {"now_ms", now_ms}};
  return read_storage<Task>(client_->call(&Storage::review_task, "review_task", req), as_task);
}

namespace {
json claim_request(const ClaimRequest& c) {
  json req{{"executor", c.executor},
           {"lease_ms", c.lease_ms},
           {"now_ms", c.now_ms},
           {"default_agent", c.default_agent},
           {"exclude_agents", c.exclude_agents}};
  put(req, "epic", c.epic);
  if (!c.exclude_ids.empty()) req["exclude_ids"] = c.exclude_ids;
  return req;
}
}  // namespace

Result<std::vector<Task>> PluginTaskStore::claim_tasks(const ClaimRequest& c, int limit) {
  if (limit > 1 && !claim_tasks_unsupported_.load()) {
    json req = claim_request(c);
    req["limit"] = std::min(limit, 1000);
    auto r = client_->call(&Storage::claim_tasks, "claim_tasks", req);
    if (r.ok() || r.status().code() != StatusCode::kUnsupported) {
      return read_storage<std::vector<Task>>(std::move(r), each(task_from_json));
    }
    claim_tasks_unsupported_ = true;  // a plugin built for ABI 1.4 or older: one by one
  }
  return TaskStore::claim_tasks(c, limit);
}

Result<std::optional<Task>> PluginTaskStore::claim_task(const ClaimRequest& c) {
  json req = claim_request(c);
  return read_storage<std::optional<Task>>(client_->call(&Storage::claim_task, "claim_task", req),
                                  [](const json& j) -> std::optional<Task> {
                                    if (j.is_null()) return std::nullopt;
                                    return task_from_json(j);
                                  });
}

Result<int> PluginTaskStore::renew_leases(const std::string& executor, int64_t lease_ms, int64_t now_ms) {
  return read_storage<int>(client_->call(&Storage::renew_leases, "renew_leases",
                               json{{"executor", executor}, {"lease_ms", lease_ms}, {"now_ms", now_ms}}),
                  [](const json& j) { return j.value("renewed", 0); });
}

Result<Task> PluginTaskStore::release_task(const ReleaseRequest& r) {
  json req{{"id", r.id}, {"executor", r.executor}, {"now_ms", r.now_ms}, {"not_before_ms", r.not_before_ms}};
  if (r.wait.active())
    req["wait"] = json{{"kind", to_string(r.wait.kind)}, {"agent", r.wait.agent}, {"detail", r.wait.detail},
                       {"paths", r.wait.paths}};
  if (!r.status_reason.empty()) req["status_reason"] = r.status_reason;
  return read_storage<Task>(client_->call(&Storage::release_task, "release_task", req), as_task);
}

Result<Task> PluginTaskStore::take_back(const std::string& id, const std::string& dead_executor, int64_t now_ms) {
  return read_storage<Task>(client_->call(&Storage::release_task, "release_task",
                                json{{"id", id}, {"executor", dead_executor}, {"now_ms", now_ms}}),
                   as_task);
}

Result<Completion> PluginTaskStore::complete_task(const CompleteRequest& c) {
  json req{{"id", c.id}, {"executor", c.executor}, {"now_ms", c.now_ms}, {"result_summary", c.result_summary}};
  if (!c.merge_commit.empty()) req["merge_commit"] = c.merge_commit;
  if (c.quiet) req["quiet"] = true;
  return read_storage<Completion>(client_->call(&Storage::complete_task, "complete_task", req), [&c](const json& j) {
    Completion done;
    if (!c.quiet) done.task = task_from_json(j.value("task", json::object()));
    done.unblocked = string_list(j, "unblocked");
    return done;
  });
}

Result<Failure> PluginTaskStore::fail_task(const FailRequest& f) {
  return read_storage<Failure>(client_->call(&Storage::fail_task, "fail_task",
                                   json{{"id", f.id}, {"executor", f.executor}, {"now_ms", f.now_ms}, {"error", f.error}}),
                      [](const json& j) { return Failure{task_from_json(j.value("task", json::object())), string_list(j, "blocked")}; });
}

Result<ResetOutcome> PluginTaskStore::reset_task(const std::string& id, ResetMode mode, int64_t now_ms) {
  return read_storage<ResetOutcome>(
      client_->call(&Storage::reset_task, "reset_task", json{{"id", id}, {"now_ms", now_ms}, {"mode", to_string(mode)}}),
      [](const json& j) { return ResetOutcome{task_from_json(j.value("task", json::object())), string_list(j, "changed")}; });
}

Result<WorkflowRecord> PluginTaskStore::start_workflow(const std::string& id, const std::string& name, const json& input,
                                                       const std::string& executor, int64_t now_ms) {
  return read_storage<WorkflowRecord>(
      client_->call(&Storage::start_workflow, "start_workflow",
                   json{{"id", id}, {"name", name}, {"input", input}, {"executor", executor}, {"now_ms", now_ms}}),
      workflow_from_json);
}

Result<std::pair<WorkflowRecord, std::vector<StepRecord>>> PluginTaskStore::get_workflow(const std::string& id) {
  return read_storage<std::pair<WorkflowRecord, std::vector<StepRecord>>>(
      client_->call(&Storage::get_workflow, "get_workflow", json{{"id", id}}), [](const json& j) {
        std::vector<StepRecord> steps;
        if (j.contains("steps") && j["steps"].is_array())
          for (const auto& s : j["steps"]) steps.push_back(step_from_json(s));
        std::sort(steps.begin(), steps.end(), [](const StepRecord& a, const StepRecord& b) { return a.step < b.step; });
        return std::make_pair(workflow_from_json(j), std::move(steps));
      });
}

Status PluginTaskStore::finish_workflow(const std::string& id, const std::string& status, const json& output,
                                        int64_t now_ms) {
  auto r = client_->call(&Storage::finish_workflow, "finish_workflow", finish_request(id, status, output, now_ms));
  return r.ok() ? Status::Ok() : r.status();
}

Result<StepRecord> PluginTaskStore::record_step(const std::string& workflow_id, const StepRecord& step, int64_t now_ms) {
  return read_storage<StepRecord>(
      client_->call(&Storage::record_step, "record_step", step_request(workflow_id, step, now_ms)),
      [&step](const json& j) { return recorded_step(j, step); });
}

Status PluginTaskStore::append_event(const NewEvent& e) {
  auto r = client_->call(&Storage::append_event, "append_event", event_request(e));
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<WriteResult>> PluginTaskStore::apply_writes(const std::vector<StoreWrite>& writes) {
  // One write goes as its own call unless its answer can be left out.
  const bool one_quiet = writes.size() == 1 && writes.front().quiet;
  if ((writes.size() > 1 || one_quiet) && writes.size() <= 64 && !apply_writes_unsupported_.load()) {
    json list = json::array();
    for (const StoreWrite& w : writes) list.push_back(write_entry(w));
    auto r = client_->call(&Storage::apply_writes, "apply_writes", json{{"writes", std::move(list)}});
    if (r.ok() || r.status().code() != StatusCode::kUnsupported) {
      return read_storage<std::vector<WriteResult>>(std::move(r), [&writes](const json& j) {
        std::vector<WriteResult> out;
        const json& results = j.at("results");
        for (size_t i = 0; i < writes.size(); ++i) {
          const json& answer = results.at(i);  // one answer short: a response of the wrong shape
          WriteResult one;
          if (writes[i].kind == StoreWrite::Kind::kRecordStep) one.step = recorded_step(answer, writes[i].step);
          if (writes[i].kind == StoreWrite::Kind::kUpdateTask && !writes[i].quiet) one.task = task_from_json(answer);
          out.push_back(std::move(one));
        }
        return out;
      });
    }
    apply_writes_unsupported_ = true;  // a plugin built for ABI 1.5 or older: one by one
  }
  return TaskStore::apply_writes(writes);
}

Result<std::vector<TaskEvent>> PluginTaskStore::list_events(const EventFilter& f) {
  json req = json::object();
  put(req, "task_id", f.task_id);
  put(req, "after_id", f.after_id);
  put(req, "limit", f.limit);
  return read_storage<std::vector<TaskEvent>>(client_->call(&Storage::list_events, "list_events", req),
                                              each(event_from_json));
}

Result<StoreSummary> PluginTaskStore::summary(const std::optional<std::string>& epic) {
  json req = json::object();
  put(req, "epic", epic);
  return read_storage<StoreSummary>(client_->call(&Storage::summary, "summary", req), [](const json& j) {
    StoreSummary s;
    if (j.contains("counts") && j["counts"].is_object())
      for (const auto& [k, v] : j["counts"].items())
        if (v.is_number()) s.counts[k] = v.get<int>();
    s.total = j.value("total", 0);
    s.cost_usd = j.value("cost_usd", 0.0);
    s.tokens_in = j.value("tokens_in", int64_t{0});
    s.tokens_out = j.value("tokens_out", int64_t{0});
    return s;
  });
}

Status PluginTaskStore::beat_executor(const ExecutorBeat& b) {
  json req{{"id", b.id},           {"host", b.host},       {"pid", b.pid},
           {"started_ms", b.started_ms}, {"version", b.version}, {"workers", b.workers},
           {"lease_ms", b.lease_ms}, {"state", to_string(b.state)}, {"now_ms", b.now_ms}};
  auto r = client_->call(&Storage::beat_executor, "beat_executor", req);
  return r.ok() ? Status::Ok() : r.status();
}

Result<ExecutorList> PluginTaskStore::list_executors(int64_t now_ms) {
  return read_storage<ExecutorList>(
      client_->call(&Storage::list_executors, "list_executors", json{{"now_ms", now_ms}}), [](const json& j) {
        ExecutorList list;
        list.now_ms = j.value("now_ms", int64_t{0});
        if (j.contains("executors") && j["executors"].is_array())
          for (const json& e : j["executors"]) {
            ExecutorRecord r;
            r.beat.id = e.value("id", "");
            r.beat.host = e.value("host", "");
            r.beat.version = e.value("version", "");
            r.beat.pid = e.value("pid", int64_t{0});
            r.beat.started_ms = e.value("started_ms", int64_t{0});
            r.beat.lease_ms = e.value("lease_ms", int64_t{0});
            r.beat.workers = e.value("workers", 0);
            r.beat.state = executor_state_named(e.value("state", "")).value_or(ExecutorState::kRunning);
            r.first_beat_ms = e.value("first_beat_ms", int64_t{0});
            r.last_beat_ms = e.value("last_beat_ms", int64_t{0});
            r.tasks = string_list(e, "tasks");
            list.executors.push_back(std::move(r));
          }
        return list;
      });
}

Result<LogChunkWritten> PluginTaskStore::append_log(const LogChunkWrite& c) {
  json req{{"task_id", c.key.task_id}, {"generation", c.key.generation}, {"attempt", c.key.attempt},
           {"round", c.key.round},     {"offset", c.offset},             {"data", c.data},
           {"max_bytes", c.max_bytes}, {"now_ms", c.now_ms}};
  if (c.final) req["final"] = true;
  return read_storage<LogChunkWritten>(client_->call(&Storage::append_log, "append_log", req), [](const json& j) {
    return LogChunkWritten{j.value("size", int64_t{0}), j.value("kept", int64_t{0}), j.value("finished", false)};
  });
}

Result<LogPiece> PluginTaskStore::read_log(const LogReadRequest& r) {
  json req{{"task_id", r.task_id}, {"offset", r.offset}, {"max_bytes", r.max_bytes}};
  put(req, "generation", r.generation);
  put(req, "attempt", r.attempt);
  put(req, "round", r.round);
  return read_storage<LogPiece>(client_->call(&Storage::read_log, "read_log", req), [&](const json& j) {
    LogPiece p;
    p.key = StoredLogKey{r.task_id, j.value("generation", int64_t{0}), j.value("attempt", 1), j.value("round", 1)};
    p.offset = j.value("offset", int64_t{0});
    p.data = j.value("data", "");
    p.next_offset = j.value("next_offset", p.offset);
    p.size = j.value("size", int64_t{0});
    p.finished = j.value("finished", false);
    p.eof = j.value("eof", false);
    return p;
  });
}

}  // namespace drover
