// The lifecycle of a task: claiming under a lease (FOR UPDATE SKIP LOCKED),
// renewing and releasing it, completing (unblocking dependents), failing
// (blocking them), and retry/reset/cancel. Each operation is one transaction.
#include <algorithm>

#include "postgres_store.hpp"
#include "request.hpp"
#include "task_graph.hpp"
#include "task_record.hpp"
#include "task_wait.h"

namespace drover::postgres {

namespace {
using sdk::Error;

std::string num(int64_t value) { return std::to_string(value); }

// The lease rule of complete/fail: refused while another executor holds it.
void check_lease(const Request& req, const TaskState& state, const std::string& executor) {
  if (state.lease_owner && *state.lease_owner != executor) {
    throw Error(DROVER_CONFLICT, req.operation() + ": task " + state.id + " is leased by executor '" +
                                     *state.lease_owner + "', not '" + executor +
                                     "'; the lease was lost (expired and reclaimed?)");
  }
}

// The ids among `ids` whose status is now `status`, in numeric id order.
json ids_now(SqlTransaction& tx, const std::vector<std::string>& ids, const char* status) {
  std::vector<std::string> out;
  if (!ids.empty()) {
    for (const SqlRow& row : tx.exec("SELECT id FROM tasks WHERE id = ANY($1::text[]) AND status = $2",
                                     {text_array_literal(ids), std::string(status)})) {
      out.push_back(row.text(0));
    }
  }
  std::sort(out.begin(), out.end(), task_id_less);
  return json(out);
}
}  // namespace

std::string PostgresStore::claim_task(std::string_view request) {
  Request req("claim_task", request);
  std::string executor = req.string("executor");
  int64_t lease_ms = req.integer("lease_ms");
  if (lease_ms <= 0) req.fail("\"lease_ms\" must be positive");
  int64_t now = req.now_ms();
  std::optional<std::string> epic = req.optional_string("epic");
  std::string excluded = text_array_literal(req.string_list("exclude_agents"));
  std::optional<std::string> default_agent = req.optional_string("default_agent");

  return in_transaction([&](SqlTransaction& tx) {
    // One statement: two index probes (the best expired lease, rare and few, and
    // the best ready task ranked above it), the update, and the new record.
    // SKIP LOCKED: concurrent claimers pass over each other's candidate rows
    // instead of queueing on them, and PostgreSQL re-checks the status after
    // locking, so two callers never get the same task.
    SqlRows claimed = tx.exec(std::string(R"sql(
WITH expired AS MATERIALIZED (
  SELECT id, lease_owner, priority, created_ms, num, sequence FROM tasks
  WHERE status = 'running' AND lease_expires_ms < $1
    AND ($2::text IS NULL OR epic = $2)
    AND (COALESCE(agent, $3) IS NULL OR NOT (COALESCE(agent, $3) = ANY($4::text[])))
  ORDER BY priority DESC, created_ms, num, sequence LIMIT 1 FOR UPDATE SKIP LOCKED
), ready AS MATERIALIZED (
  SELECT r.id FROM tasks r
  WHERE r.status = 'ready' AND r.not_before_ms <= $1
    AND ($2::text IS NULL OR r.epic = $2)
    AND (COALESCE(r.agent, $3) IS NULL OR NOT (COALESCE(r.agent, $3) = ANY($4::text[])))
    AND NOT EXISTS (SELECT 1 FROM expired e WHERE e.priority > r.priority OR (e.priority = r.priority
                    AND (e.created_ms, e.num, e.sequence) < (r.created_ms, r.num, r.sequence)))
  ORDER BY r.priority DESC, r.created_ms, r.num, r.sequence LIMIT 1 FOR UPDATE SKIP LOCKED
), pick AS (
  SELECT id, FALSE AS reclaimed, NULL::text AS previous_owner FROM ready
  UNION ALL
  SELECT id, TRUE, lease_owner FROM expired WHERE NOT EXISTS (SELECT 1 FROM ready)
)
UPDATE tasks t SET status = 'running', status_reason = '', lease_owner = $5, lease_expires_ms = $6,
  started_ms = $1, updated_ms = $1, )sql") + kClearWait + R"sql(
FROM pick WHERE t.id = pick.id
RETURNING pick.reclaimed, pick.previous_owner, )sql" + kTaskSelect,
                              {num(now), epic, default_agent, excluded, executor, num(now + lease_ms)});
    if (claimed.empty()) return std::string("null");
    bool reclaimed = claimed[0].boolean(0);
    json task = task_from_row(claimed[0], 2);
    if (reclaimed) {
      std::string previous = claimed[0].text(1);
      add_event(tx, task["id"].get<std::string>(), "reclaimed",
                "expired lease of executor '" + previous + "' reclaimed by '" + executor + "'",
                json{{"previous_owner", previous}, {"executor", executor}}, now);
    }
    task["reclaimed"] = reclaimed;
    return task.dump();
  });
}

std::string PostgresStore::renew_leases(std::string_view request) {
  Request req("renew_leases", request);
  std::string executor = req.string("executor");
  int64_t lease_ms = req.integer("lease_ms");
  if (lease_ms <= 0) req.fail("\"lease_ms\" must be positive");
  int64_t now = req.now_ms();
  return in_transaction([&](SqlTransaction& tx) {
    SqlRows renewed = tx.exec(
        "UPDATE tasks SET lease_expires_ms = $2, updated_ms = $3 WHERE lease_owner = $1 RETURNING id",
        {executor, num(now + lease_ms), num(now)});
    return json{{"renewed", renewed.size()}}.dump();
  });
}

std::string PostgresStore::release_task(std::string_view request) {
  Request req("release_task", request);
  std::string id = req.string("id");
  std::string executor = req.string("executor");
  int64_t now = req.now_ms();
  int64_t not_before = req.optional_integer("not_before_ms").value_or(0);
  std::optional<std::string> last_error = req.optional_string("last_error");
  if (last_error) check_text(req.operation(), "last_error", *last_error, kMaxDescriptionBytes);
  bool count_attempt = req.optional_boolean("count_attempt").value_or(false);
  storage::TaskWait wait = storage::read_wait(req.operation(), req.value("wait")).value_or(storage::TaskWait{});
  std::optional<std::string> reason = req.optional_string("status_reason");
  if (reason) check_text(req.operation(), "status_reason", *reason, kMaxDescriptionBytes);
  for (const std::string& path : wait.paths) check_text(req.operation(), "wait.paths", path, kMaxDescriptionBytes);

  return in_transaction([&](SqlTransaction& tx) {
    lock_graph(tx);
    TaskState state = require_state(tx, req, "id", id, true);
    if (state.lease_owner != executor) {
      throw Error(DROVER_CONFLICT, "release_task: executor '" + executor + "' does not hold the lease on task " + id +
                                       (state.lease_owner ? " (held by '" + *state.lease_owner + "')" : " (not leased)"));
    }
    tx.exec(
        "UPDATE tasks SET lease_owner = NULL, lease_expires_ms = 0, not_before_ms = $2, "
        "last_error = COALESCE($3, last_error), attempts = attempts + $4, updated_ms = $5 WHERE id = $1",
        {id, num(not_before), last_error, count_attempt ? "1" : "0", num(now)});
    // A task cancelled while it ran stays cancelled; a running one goes back to
    // ready, or waiting/blocked if a blocker changed meanwhile.
    if (state.status == "running") {
      set_status(tx, id, "waiting", "", now);
      std::vector<std::string> changed;
      propagate(tx, id, true, now, changed);
    }
    // After the status settled: a blocked task keeps the reason naming its blocker.
    tx.exec(
        "UPDATE tasks SET wait_kind = $2, wait_agent = $3, wait_detail = $4, wait_paths = $5, "
        "status_reason = CASE WHEN $6::text IS NOT NULL AND status IN ('ready', 'waiting') THEN $6 "
        "ELSE status_reason END WHERE id = $1",
        {id, wait.kind, wait.agent, wait.detail, wait.paths_text(), reason});
    add_event(tx, id, "released", "task " + id + " released by executor '" + executor + "'",
              json{{"not_before_ms", not_before}, {"count_attempt", count_attempt}}, now);
    return load_task(tx, id)->dump();
  });
}

std::string PostgresStore::complete_task(std::string_view request) {
  Request req("complete_task", request);
  std::string id = req.string("id");
  std::string executor = req.string("executor");
  int64_t now = req.now_ms();
  std::optional<std::string> summary = req.optional_string("result_summary");
  std::optional<std::string> merge_commit = req.optional_string("merge_commit");
  if (summary) check_text(req.operation(), "result_summary", *summary, kMaxDescriptionBytes);
  if (merge_commit) check_text(req.operation(), "merge_commit", *merge_commit, kMaxTitleBytes);

  return in_transaction([&](SqlTransaction& tx) {
    lock_graph(tx);
    TaskState state = require_state(tx, req, "id", id, true);
    if (state.status == "completed") {
      return json{{"task", *load_task(tx, id)}, {"unblocked", json::array()}}.dump();
    }
    check_lease(req, state, executor);
    if (state.status == "cancelled") {
      throw Error(DROVER_CONFLICT,
                  "complete_task: task " + id + " was cancelled; reset it (mode reset) before completing it");
    }
    tx.exec(
        std::string("UPDATE tasks SET status = 'completed', status_reason = '', lease_owner = NULL, lease_expires_ms = 0, ") +
            kClearWait + ", result_summary = COALESCE($2, result_summary), merge_commit = COALESCE($3, merge_commit), "
        "completed_ms = $4, updated_ms = $4 WHERE id = $1",
        {id, summary, merge_commit, num(now)});
    std::vector<std::string> changed;
    propagate(tx, id, false, now, changed);
    json unblocked_ids = ids_now(tx, changed, "ready");
    add_event(tx, id, "completed", "task " + id + " completed by executor '" + executor + "'",
              json{{"unblocked", unblocked_ids}}, now);
    return json{{"task", *load_task(tx, id)}, {"unblocked", unblocked_ids}}.dump();
  });
}

std::string PostgresStore::fail_task(std::string_view request) {
  Request req("fail_task", request);
  std::string id = req.string("id");
  std::string executor = req.string("executor");
  std::string error = req.string("error");
  check_text(req.operation(), "error", error, kMaxDescriptionBytes);
  int64_t now = req.now_ms();

  return in_transaction([&](SqlTransaction& tx) {
    lock_graph(tx);
    TaskState state = require_state(tx, req, "id", id, true);
    check_lease(req, state, executor);
    if (state.status == "completed" || state.status == "cancelled") {
      throw Error(DROVER_CONFLICT, "fail_task: task " + id + " is " + state.status +
                                       "; only a task that has not finished can fail (reset it first)");
    }
    tx.exec(
        "UPDATE tasks SET status = 'failed', status_reason = $2, last_error = $2, lease_owner = NULL, "
        "lease_expires_ms = 0, completed_ms = $3, updated_ms = $3, " + std::string(kClearWait) + " WHERE id = $1",
        {id, error, num(now)});
    std::vector<std::string> changed;
    propagate(tx, id, false, now, changed);
    json blocked_ids = ids_now(tx, changed, "blocked");
    add_event(tx, id, "failed", error, json{{"blocked", blocked_ids}, {"executor", executor}}, now);
    return json{{"task", *load_task(tx, id)}, {"blocked", blocked_ids}}.dump();
  });
}

std::string PostgresStore::reset_task(std::string_view request) {
  Request req("reset_task", request);
  std::string id = req.string("id");
  std::string mode = req.string("mode");
  int64_t now = req.now_ms();
  if (mode != "retry" && mode != "reset" && mode != "cancel") {
    req.fail("\"mode\" is '" + mode + "'; use retry, reset or cancel");
  }

  return in_transaction([&](SqlTransaction& tx) {
    lock_graph(tx);
    TaskState state = require_state(tx, req, "id", id, true);
    std::vector<std::string> changed;
    if (mode == "cancel") {
      if (state.status == "completed") {
        throw Error(DROVER_CONFLICT, "reset_task: task " + id + " is completed; there is nothing to cancel");
      }
      if (state.status != "cancelled") {
        // A running task keeps its lease: its executor lets go when it sees the cancel.
        set_status(tx, id, "cancelled", "cancelled", now);
        changed.push_back(id);
        propagate(tx, id, false, now, changed);
      }
    } else {
      bool retryable = state.status == "failed" || state.status == "blocked" || state.status == "cancelled";
      if (mode == "retry" && !retryable) {
        throw Error(DROVER_CONFLICT, "reset_task: task " + id + " is " + state.status +
                                         "; retry applies to failed, blocked or cancelled tasks (use mode reset)");
      }
      if (state.status == "running") {
        throw Error(DROVER_CONFLICT, "reset_task: task " + id + " is running (executor '" +
                                         state.lease_owner.value_or("") + "'); release or cancel it first");
      }
      tx.exec(
          "UPDATE tasks SET status = 'waiting', status_reason = '', attempts = 0, generation = generation + 1, "
          "not_before_ms = 0, lease_owner = NULL, lease_expires_ms = 0, started_ms = 0, completed_ms = 0, "
          "updated_ms = $2, " + std::string(kClearWait) + " WHERE id = $1",
          {id, num(now)});
      changed.push_back(id);
      // The task itself first (ready/waiting/blocked by its blockers), then the
      // dependents that were blocked, or must now wait, because of it.
      propagate(tx, id, true, now, changed);
      propagate(tx, id, false, now, changed);
    }
    add_event(tx, id, mode == "cancel" ? "cancelled" : mode, "task " + id + ": " + mode,
              json{{"changed", changed}}, now);
    return json{{"task", *load_task(tx, id)}, {"changed", changed}}.dump();
  });
}

}  // namespace drover::postgres
