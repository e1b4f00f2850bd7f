#include "task_events.h"

namespace drover::storage {

TaskEvent created_event(const std::string& id) { return {"created", "task " + id + " created", nullptr}; }

TaskEvent reclaimed_event(const std::string& previous_owner, const std::string& executor) {
  return {"reclaimed", "expired lease of executor '" + previous_owner + "' reclaimed by '" + executor + "'",
          {{"previous_owner", previous_owner}, {"executor", executor}}};
}

TaskEvent released_event(const std::string& id, const std::string& executor, int64_t not_before_ms, bool count_attempt,
                         const std::string& wait_kind) {
  nlohmann::json data = {{"not_before_ms", not_before_ms}, {"count_attempt", count_attempt}};
  if (!wait_kind.empty()) data["wait"] = wait_kind;
  return {"released", "task " + id + " released by executor '" + executor + "'", std::move(data)};
}

TaskEvent completed_event(const std::string& id, const std::string& executor, const std::vector<std::string>& unblocked) {
  return {"completed", "task " + id + " completed by executor '" + executor + "'", {{"unblocked", unblocked}}};
}

TaskEvent failed_event(const std::string& error, const std::string& executor, const std::vector<std::string>& blocked) {
  return {"failed", error, {{"blocked", blocked}, {"executor", executor}}};
}

TaskEvent reset_event(const std::string& id, const std::string& mode, const std::vector<std::string>& changed) {
  return {mode == "cancel" ? "cancelled" : mode, "task " + id + ": " + mode, {{"changed", changed}}};
}

TaskEvent edited_event(const std::string& id, const std::vector<std::string>& fields) {
  std::string list;
  for (const auto& f : fields) list += (list.empty() ? "" : ", ") + f;
  return {"edited", "task " + id + " edited: " + list, {{"fields", fields}}};
}

TaskEvent removed_event(const std::vector<std::string>& removed) {
  std::string list;
  for (const auto& id : removed) list += (list.empty() ? "" : ", ") + id;
  return {"removed", "removed " + list, {{"removed", removed}}};
}

TaskEvent dependency_removed_event(const std::string& task, const std::string& blocker) {
  return {"dependency_removed", "task " + task + " no longer waits for " + blocker, {{"blocker", blocker}}};
}

TaskEvent reviewed_event(const std::string& id, const std::string& decision, const std::string& message,
                         int64_t generation) {
  const bool approved = decision == "approve";
  return {approved ? "approved" : "rejected",
          "task " + id + (approved ? " approved" : " rejected") + (message.empty() ? "" : ": " + message),
          {{"decision", decision}, {"message", message}, {"generation", generation}}};
}

TaskEvent paused_event(const std::string& id, bool paused) {
  return {paused ? "paused" : "unpaused", "task " + id + (paused ? " paused" : " unpaused"), nullptr};
}

}  // namespace drover::storage
