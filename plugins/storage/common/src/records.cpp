#include "records.h"

#include <algorithm>

#include "task_wait.h"

namespace drover::storage {

const char* const kTaskStatuses[7] = {"ready", "waiting", "running", "completed", "failed", "blocked", "cancelled"};

bool is_task_status(const std::string& status) {
  return std::find(std::begin(kTaskStatuses), std::end(kTaskStatuses), status) != std::end(kTaskStatuses);
}

nlohmann::json zero_status_counts() {
  nlohmann::json counts = nlohmann::json::object();
  for (const char* status : kTaskStatuses) counts[status] = 0;
  return counts;
}

namespace {
nlohmann::json text_or_null(const RowCells& row, size_t column) {
  if (row.is_null(column)) return nullptr;
  return row.text(column);
}

// JSON kept as text; NULL is JSON null.
nlohmann::json stored_json(const RowCells& row, size_t column) {
  if (row.is_null(column)) return nullptr;
  return nlohmann::json::parse(row.text(column));
}
// A JSON array of strings kept as text; anything else reads as [].
nlohmann::json stored_list(const RowCells& row, size_t column) {
  nlohmann::json list = nlohmann::json::parse(row.text(column), nullptr, false);
  if (!list.is_array()) return nlohmann::json::array();
  return list;
}
}  // namespace

nlohmann::json task_record(const RowCells& row, std::vector<std::string> blocked_by, std::vector<std::string> blocks) {
  // Column names in DROVER_STORAGE_TASK_COLUMNS order: text, integer,
  // nullable real (cost_usd: NULL = the agent reported none) or nullable text cells.
  enum Kind { kText, kInt, kReal, kNullable };
  static const std::pair<const char*, Kind> kColumns[] = {
      {"id", kText},           {"title", kText},          {"description", kText},     {"epic", kNullable},
      {"parent", kNullable},   {"sequence", kInt},        {"priority", kInt},         {"status", kText},
      {"status_reason", kText}, {"attempts", kInt},       {"max_attempts", kInt},     {"agent", kNullable},
      {"timeout_ms", kInt},    {"last_error", kText},     {"result_summary", kText},  {"session_id", kText},
      {"tokens_in", kInt},     {"tokens_out", kInt},      {"cost_usd", kReal},        {"merge_commit", kText},
      {"generation", kInt},    {"not_before_ms", kInt},   {"lease_owner", kNullable}, {"lease_expires_ms", kInt},
      {"created_ms", kInt},    {"updated_ms", kInt},      {"started_ms", kInt},       {"completed_ms", kInt}};
  nlohmann::json t = nlohmann::json::object();
  size_t column = 0;
  for (const auto& [name, kind] : kColumns) {
    switch (kind) {
      case kText: t[name] = row.text(column); break;
      case kInt: t[name] = row.integer(column); break;
      case kReal: t[name] = row.is_null(column) ? nlohmann::json(nullptr) : nlohmann::json(row.real(column)); break;
      case kNullable: t[name] = text_or_null(row, column); break;
    }
    ++column;
  }
  t["wait"] = wait_record(row.text(7), row.text(column), row.text(column + 1), row.text(column + 2),
                          row.text(column + 3), row.integer(21));
  t["touches"] = stored_list(row, column + 4);
  t["learned_touches"] = stored_list(row, column + 5);
  t["paused"] = row.integer(column + 6) != 0;
  t["review"] = row.integer(column + 7) != 0;
  t["blocked_by"] = std::move(blocked_by);
  t["blocks"] = std::move(blocks);
  return t;
}

nlohmann::json epic_record(const RowCells& row) {
  return {{"id", row.text(0)}, {"title", row.text(1)}, {"description", row.text(2)}, {"created_ms", row.integer(3)}};
}

nlohmann::json workflow_record(const RowCells& row) {
  return {{"id", row.text(0)},         {"name", row.text(1)},       {"input", stored_json(row, 2)},
          {"status", row.text(3)},     {"output", stored_json(row, 4)}, {"executor", row.text(5)},
          {"created_ms", row.integer(6)}, {"updated_ms", row.integer(7)}};
}

nlohmann::json step_record(const RowCells& row) {
  return {{"workflow_id", row.text(0)}, {"step", row.integer(1)},      {"name", row.text(2)},
          {"outcome", stored_json(row, 3)}, {"error", text_or_null(row, 4)}, {"created_ms", row.integer(5)}};
}

nlohmann::json event_record(const RowCells& row) {
  return {{"id", row.integer(0)},      {"task_id", text_or_null(row, 1)}, {"kind", row.text(2)},
          {"message", row.text(3)},    {"data", stored_json(row, 4)},     {"created_ms", row.integer(5)}};
}

}  // namespace drover::storage
