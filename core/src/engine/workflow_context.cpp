#include "drover/engine/workflow_context.h"

#include <algorithm>
#include <chrono>

namespace drover {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<WorkflowContext> WorkflowContext::start(const StorageClient& store, const std::string& id,
                                               const std::string& name, const json& input,
                                               const std::string& executor) {
  auto wf = store.call(&drover_storage_vtable_v1::start_workflow, "start_workflow",
                       json{{"id", id}, {"name", name}, {"input", input}, {"executor", executor}, {"now_ms", now_ms()}});
  if (!wf.ok()) return wf.status().WithContext("workflow " + id);
  WorkflowContext ctx(&store, id);
  ctx.created_ = wf.value().value("created", false);
  ctx.loaded_status_ = wf.value().value("status", "running");
  if (ctx.created_) return ctx;  // a new workflow has no recorded steps to load
  auto full = store.call(&drover_storage_vtable_v1::get_workflow, "get_workflow", json{{"id", id}});
  if (!full.ok()) return full.status().WithContext("workflow " + id);
  ctx.loaded_status_ = full.value().value("status", "running");
  if (full.value().contains("steps") && full.value()["steps"].is_array()) {
    for (const auto& s : full.value()["steps"]) ctx.recorded_.push_back(s);
  }
  std::sort(ctx.recorded_.begin(), ctx.recorded_.end(),
            [](const json& a, const json& b) { return a.value("step", 0) < b.value("step", 0); });
  return ctx;
}

Result<json> WorkflowContext::step(const std::string& name, const std::function<Result<json>()>& fn) {
  const size_t number = next_++;
  auto outcome_of = [&](const json& rec) -> Result<json> {
    if (rec.contains("error") && rec["error"].is_string()) return Status::Error(rec["error"].get<std::string>());
    return rec.contains("outcome") ? rec["outcome"] : json();
  };
  if (number < recorded_.size()) {
    const json& rec = recorded_[number];
    if (rec.value("name", "") != name) {
      return Status::Conflict("workflow " + id_ + " step " + std::to_string(number) + " was recorded as '" +
                              rec.value("name", "") + "' but the code now expects '" + name +
                              "'; the task's history is from an incompatible drover version — run `drover retry` "
                              "on the task");
    }
    return outcome_of(rec);
  }
  Result<json> r = fn();
  if (!r.ok() && r.status().code() == StatusCode::kUnavailable) {
    // "Not now" (interrupted, or waiting for the user): nothing is recorded,
    // so the step runs again when the workflow is picked up next.
    --next_;
    return r;
  }
  json req{{"workflow_id", id_}, {"step", number}, {"name", name}, {"now_ms", now_ms()}};
  if (r.ok()) {
    req["outcome"] = r.value();
  } else {
    req["error"] = r.status().message();
  }
  auto rec = store_->call(&drover_storage_vtable_v1::record_step, "record_step", req);
  if (!rec.ok()) return rec.status().WithContext("recording step '" + name + "' of workflow " + id_);
  recorded_.push_back(rec.value());
  // If someone else recorded this step first, their outcome wins.
  return outcome_of(rec.value());
}

Status WorkflowContext::finish(const std::string& status, const json& output) {
  auto r = store_->call(&drover_storage_vtable_v1::finish_workflow, "finish_workflow",
                        json{{"id", id_}, {"status", status}, {"output", output}, {"now_ms", now_ms()}});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace drover
