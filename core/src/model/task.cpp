#include "drover/model/task.h"

#include "common/json_fields.h"
#include "drover/common/enum_names.h"

namespace drover {
namespace {

using nlohmann::json;

constexpr EnumNames<TaskStatus, 7> kStatusNames{{
    {TaskStatus::kReady, "ready"},
    {TaskStatus::kWaiting, "waiting"},
    {TaskStatus::kRunning, "running"},
    {TaskStatus::kCompleted, "completed"},
    {TaskStatus::kFailed, "failed"},
    {TaskStatus::kBlocked, "blocked"},
    {TaskStatus::kCancelled, "cancelled"},
}};

constexpr EnumNames<WaitKind, 6> kWaitNames{{
    {WaitKind::kNone, ""},
    {WaitKind::kBackoff, "backoff"},
    {WaitKind::kQuota, "quota"},
    {WaitKind::kMerge, "merge"},
    {WaitKind::kInterrupted, "interrupted"},
    {WaitKind::kReview, "review"},
}};

json or_null(const std::optional<std::string>& v) { return v ? json(*v) : json(); }

}  // namespace

std::string_view to_string(TaskStatus status) { return name_of(kStatusNames, status); }

std::optional<TaskStatus> parse_task_status(std::string_view text) { return value_named(kStatusNames, text); }

std::string_view to_string(WaitKind kind) { return name_of(kWaitNames, kind); }

std::optional<WaitKind> parse_wait_kind(std::string_view text) { return value_named(kWaitNames, text); }

json to_json(const WaitReason& wait) {
  if (!wait.active()) return json();
  return json{{"kind", to_string(wait.kind)},
              {"agent", wait.agent},
              {"detail", wait.detail},
              {"paths", wait.paths},
              {"until_ms", wait.until_ms}};
}

WaitReason wait_from_json(const json& j, int64_t not_before_ms) {
  WaitReason w;
  if (!j.is_object()) return w;
  auto kind = parse_wait_kind(field_or<std::string>(j, "kind", ""));
  if (!kind || *kind == WaitKind::kNone) return w;
  w.kind = *kind;
  w.agent = field_or<std::string>(j, "agent", "");
  w.detail = field_or<std::string>(j, "detail", "");
  w.paths = string_list(j, "paths");
  w.until_ms = field_or<int64_t>(j, "until_ms", not_before_ms);
  return w;
}

json to_json(const Task& t) {
  return json{{"id", t.id},
              {"title", t.title},
              {"description", t.description},
              {"epic", or_null(t.epic)},
              {"parent", or_null(t.parent)},
              {"sequence", t.sequence},
              {"priority", t.priority},
              {"status", to_string(t.status)},
              {"status_reason", t.status_reason},
              {"attempts", t.attempts},
              {"max_attempts", t.max_attempts},
              {"agent", or_null(t.agent)},
              {"timeout_ms", t.timeout_ms},
              {"last_error", t.last_error},
              {"result_summary", t.result_summary},
              {"session_id", t.session_id},
              {"tokens_in", t.tokens_in},
              {"tokens_out", t.tokens_out},
              {"cost_usd", t.cost_usd ? json(*t.cost_usd) : json(nullptr)},
              {"merge_commit", t.merge_commit},
              {"generation", t.generation},
              {"not_before_ms", t.not_before_ms},
              {"lease_owner", or_null(t.lease_owner)},
              {"lease_expires_ms", t.lease_expires_ms},
              {"created_ms", t.created_ms},
              {"updated_ms", t.updated_ms},
              {"started_ms", t.started_ms},
              {"completed_ms", t.completed_ms},
              {"blocked_by", t.blocked_by},
              {"blocks", t.blocks},
              {"wait", to_json(t.wait)},
              {"touches", t.touches},
              {"learned_touches", t.learned_touches},
              {"paused", t.paused},
              {"review", t.review}};
}

Task task_from_json(const json& j) {
  Task t;
  if (!j.is_object()) return t;
  t.id = field_or<std::string>(j, "id", "");
  t.title = field_or<std::string>(j, "title", "");
  t.description = field_or<std::string>(j, "description", "");
  t.epic = optional_field<std::string>(j, "epic");
  t.parent = optional_field<std::string>(j, "parent");
  t.sequence = field_or<int>(j, "sequence", 0);
  t.priority = field_or<int>(j, "priority", 1);
  t.status = parse_task_status(field_or<std::string>(j, "status", "")).value_or(TaskStatus::kReady);
  t.status_reason = field_or<std::string>(j, "status_reason", "");
  t.attempts = field_or<int>(j, "attempts", 0);
  t.max_attempts = field_or<int>(j, "max_attempts", 0);
  t.agent = optional_field<std::string>(j, "agent");
  t.timeout_ms = field_or<int64_t>(j, "timeout_ms", 0);
  t.last_error = field_or<std::string>(j, "last_error", "");
  t.result_summary = field_or<std::string>(j, "result_summary", "");
  t.session_id = field_or<std::string>(j, "session_id", "");
  t.tokens_in = field_or<int64_t>(j, "tokens_in", 0);
  t.tokens_out = field_or<int64_t>(j, "tokens_out", 0);
  if (auto c = j.find("cost_usd"); c != j.end() && c->is_number()) t.cost_usd = c->get<double>();
  t.merge_commit = field_or<std::string>(j, "merge_commit", "");
  t.generation = field_or<int64_t>(j, "generation", 0);
  t.not_before_ms = field_or<int64_t>(j, "not_before_ms", 0);
  t.lease_owner = optional_field<std::string>(j, "lease_owner");
  t.lease_expires_ms = field_or<int64_t>(j, "lease_expires_ms", 0);
  t.created_ms = field_or<int64_t>(j, "created_ms", 0);
  t.updated_ms = field_or<int64_t>(j, "updated_ms", 0);
  t.started_ms = field_or<int64_t>(j, "started_ms", 0);
  t.completed_ms = field_or<int64_t>(j, "completed_ms", 0);
  t.blocked_by = string_list(j, "blocked_by");
  t.blocks = string_list(j, "blocks");
  if (auto it = j.find("wait"); it != j.end()) t.wait = wait_from_json(*it, t.not_before_ms);
  t.reclaimed = field_or<bool>(j, "reclaimed", false);
  t.touches = string_list(j, "touches");
  t.learned_touches = string_list(j, "learned_touches");
  t.paused = field_or<bool>(j, "paused", false);
  t.review = field_or<bool>(j, "review", false);
  return t;
}

json to_json(const Epic& e) {
  json j{{"id", e.id}, {"title", e.title}, {"description", e.description}, {"created_ms", e.created_ms}};
  json counts = json::object();
  for (const auto& [k, v] : e.counts) counts[k] = v;
  j["counts"] = counts;
  return j;
}

Epic epic_from_json(const json& j) {
  Epic e;
  if (!j.is_object()) return e;
  e.id = field_or<std::string>(j, "id", "");
  e.title = field_or<std::string>(j, "title", "");
  e.description = field_or<std::string>(j, "description", "");
  e.created_ms = field_or<int64_t>(j, "created_ms", 0);
  if (auto it = j.find("counts"); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items())
      if (v.is_number()) e.counts[k] = v.get<int>();
  return e;
}

json to_json(const TaskEvent& e) {
  return json{{"id", e.id},
              {"task_id", or_null(e.task_id)},
              {"kind", e.kind},
              {"message", e.message},
              {"data", e.data},
              {"created_ms", e.created_ms}};
}

TaskEvent event_from_json(const json& j) {
  TaskEvent e;
  if (!j.is_object()) return e;
  e.id = field_or<int64_t>(j, "id", 0);
  e.task_id = optional_field<std::string>(j, "task_id");
  e.kind = field_or<std::string>(j, "kind", "");
  e.message = field_or<std::string>(j, "message", "");
  if (auto it = j.find("data"); it != j.end()) e.data = *it;
  e.created_ms = field_or<int64_t>(j, "created_ms", 0);
  return e;
}

}  // namespace drover
