#include "drover/model/task.h"

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

constexpr EnumNames<WaitKind, 5> kWaitNames{{
    {WaitKind::kNone, ""},
    {WaitKind::kBackoff, "backoff"},
    {WaitKind::kQuota, "quota"},
    {WaitKind::kMerge, "merge"},
    {WaitKind::kInterrupted, "interrupted"},
}};

template <class T>
T field(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->template get<std::string>() : fallback;
  } else if constexpr (std::is_same_v<T, double>) {
    return it->is_number() ? it->template get<double>() : fallback;
  } else if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->template get<bool>() : fallback;
  } else {
    return it->is_number() ? static_cast<T>(it->template get<double>()) : fallback;
  }
}

// Integers round-trip exactly (a double would lose precision past 2^53).
int64_t integer(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number()) return static_cast<int64_t>(it->get<double>());
  return 0;
}

std::optional<std::string> optional_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

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
  auto kind = parse_wait_kind(field<std::string>(j, "kind", ""));
  if (!kind || *kind == WaitKind::kNone) return w;
  w.kind = *kind;
  w.agent = field<std::string>(j, "agent", "");
  w.detail = field<std::string>(j, "detail", "");
  w.paths = strings(j, "paths");
  w.until_ms = j.contains("until_ms") ? integer(j, "until_ms") : not_before_ms;
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
              {"cost_usd", t.cost_usd},
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
              {"wait", to_json(t.wait)}};
}

Task task_from_json(const json& j) {
  Task t;
  if (!j.is_object()) return t;
  t.id = field<std::string>(j, "id", "");
  t.title = field<std::string>(j, "title", "");
  t.description = field<std::string>(j, "description", "");
  t.epic = optional_string(j, "epic");
  t.parent = optional_string(j, "parent");
  t.sequence = field<int>(j, "sequence", 0);
  t.priority = field<int>(j, "priority", 1);
  t.status = parse_task_status(field<std::string>(j, "status", "")).value_or(TaskStatus::kReady);
  t.status_reason = field<std::string>(j, "status_reason", "");
  t.attempts = field<int>(j, "attempts", 0);
  t.max_attempts = field<int>(j, "max_attempts", 0);
  t.agent = optional_string(j, "agent");
  t.timeout_ms = integer(j, "timeout_ms");
  t.last_error = field<std::string>(j, "last_error", "");
  t.result_summary = field<std::string>(j, "result_summary", "");
  t.session_id = field<std::string>(j, "session_id", "");
  t.tokens_in = integer(j, "tokens_in");
  t.tokens_out = integer(j, "tokens_out");
  t.cost_usd = field<double>(j, "cost_usd", 0.0);
  t.merge_commit = field<std::string>(j, "merge_commit", "");
  t.generation = integer(j, "generation");
  t.not_before_ms = integer(j, "not_before_ms");
  t.lease_owner = optional_string(j, "lease_owner");
  t.lease_expires_ms = integer(j, "lease_expires_ms");
  t.created_ms = integer(j, "created_ms");
  t.updated_ms = integer(j, "updated_ms");
  t.started_ms = integer(j, "started_ms");
  t.completed_ms = integer(j, "completed_ms");
  t.blocked_by = strings(j, "blocked_by");
  t.blocks = strings(j, "blocks");
  if (auto it = j.find("wait"); it != j.end()) t.wait = wait_from_json(*it, t.not_before_ms);
  t.reclaimed = field<bool>(j, "reclaimed", false);
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
  e.id = field<std::string>(j, "id", "");
  e.title = field<std::string>(j, "title", "");
  e.description = field<std::string>(j, "description", "");
  e.created_ms = integer(j, "created_ms");
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
  e.id = integer(j, "id");
  e.task_id = optional_string(j, "task_id");
  e.kind = field<std::string>(j, "kind", "");
  e.message = field<std::string>(j, "message", "");
  if (auto it = j.find("data"); it != j.end()) e.data = *it;
  e.created_ms = integer(j, "created_ms");
  return e;
}

}  // namespace drover
