#include "task_record.h"

#include "task_wait.h"

namespace drover::sqlite_storage {

namespace {
nlohmann::json optional_text(const Query& row, int column) {
  if (row.is_null(column)) return nullptr;
  return row.text(column);
}

nlohmann::json id_list(Database& db, const char* sql, const std::string& id) {
  nlohmann::json ids = nlohmann::json::array();
  Query q = db.query(sql, std::string_view(id));
  while (q.next()) ids.push_back(q.text(0));
  return ids;
}
}  // namespace

nlohmann::json task_from_row(Database& db, const Query& row) {
  nlohmann::json t;
  std::string id = row.text(0);
  t["id"] = id;
  t["title"] = row.text(1);
  t["description"] = row.text(2);
  t["epic"] = optional_text(row, 3);
  t["parent"] = optional_text(row, 4);
  t["sequence"] = row.integer(5);
  t["priority"] = row.integer(6);
  t["status"] = row.text(7);
  t["status_reason"] = row.text(8);
  t["attempts"] = row.integer(9);
  t["max_attempts"] = row.integer(10);
  t["agent"] = optional_text(row, 11);
  t["timeout_ms"] = row.integer(12);
  t["last_error"] = row.text(13);
  t["result_summary"] = row.text(14);
  t["session_id"] = row.text(15);
  t["tokens_in"] = row.integer(16);
  t["tokens_out"] = row.integer(17);
  t["cost_usd"] = row.real(18);
  t["merge_commit"] = row.text(19);
  t["generation"] = row.integer(20);
  t["not_before_ms"] = row.integer(21);
  t["lease_owner"] = optional_text(row, 22);
  t["lease_expires_ms"] = row.integer(23);
  t["created_ms"] = row.integer(24);
  t["updated_ms"] = row.integer(25);
  t["started_ms"] = row.integer(26);
  t["completed_ms"] = row.integer(27);
  t["wait"] = drover::storage::wait_record(row.text(7), row.text(28), row.text(29), row.text(30), row.text(31),
                                           row.integer(21));
  t["blocked_by"] = id_list(db,
                            "SELECT b.id FROM dependencies d JOIN tasks b ON b.id = d.blocker_id "
                            "WHERE d.task_id = ?1 ORDER BY b.num, b.sequence",
                            id);
  t["blocks"] = id_list(db,
                        "SELECT x.id FROM dependencies d JOIN tasks x ON x.id = d.task_id "
                        "WHERE d.blocker_id = ?1 ORDER BY x.num, x.sequence",
                        id);
  return t;
}

}  // namespace drover::sqlite_storage
