#include "task_wait.h"

#include <algorithm>

#include "drover/plugin/sdk.hpp"
#include "text_rules.h"

namespace drover::storage {

namespace {
constexpr const char* kWaitKinds[] = {"backoff", "quota", "merge", "interrupted", "review"};

[[noreturn]] void invalid(std::string_view operation, const std::string& what) {
  throw drover::sdk::Error(DROVER_INVALID_ARGUMENT, std::string(operation) + ": field 'wait" + what);
}

std::string optional_text(std::string_view operation, const nlohmann::json& wait, const char* key, size_t max_bytes) {
  auto it = wait.find(key);
  if (it == wait.end() || it->is_null()) return "";
  if (!it->is_string()) invalid(operation, std::string(".") + key + "' must be a string");
  check_text(operation, std::string("wait.") + key, it->get_ref<const std::string&>(), max_bytes);
  return it->get<std::string>();
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The text after the first ": ", or "" when there is none.
std::string after_colon(std::string_view text) {
  size_t colon = text.find(": ");
  return colon == std::string_view::npos ? std::string() : std::string(text.substr(colon + 2));
}
}  // namespace

std::string TaskWait::paths_text() const { return nlohmann::json(paths).dump(); }

std::optional<TaskWait> read_wait(std::string_view operation, const nlohmann::json* value) {
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_object()) {
    invalid(operation, "' must be an object: {\"kind\": backoff|quota|merge|interrupted|review, \"agent\"?, \"detail\"?, "
                       "\"paths\"?}");
  }
  TaskWait wait;
  auto kind = value->find("kind");
  if (kind == value->end() || !kind->is_string()) {
    invalid(operation, ".kind' is required: backoff, quota, merge, interrupted or review");
  }
  wait.kind = kind->get<std::string>();
  if (std::find(std::begin(kWaitKinds), std::end(kWaitKinds), wait.kind) == std::end(kWaitKinds)) {
    invalid(operation, ".kind' is '" + wait.kind + "'; use backoff, quota, merge, interrupted or review");
  }
  wait.agent = optional_text(operation, *value, "agent", kMaxNameBytes);
  wait.detail = optional_text(operation, *value, "detail", kMaxTextBytes);
  auto paths = value->find("paths");
  if (paths != value->end() && !paths->is_null()) {
    if (!paths->is_array()) invalid(operation, ".paths' must be an array of strings");
    for (const nlohmann::json& path : *paths) {
      if (!path.is_string()) invalid(operation, ".paths' must be an array of strings");
      wait.paths.push_back(path.get<std::string>());
      check_text(operation, "wait.paths", wait.paths.back(), kMaxTextBytes);
    }
  }
  return wait;
}

nlohmann::json wait_record(std::string_view status, const std::string& kind, const std::string& agent,
                           const std::string& detail, const std::string& paths_text, int64_t not_before_ms) {
  if (status != "ready" || kind.empty()) return nullptr;
  nlohmann::json paths = nlohmann::json::parse(paths_text, nullptr, false);
  if (!paths.is_array()) paths = nlohmann::json::array();
  return {{"kind", kind}, {"agent", agent}, {"detail", detail}, {"paths", paths}, {"until_ms", not_before_ms}};
}

std::optional<TaskWait> wait_from_legacy_reason(std::string_view reason) {
  // The prose drover 0.1 wrote after a release (core/src/engine/task_workflow.cpp).
  constexpr std::string_view kQuotaPrefix = "agent '";
  constexpr std::string_view kQuotaMarker = "' paused by a usage limit";
  TaskWait wait;
  if (size_t marker = reason.find(kQuotaMarker); starts_with(reason, kQuotaPrefix) && marker != std::string_view::npos) {
    wait.kind = "quota";
    wait.agent = std::string(reason.substr(kQuotaPrefix.size(), marker - kQuotaPrefix.size()));
    wait.detail = after_colon(reason.substr(marker));
  } else if (starts_with(reason, "awaiting_merge: ")) {
    wait.kind = "merge";
    wait.detail = std::string(reason.substr(std::string_view("awaiting_merge: ").size()));
  } else if (starts_with(reason, "retrying after attempt")) {
    wait.kind = "backoff";
    wait.detail = after_colon(reason);
  } else if (starts_with(reason, "interrupted;")) {
    wait.kind = "interrupted";
    wait.detail = std::string(reason);
  } else {
    return std::nullopt;
  }
  return wait;
}

}  // namespace drover::storage
