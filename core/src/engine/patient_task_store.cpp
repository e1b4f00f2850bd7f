#include "drover/engine/patient_task_store.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace drover {
namespace {

const Status& status_of(const Status& s) { return s; }
template <class T>
const Status& status_of(const Result<T>& r) {
  return r.status();
}

}  // namespace

Status PatientTaskStore::clear_to_call() {
  while (true) {
    if (rules_.refuse)
      if (auto why = rules_.refuse()) return Status::Unavailable(*why);
    if (!rules_.hold || !rules_.hold()) return Status::Ok();
    // Fenced: wait, without touching the store, until the run knows
    // whether the lease is still ours.
    if (!wait_before_retry(0)) return Status::Unavailable("gave up waiting for the lease while the store was away");
  }
}

template <class Call>
auto PatientTaskStore::patiently(Call call) -> decltype(call()) {
  for (int failures = 0;;) {
    if (Status clear = clear_to_call(); !clear.ok()) return clear;
    const auto started = std::chrono::steady_clock::now();
    auto r = call();
    const Status& s = status_of(r);
    // An operation the plugin lacks (an older ABI) says nothing about whether
    // the store answers (the host refuses it without calling the plugin).
    if (health_ && s.code() != StatusCode::kUnsupported) health_->saw(s, started);
    if (!store_unreachable(s) || !wait_before_retry(++failures)) return r;
  }
}

bool PatientTaskStore::wait_before_retry(int failures) {
  const auto delay = std::chrono::milliseconds(std::min<int64_t>(2000, int64_t{100} << std::clamp(failures - 1, 0, 5)));
  // Sliced, so a stop or a fence is seen within 50 ms.
  const auto until = std::chrono::steady_clock::now() + delay;
  while (true) {
    if (rules_.stop_retrying && rules_.stop_retrying()) return false;
    if (rules_.refuse && rules_.refuse()) return true;  // the next try returns the reason
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
}

Result<StoreDescription> PatientTaskStore::describe() {
  return patiently([&] { return inner_.describe(); });
}
Result<Epic> PatientTaskStore::create_epic(const std::string& title, const std::string& description, int64_t now_ms) {
  return patiently([&] { return inner_.create_epic(title, description, now_ms); });
}
Result<std::vector<Epic>> PatientTaskStore::list_epics() {
  return patiently([&] { return inner_.list_epics(); });
}
Result<Task> PatientTaskStore::create_task(const NewTask& task, int64_t now_ms) {
  return patiently([&] { return inner_.create_task(task, now_ms); });
}
Result<Task> PatientTaskStore::get_task(const std::string& id) {
  return patiently([&] { return inner_.get_task(id); });
}
Result<std::vector<Task>> PatientTaskStore::list_tasks(const TaskFilter& filter) {
  return patiently([&] { return inner_.list_tasks(filter); });
}
Result<Task> PatientTaskStore::add_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) {
  return patiently([&] { return inner_.add_dependency(task, blocker, now_ms); });
}
Result<Task> PatientTaskStore::update_task(const std::string& id, const TaskUpdate& fields, int64_t now_ms) {
  return patiently([&] { return inner_.update_task(id, fields, now_ms); });
}
Result<Task> PatientTaskStore::edit_task(const std::string& id, const TaskEdit& edit, int64_t now_ms) {
  return patiently([&] { return inner_.edit_task(id, edit, now_ms); });
}
Result<TaskRemoval> PatientTaskStore::remove_task(const std::string& id, bool cascade, int64_t now_ms) {
  return patiently([&] { return inner_.remove_task(id, cascade, now_ms); });
}
Result<Task> PatientTaskStore::remove_dependency(const std::string& task, const std::string& blocker, int64_t now_ms) {
  return patiently([&] { return inner_.remove_dependency(task, blocker, now_ms); });
}
Result<Task> PatientTaskStore::set_paused(const std::string& id, bool paused, int64_t now_ms) {
  return patiently([&] { return inner_.set_paused(id, paused, now_ms); });
}
Result<Task> PatientTaskStore::review_task(const std::string& id, ReviewDecision decision, const std::string& message,
                                           int64_t now_ms) {
  return patiently([&] { return inner_.review_task(id, decision, message, now_ms); });
}
Result<std::optional<Task>> PatientTaskStore::claim_task(const ClaimRequest& request) {
  return patiently([&] { return inner_.claim_task(request); });
}

Result<std::vector<Task>> PatientTaskStore::claim_tasks(const ClaimRequest& request, int limit) {
  return patiently([&] { return inner_.claim_tasks(request, limit); });
}
Result<std::vector<WriteResult>> PatientTaskStore::apply_writes(const std::vector<StoreWrite>& writes) {
  return patiently([&] { return inner_.apply_writes(writes); });
}
Result<int> PatientTaskStore::renew_leases(const std::string& executor, int64_t lease_ms, int64_t now_ms) {
  return patiently([&] { return inner_.renew_leases(executor, lease_ms, now_ms); });
}
Result<Task> PatientTaskStore::release_task(const ReleaseRequest& request) {
  return patiently([&] { return inner_.release_task(request); });
}
Result<Task> PatientTaskStore::take_back(const std::string& id, const std::string& dead_executor, int64_t now_ms) {
  return patiently([&] { return inner_.take_back(id, dead_executor, now_ms); });
}
Result<Completion> PatientTaskStore::complete_task(const CompleteRequest& request) {
  return patiently([&] { return inner_.complete_task(request); });
}
Result<Failure> PatientTaskStore::fail_task(const FailRequest& request) {
  return patiently([&] { return inner_.fail_task(request); });
}
Result<ResetOutcome> PatientTaskStore::reset_task(const std::string& id, ResetMode mode, int64_t now_ms) {
  return patiently([&] { return inner_.reset_task(id, mode, now_ms); });
}
Result<WorkflowRecord> PatientTaskStore::start_workflow(const std::string& id, const std::string& name,
                                                        const nlohmann::json& input, const std::string& executor,
                                                        int64_t now_ms) {
  return patiently([&] { return inner_.start_workflow(id, name, input, executor, now_ms); });
}
Result<std::pair<WorkflowRecord, std::vector<StepRecord>>> PatientTaskStore::get_workflow(const std::string& id) {
  return patiently([&] { return inner_.get_workflow(id); });
}
Status PatientTaskStore::finish_workflow(const std::string& id, const std::string& status, const nlohmann::json& output,
                                         int64_t now_ms) {
  return patiently([&] { return inner_.finish_workflow(id, status, output, now_ms); });
}
Result<StepRecord> PatientTaskStore::record_step(const std::string& workflow_id, const StepRecord& step,
                                                 int64_t now_ms) {
  return patiently([&] { return inner_.record_step(workflow_id, step, now_ms); });
}
Status PatientTaskStore::append_event(const NewEvent& event) {
  return patiently([&] { return inner_.append_event(event); });
}
Result<std::vector<TaskEvent>> PatientTaskStore::list_events(const EventFilter& filter) {
  return patiently([&] { return inner_.list_events(filter); });
}
Result<StoreSummary> PatientTaskStore::summary(const std::optional<std::string>& epic) {
  return patiently([&] { return inner_.summary(epic); });
}

Status PatientTaskStore::beat_executor(const ExecutorBeat& beat) {
  return patiently([&] { return inner_.beat_executor(beat); });
}
Result<ExecutorList> PatientTaskStore::list_executors(int64_t now_ms) {
  return patiently([&] { return inner_.list_executors(now_ms); });
}
Result<LogChunkWritten> PatientTaskStore::append_log(const LogChunkWrite& chunk) {
  return patiently([&] { return inner_.append_log(chunk); });
}
Result<LogPiece> PatientTaskStore::read_log(const LogReadRequest& request) {
  return patiently([&] { return inner_.read_log(request); });
}

}  // namespace drover
