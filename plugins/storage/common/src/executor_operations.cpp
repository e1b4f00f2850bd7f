// Executors (storage ABI 1.4): every `drover run` beats its record into the
// store, so `drover executors` on any machine sharing the store lists them
// with the tasks they hold. The store keeps what was beaten and the time of
// the beat by its own clock; whether an executor is lost is the reader's
// judgement (its last beat older than its lease).
#include <map>

#include "request.h"
#include "state_store.h"
#include "text_rules.h"

namespace drover::storage {

namespace {

nlohmann::json executor_record(const ExecutorRow& e) {
  return nlohmann::json{{"id", e.id},           {"host", e.host},
                        {"pid", e.pid},         {"started_ms", e.started_ms},
                        {"version", e.version}, {"workers", e.workers},
                        {"lease_ms", e.lease_ms}, {"state", e.state},
                        {"first_beat_ms", e.first_beat_ms}, {"last_beat_ms", e.last_beat_ms}};
}

int64_t non_negative(const Request& req, const char* key) {
  int64_t v = req.integer(key);
  if (v < 0) req.invalid(key, "must be 0 or more");
  return v;
}

}  // namespace

std::string StateStore::beat_executor(std::string_view request) {
  Request req("beat_executor", request);
  ExecutorRow row;
  row.id = req.text("id", kMaxNameBytes);
  if (row.id.empty()) req.invalid("id", "must not be empty");
  row.host = req.text("host", kMaxNameBytes);
  row.version = req.text("version", kMaxNameBytes);
  row.state = req.text("state", kMaxNameBytes);
  if (row.state != "running" && row.state != "stopping" && row.state != "stopped")
    req.invalid("state", "is '" + row.state + "'; use running, stopping or stopped");
  row.pid = non_negative(req, "pid");
  row.started_ms = non_negative(req, "started_ms");
  row.workers = non_negative(req, "workers");
  row.lease_ms = non_negative(req, "lease_ms");
  const int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    row.last_beat_ms = tables.clock_ms(now);
    std::optional<ExecutorRow> before = tables.executor(row.id);
    row.first_beat_ms = before ? before->first_beat_ms : row.last_beat_ms;
    tables.put_executor(row);
    return executor_record(row).dump();
  });
}

std::string StateStore::list_executors(std::string_view request) {
  Request req("list_executors", request);
  const int64_t now = req.now_ms();
  return read([&](StoreTables& tables) {
    std::map<std::string, nlohmann::json> held;
    for (const auto& [owner, task] : tables.running_leases()) {
      nlohmann::json& list = held[owner];
      if (list.is_null()) list = nlohmann::json::array();
      list.push_back(task);
    }
    nlohmann::json out = nlohmann::json::array();
    for (const ExecutorRow& e : tables.executors()) {
      nlohmann::json record = executor_record(e);
      auto it = held.find(e.id);
      record["tasks"] = it == held.end() ? nlohmann::json::array() : it->second;
      out.push_back(std::move(record));
    }
    return nlohmann::json{{"now_ms", tables.clock_ms(now)}, {"executors", std::move(out)}}.dump();
  });
}

}  // namespace drover::storage
