#include "drover/engine/workflow_context.h"

namespace drover {
namespace {

SystemClock system_clock;

Result<json> outcome_of(const StepRecord& rec) {
  if (rec.error) return Status::Error(*rec.error);
  return rec.outcome;
}

}  // namespace

int64_t now_ms() { return system_clock.now_ms(); }

Result<WorkflowContext> WorkflowContext::start(TaskStore& store, const std::string& id, const std::string& name,
                                               const json& input, const std::string& executor, Clock* clock) {
  if (clock == nullptr) clock = &system_clock;
  auto wf = store.start_workflow(id, name, input, executor, clock->now_ms());
  if (!wf.ok()) return wf.status().WithContext("workflow " + id);
  WorkflowContext ctx(&store, clock, id);
  ctx.created_ = wf.value().created;
  ctx.loaded_status_ = wf.value().status;
  if (ctx.created_) return ctx;  // a new workflow has no recorded steps to load
  auto full = store.get_workflow(id);
  if (!full.ok()) return full.status().WithContext("workflow " + id);
  ctx.loaded_status_ = full.value().first.status;
  ctx.recorded_ = std::move(full.value().second);
  return ctx;
}

Result<json> WorkflowContext::step(const std::string& name, const std::function<Result<json>()>& fn) {
  Riders none;
  return step(name, fn, none);
}

Result<json> WorkflowContext::step(const std::string& name, const std::function<Result<json>()>& fn,
                                   Riders& riders) {
  if (broken_) return Status::Unavailable("step '" + name + "' of workflow " + id_ + " not run: " + broken_why_);
  const size_t number = next_++;
  if (number < recorded_.size()) {
    const StepRecord& rec = recorded_[number];
    if (rec.name != name) {
      return Status::Conflict("workflow " + id_ + " step " + std::to_string(number) + " was recorded as '" + rec.name +
                              "' but the code now expects '" + name +
                              "'; the task's history is from an incompatible drover version — run `drover retry` "
                              "on the task");
    }
    return outcome_of(rec);
  }
  if (gate_) {
    Status open = gate_();
    if (!open.ok()) {
      --next_;
      return open;
    }
  }
  Result<json> r = fn();
  if (!r.ok() && r.status().code() == StatusCode::kUnavailable) {
    // "Not now" (interrupted, or waiting for the user): nothing is recorded,
    // so the step runs again when the workflow is picked up next.
    --next_;
    if (!riders.writes.empty()) {
      auto written = store_->apply_writes(riders.writes);
      if (written.ok()) {
        riders.writes.clear();
        riders.results = std::move(written.value());
      }
    }
    return r;
  }
  StepRecord step;
  step.step = static_cast<int64_t>(number);
  step.name = name;
  if (r.ok()) {
    step.outcome = r.value();
  } else {
    step.error = r.status().message();
  }
  // The record, with the riders after it in the same transaction.
  auto record = [&]() -> Result<StepRecord> {
    if (riders.writes.empty()) return store_->record_step(id_, step, clock_->now_ms());
    std::vector<StoreWrite> writes{StoreWrite::record_step(id_, step, clock_->now_ms())};
    writes.insert(writes.end(), riders.writes.begin(), riders.writes.end());
    auto written = store_->apply_writes(writes);
    if (!written.ok()) return written.status();
    std::vector<WriteResult>& answers = written.value();
    if (answers.empty() || !answers.front().step) return Status::Error("the store answered without the step");
    riders.results.assign(std::make_move_iterator(answers.begin() + 1), std::make_move_iterator(answers.end()));
    return std::move(*answers.front().step);
  };
  auto rec = record();
  if (!rec.ok()) {
    // The step's outcome is not durable, so no later step may run: this
    // execution ends here and whoever claims the task next runs it again.
    broken_ = true;
    broken_why_ = "recording step '" + name + "' failed: " + rec.status().message();
    return Status::Unavailable(broken_why_ + " (workflow " + id_ + ")");
  }
  riders.writes.clear();
  recorded_.push_back(rec.value());
  // If someone else recorded this step first, their outcome wins.
  return outcome_of(rec.value());
}

Status WorkflowContext::finish(const std::string& status, const json& output) {
  return store_->finish_workflow(id_, status, output, clock_->now_ms());
}

}  // namespace drover
