#include "step_records.h"

namespace drover {
namespace {

using json = nlohmann::json;

template <class T>
std::optional<T> optional(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
  try {
    return j[key].get<T>();
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

template <class T>
T value(const json& j, const char* key, T fallback) {
  return optional<T>(j, key).value_or(std::move(fallback));
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const auto& v : j[key]) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

}  // namespace

json record(const AgentAttemptResult& a) {
  json out{{"outcome", to_string(a.outcome)}, {"reason", a.reason},         {"summary", a.summary},
           {"log_file", a.log_file},          {"duration_ms", a.duration_ms}};
  if (a.session_id) out["session_id"] = *a.session_id;
  if (a.turns) out["turns"] = *a.turns;
  if (a.tokens_in) out["tokens_in"] = *a.tokens_in;
  if (a.tokens_out) out["tokens_out"] = *a.tokens_out;
  if (a.cost_usd) out["cost_usd"] = *a.cost_usd;
  if (a.reset_at_ms) out["reset_at_ms"] = *a.reset_at_ms;
  if (a.exit_code) out["exit_code"] = *a.exit_code;
  return out;
}

AgentStep agent_step(const json& j) {
  AgentStep s;
  s.outcome = parse_attempt_outcome(value<std::string>(j, "outcome", "")).value_or(AttemptOutcome::kCrashed);
  s.reason = value<std::string>(j, "reason", "");
  s.summary = value<std::string>(j, "summary", "");
  s.log_file = value<std::string>(j, "log_file", "");
  s.session_id = optional<std::string>(j, "session_id");
  s.reset_at_ms = optional<int64_t>(j, "reset_at_ms");
  s.duration_ms = value<int64_t>(j, "duration_ms", 0);
  return s;
}

json record(const PreparedWorktree& w) {
  return json{{"path", w.path}, {"branch", w.branch}, {"base_commit", w.base_commit}, {"created", w.created}};
}

PreparedWorktree prepared_worktree(const json& j) {
  return PreparedWorktree{value<std::string>(j, "path", ""), value<std::string>(j, "branch", ""),
                          value<std::string>(j, "base_commit", ""), value<bool>(j, "created", false)};
}

json record(const VerifyResult& v, const std::string& log_file) {
  return json{{"passed", v.passed}, {"why", v.why}, {"output", v.output}, {"log_file", log_file}};
}

VerifyResult verify_step(const json& j) {
  VerifyResult v;
  v.passed = value<bool>(j, "passed", false);
  v.why = value<std::string>(j, "why", "");
  v.output = value<std::string>(j, "output", "");
  return v;
}

json record(const CommitResult& c) {
  return json{{"commit", c.commit ? json(*c.commit) : json()}, {"changed", c.changed}, {"files", c.files}};
}

CommitResult commit_step(const json& j) {
  return CommitResult{optional<std::string>(j, "commit"), value<bool>(j, "changed", false), value<int>(j, "files", 0)};
}

json record(const MergeResult& m) {
  return json{{"result", to_string(m.kind)}, {"commit", m.commit ? json(*m.commit) : json()}, {"paths", m.paths}};
}

MergeResult merge_step(const json& j) {
  MergeResult m;
  m.kind = parse_merge_kind(value<std::string>(j, "result", "")).value_or(MergeKind::kMerged);
  m.commit = optional<std::string>(j, "commit");
  m.paths = strings(j, "paths");
  return m;
}

json record(const Completion& c) { return json{{"task", to_json(c.task)}, {"unblocked", c.unblocked}}; }

Completion completion_step(const json& j) {
  Completion c;
  if (j.is_object() && j.contains("task")) c.task = task_from_json(j["task"]);
  c.unblocked = strings(j, "unblocked");
  return c;
}

json timer_record(int64_t until_ms) { return json{{"until_ms", until_ms}}; }

int64_t timer_step(const json& j) { return value<int64_t>(j, "until_ms", 0); }

}  // namespace drover
