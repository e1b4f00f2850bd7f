#include "step_records.h"

#include "common/json_fields.h"
#include "drover/common/enum_names.h"

namespace drover {
namespace {

using json = nlohmann::json;

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
  if (!a.stop_reason.empty()) out["stop_reason"] = a.stop_reason;
  return out;
}

AgentStep agent_step(const json& j) {
  AgentStep s;
  s.outcome = parse_attempt_outcome(field_or<std::string>(j, "outcome", "")).value_or(AttemptOutcome::kCrashed);
  s.reason = field_or<std::string>(j, "reason", "");
  s.summary = field_or<std::string>(j, "summary", "");
  s.log_file = field_or<std::string>(j, "log_file", "");
  s.session_id = optional_field<std::string>(j, "session_id");
  s.reset_at_ms = optional_field<int64_t>(j, "reset_at_ms");
  s.duration_ms = field_or<int64_t>(j, "duration_ms", 0);
  s.stop_reason = field_or<std::string>(j, "stop_reason", "");
  return s;
}

json record(const PreparedWorktree& w) {
  return json{{"path", w.path}, {"branch", w.branch}, {"base_commit", w.base_commit}, {"created", w.created}, {"head", w.head}};
}

PreparedWorktree prepared_worktree(const json& j) {
  return PreparedWorktree{field_or<std::string>(j, "path", ""), field_or<std::string>(j, "branch", ""),
                          field_or<std::string>(j, "base_commit", ""), field_or<bool>(j, "created", false),
                          field_or<std::string>(j, "head", "")};
}

json record(const VerifyResult& v, const std::string& log_file) {
  return json{{"passed", v.passed}, {"why", v.why}, {"output", v.output}, {"log_file", log_file}};
}

VerifyResult verify_step(const json& j) {
  VerifyResult v;
  v.passed = field_or<bool>(j, "passed", false);
  v.why = field_or<std::string>(j, "why", "");
  v.output = field_or<std::string>(j, "output", "");
  return v;
}

json record(const CommitResult& c) {
  return json{{"commit", c.commit ? json(*c.commit) : json()}, {"changed", c.changed}, {"files", c.files}};
}

CommitResult commit_step(const json& j) {
  return CommitResult{optional_field<std::string>(j, "commit"), field_or<bool>(j, "changed", false), field_or<int>(j, "files", 0)};
}

json record(const MergeResult& m) {
  return json{{"result", to_string(m.kind)}, {"commit", m.commit ? json(*m.commit) : json()}, {"paths", m.paths}};
}

MergeResult merge_step(const json& j) {
  MergeResult m;
  m.kind = parse_merge_kind(field_or<std::string>(j, "result", "")).value_or(MergeKind::kMerged);
  m.commit = optional_field<std::string>(j, "commit");
  m.paths = string_list(j, "paths");
  return m;
}

// The ids it unblocked: what a replay reports. (Records written before 1.6's
// quiet completion also hold the whole task; completion_step reads both.)
json record(const Completion& c) { return json{{"unblocked", c.unblocked}}; }

Completion completion_step(const json& j) {
  Completion c;
  if (j.is_object() && j.contains("task")) c.task = task_from_json(j["task"]);
  c.unblocked = string_list(j, "unblocked");
  return c;
}

namespace {

constexpr EnumNames<Landing, 11> kLandingNames{{{Landing::kLanded, "landed"},
                                                {Landing::kNothingToLand, "nothing_to_land"},
                                                {Landing::kConflict, "conflict"},
                                                {Landing::kVerifyFailed, "verify_failed"},
                                                {Landing::kLocalChanges, "local_changes"},
                                                {Landing::kStopped, "stopped"},
                                                {Landing::kUnreachable, "unreachable"},
                                                {Landing::kRefused, "refused"},
                                                {Landing::kBusy, "busy"},
                                                {Landing::kUnassured, "unassured"},
                                                {Landing::kError, "error"}}};

constexpr EnumNames<SyncKind, 3> kSyncNames{
    {{SyncKind::kUpToDate, "up_to_date"}, {SyncKind::kMerged, "merged"}, {SyncKind::kConflict, "conflict"}}};

}  // namespace

json record(const LandingVerdict& v) {
  return json{{"result", std::string(name_of(kLandingNames, v.outcome))},
              {"commit", v.commit},
              {"tip", v.tip},
              {"paths", v.paths},
              {"why", v.why},
              {"output", v.output},
              {"verify_log", v.verify_log},
              {"batch", v.batch},
              {"verified", v.verified}};
}

LandingVerdict landing_step(const json& j) {
  LandingVerdict v;
  v.outcome = value_named(kLandingNames, field_or<std::string>(j, "result", "")).value_or(Landing::kError);
  v.commit = field_or<std::string>(j, "commit", "");
  v.tip = field_or<std::string>(j, "tip", "");
  v.paths = string_list(j, "paths");
  v.why = field_or<std::string>(j, "why", "");
  v.output = field_or<std::string>(j, "output", "");
  v.verify_log = field_or<std::string>(j, "verify_log", "");
  v.batch = string_list(j, "batch");
  v.verified = field_or<bool>(j, "verified", false);
  return v;
}

json record(const WorktreeSync& s) {
  json with = json::array();
  for (const auto& c : s.collides_with)
    with.push_back(json{{"task_id", c.task}, {"commit", c.commit}, {"summary", c.summary}, {"paths", c.paths}});
  return json{{"result", std::string(name_of(kSyncNames, s.kind))}, {"tip", s.tip}, {"paths", s.paths}, {"collides_with", with}};
}

WorktreeSync sync_step(const json& j) {
  WorktreeSync s;
  s.kind = value_named(kSyncNames, field_or<std::string>(j, "result", "")).value_or(SyncKind::kConflict);
  s.tip = field_or<std::string>(j, "tip", "");
  s.paths = string_list(j, "paths");
  if (j.is_object() && j.contains("collides_with") && j["collides_with"].is_array())
    for (const auto& c : j["collides_with"])
      s.collides_with.push_back(Collision{field_or<std::string>(c, "task_id", ""), field_or<std::string>(c, "commit", ""),
                                          field_or<std::string>(c, "summary", ""), string_list(c, "paths")});
  return s;
}

json record(const ReviewStep& r) {
  return json{{"decision", r.approved ? "approve" : "reject"}, {"message", r.message}, {"event_id", r.event_id}};
}

ReviewStep review_step(const json& j) {
  return ReviewStep{field_or<std::string>(j, "decision", "") == "approve", field_or<std::string>(j, "message", ""),
                    field_or<int64_t>(j, "event_id", 0)};
}

json timer_record(int64_t until_ms) { return json{{"until_ms", until_ms}}; }

int64_t timer_step(const json& j) { return field_or<int64_t>(j, "until_ms", 0); }

}  // namespace drover
