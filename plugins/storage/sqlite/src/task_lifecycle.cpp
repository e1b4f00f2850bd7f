// The lifecycle of a task: claiming under a lease, renewing and releasing it,
// completing (and unblocking dependents), failing (and blocking them), and
// reset/retry/cancel. Each operation is one write transaction.
#include "request.h"
#include "sqlite_store.h"
#include "task_record.h"
#include "task_wait.h"

namespace drover::sqlite_storage {

namespace {
using drover::sdk::Error;

// The lease rule of complete/fail: refused while another executor holds it.
void check_lease(const Request& req, const std::string& id, const std::optional<std::string>& owner,
                 const std::string& executor) {
  if (owner && *owner != executor) {
    throw Error(DROVER_CONFLICT, req.operation() + ": task " + id + " is leased by executor '" + *owner +
                                     "', not '" + executor + "'; the lease was lost (expired and reclaimed?)");
  }
}

nlohmann::json ids_json(const std::vector<std::string>& ids) { return nlohmann::json(ids); }
}  // namespace

std::string SqliteStore::claim_task(std::string_view request) {
  Request req("claim_task", request);
  std::string executor = req.string("executor");
  int64_t lease_ms = req.integer("lease_ms");
  if (lease_ms <= 0) req.invalid("lease_ms", "must be positive");
  int64_t now = req.now_ms();
  std::optional<std::string> epic = req.optional_string("epic");
  std::string excluded = nlohmann::json(req.strings("exclude_agents")).dump();
  std::optional<std::string> default_agent = req.optional_string("default_agent");

  std::lock_guard lock(mutex_);
  return db_.write([&] {
    // Two index-ordered probes (ready, and running with an expired lease),
    // each stopping at its first match, instead of one OR that scans and sorts.
    struct Candidate {
      std::string id;
      int64_t priority, created_ms, num, sequence;
      bool better_than(const Candidate& o) const {
        if (priority != o.priority) return priority > o.priority;
        if (created_ms != o.created_ms) return created_ms < o.created_ms;
        if (num != o.num) return num < o.num;
        return sequence < o.sequence;
      }
    };
    auto probe = [&](Query q) -> std::optional<Candidate> {
      q.bind(1, now).bind_optional(2, epic).bind_optional(3, default_agent).bind(4, std::string_view(excluded));
      if (!q.next()) return std::nullopt;
      return Candidate{q.text(0), q.integer(1), q.integer(2), q.integer(3), q.integer(4)};
    };
    std::optional<Candidate> ready = probe(db_.query(
        "SELECT id, priority, created_ms, num, sequence FROM tasks "
        "WHERE status = 'ready' AND not_before_ms <= ?1 AND (?2 IS NULL OR epic = ?2) "
        "AND (COALESCE(agent, ?3) IS NULL OR COALESCE(agent, ?3) NOT IN (SELECT value FROM json_each(?4))) "
        "ORDER BY priority DESC, created_ms, num, sequence LIMIT 1"));
    std::optional<Candidate> expired = probe(db_.query(
        "SELECT id, priority, created_ms, num, sequence FROM tasks "
        "WHERE status = 'running' AND lease_expires_ms < ?1 AND (?2 IS NULL OR epic = ?2) "
        "AND (COALESCE(agent, ?3) IS NULL OR COALESCE(agent, ?3) NOT IN (SELECT value FROM json_each(?4))) "
        "ORDER BY priority DESC, created_ms, num, sequence LIMIT 1"));
    if (!ready && !expired) return std::string("null");
    bool reclaimed = expired && (!ready || expired->better_than(*ready));
    std::string id = reclaimed ? expired->id : ready->id;

    std::optional<std::string> previous_owner;
    if (reclaimed) previous_owner = load_state(id)->lease_owner;
    db_.query("UPDATE tasks SET status = 'running', status_reason = '', lease_owner = ?2, lease_expires_ms = ?3, "
              "started_ms = ?4, updated_ms = ?4, " DROVER_CLEAR_WAIT " WHERE id = ?1",
              std::string_view(id), std::string_view(executor), now + lease_ms, now)
        .run();
    if (reclaimed) {
      add_event(id, "reclaimed",
                "expired lease of executor '" + previous_owner.value_or("") + "' reclaimed by '" + executor + "'",
                {{"previous_owner", previous_owner.value_or("")}, {"executor", executor}}, now);
    }
    nlohmann::json task = *load_task(id);
    if (reclaimed) task["reclaimed"] = true;
    return task.dump();
  });
}

std::string SqliteStore::renew_leases(std::string_view request) {
  Request req("renew_leases", request);
  std::string executor = req.string("executor");
  int64_t lease_ms = req.integer("lease_ms");
  if (lease_ms <= 0) req.invalid("lease_ms", "must be positive");
  int64_t now = req.now_ms();
  std::lock_guard lock(mutex_);
  return db_.write([&] {
    Query q = db_.query(
        "UPDATE tasks SET lease_expires_ms = ?2, updated_ms = ?3 WHERE lease_owner = ?1 RETURNING id",
        std::string_view(executor), now + lease_ms, now);
    int64_t renewed = 0;
    while (q.next()) ++renewed;
    return nlohmann::json{{"renewed", renewed}}.dump();
  });
}

std::string SqliteStore::release_task(std::string_view request) {
  Request req("release_task", request);
  std::string id = req.string("id");
  std::string executor = req.string("executor");
  int64_t now = req.now_ms();
  int64_t not_before = req.integer_or("not_before_ms", 0);
  std::optional<std::string> last_error = req.optional_string("last_error");
  bool count_attempt = req.boolean_or("count_attempt", false);
  if (last_error) check_length(req, "last_error", *last_error, kMaxDescriptionBytes);
  drover::storage::TaskWait wait =
      drover::storage::read_wait(req.operation(), req.value_ptr("wait")).value_or(drover::storage::TaskWait{});
  std::optional<std::string> reason = req.optional_string("status_reason");
  if (reason) check_length(req, "status_reason", *reason, kMaxDescriptionBytes);
  std::string wait_paths = wait.paths_text();

  std::lock_guard lock(mutex_);
  return db_.write([&] {
    TaskState state = require_state(req, "id", id);
    if (state.lease_owner != executor) {
      throw Error(DROVER_CONFLICT, "release_task: executor '" + executor + "' does not hold the lease on task " + id +
                                       (state.lease_owner ? " (held by '" + *state.lease_owner + "')" : " (not leased)"));
    }
    db_.query("UPDATE tasks SET lease_owner = NULL, lease_expires_ms = 0, not_before_ms = ?2, "
              "last_error = COALESCE(?3, last_error), attempts = attempts + ?4, updated_ms = ?5 WHERE id = ?1")
        .bind(1, std::string_view(id))
        .bind(2, not_before)
        .bind_optional(3, last_error)
        .bind(4, int64_t{count_attempt ? 1 : 0})
        .bind(5, now)
        .run();
    // A task cancelled while it ran stays cancelled; a running one goes back
    // to ready, or waiting/blocked if a blocker changed meanwhile.
    if (state.status == "running") {
      set_status(id, "waiting", "", now);
      std::vector<std::string> changed;
      propagate(id, true, now, changed);
    }
    // After the status settled: a blocked task keeps the reason naming its blocker.
    Query why = db_.query(
        "UPDATE tasks SET wait_kind = ?2, wait_agent = ?3, wait_detail = ?4, wait_paths = ?5, "
        "status_reason = CASE WHEN ?6 IS NOT NULL AND status IN ('ready', 'waiting') THEN ?6 ELSE status_reason END "
        "WHERE id = ?1");
    why.bind(1, std::string_view(id)).bind(2, std::string_view(wait.kind)).bind(3, std::string_view(wait.agent));
    why.bind(4, std::string_view(wait.detail)).bind(5, std::string_view(wait_paths)).bind_optional(6, reason);
    why.run();
    add_event(id, "released", "task " + id + " released by executor '" + executor + "'",
              {{"not_before_ms", not_before}, {"count_attempt", count_attempt}}, now);
    return load_task(id)->dump();
  });
}

std::string SqliteStore::complete_task(std::string_view request) {
  Request req("complete_task", request);
  std::string id = req.string("id");
  std::string executor = req.string("executor");
  int64_t now = req.now_ms();
  std::optional<std::string> summary = req.optional_string("result_summary");
  std::optional<std::string> merge_commit = req.optional_string("merge_commit");
  if (summary) check_length(req, "result_summary", *summary, kMaxDescriptionBytes);

  std::lock_guard lock(mutex_);
  return db_.write([&] {
    TaskState state = require_state(req, "id", id);
    if (state.status == "completed") {
      return nlohmann::json{{"task", *load_task(id)}, {"unblocked", nlohmann::json::array()}}.dump();
    }
    check_lease(req, id, state.lease_owner, executor);
    if (state.status == "cancelled") {
      throw Error(DROVER_CONFLICT, "complete_task: task " + id +
                                       " was cancelled; reset it (mode reset) before completing it");
    }
    db_.query("UPDATE tasks SET status = 'completed', status_reason = '', lease_owner = NULL, lease_expires_ms = 0, "
              DROVER_CLEAR_WAIT ", result_summary = COALESCE(?2, result_summary), merge_commit = COALESCE(?3, merge_commit), "
              "completed_ms = ?4, updated_ms = ?4 WHERE id = ?1")
        .bind(1, std::string_view(id))
        .bind_optional(2, summary)
        .bind_optional(3, merge_commit)
        .bind(4, now)
        .run();
    std::vector<std::string> changed;
    propagate(id, false, now, changed);
    std::vector<std::string> unblocked;
    for (const std::string& c : changed) {
      if (load_state(c)->status == "ready") unblocked.push_back(c);
    }
    add_event(id, "completed", "task " + id + " completed by executor '" + executor + "'",
              {{"unblocked", ids_json(unblocked)}}, now);
    return nlohmann::json{{"task", *load_task(id)}, {"unblocked", ids_json(unblocked)}}.dump();
  });
}

std::string SqliteStore::fail_task(std::string_view request) {
  Request req("fail_task", request);
  std::string id = req.string("id");
  std::string executor = req.string("executor");
  std::string error = req.string("error");
  check_length(req, "error", error, kMaxDescriptionBytes);
  int64_t now = req.now_ms();

  std::lock_guard lock(mutex_);
  return db_.write([&] {
    TaskState state = require_state(req, "id", id);
    check_lease(req, id, state.lease_owner, executor);
    if (state.status == "completed" || state.status == "cancelled") {
      throw Error(DROVER_CONFLICT, "fail_task: task " + id + " is " + state.status +
                                       "; only a task that has not finished can fail (reset it first)");
    }
    db_.query("UPDATE tasks SET status = 'failed', status_reason = ?2, last_error = ?2, lease_owner = NULL, "
              "lease_expires_ms = 0, completed_ms = ?3, updated_ms = ?3, " DROVER_CLEAR_WAIT " WHERE id = ?1",
              std::string_view(id), std::string_view(error), now)
        .run();
    std::vector<std::string> changed;
    propagate(id, false, now, changed);
    std::vector<std::string> blocked;
    for (const std::string& c : changed) {
      if (load_state(c)->status == "blocked") blocked.push_back(c);
    }
    add_event(id, "failed", error, {{"blocked", ids_json(blocked)}, {"executor", executor}}, now);
    return nlohmann::json{{"task", *load_task(id)}, {"blocked", ids_json(blocked)}}.dump();
  });
}

std::string SqliteStore::reset_task(std::string_view request) {
  Request req("reset_task", request);
  std::string id = req.string("id");
  std::string mode = req.string("mode");
  int64_t now = req.now_ms();
  if (mode != "retry" && mode != "reset" && mode != "cancel") {
    req.invalid("mode", "is '" + mode + "'; use retry, reset or cancel");
  }

  std::lock_guard lock(mutex_);
  return db_.write([&] {
    TaskState state = require_state(req, "id", id);
    std::vector<std::string> changed;
    if (mode == "cancel") {
      if (state.status == "completed") {
        throw Error(DROVER_CONFLICT, "reset_task: task " + id + " is completed; there is nothing to cancel");
      }
      if (state.status != "cancelled") {
        // A running task keeps its lease: its executor lets go when it sees the cancel.
        set_status(id, "cancelled", "cancelled", now);
        changed.push_back(id);
        propagate(id, false, now, changed);
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
      db_.query("UPDATE tasks SET status = 'waiting', status_reason = '', attempts = 0, generation = generation + 1, "
                "not_before_ms = 0, lease_owner = NULL, lease_expires_ms = 0, started_ms = 0, completed_ms = 0, "
                "updated_ms = ?2, " DROVER_CLEAR_WAIT " WHERE id = ?1",
                std::string_view(id), now)
          .run();
      changed.push_back(id);
      // The task itself first (ready/waiting/blocked by its blockers), then
      // dependents that were blocked or became waiting because of it.
      propagate(id, true, now, changed);
      propagate(id, false, now, changed);
    }
    add_event(id, mode == "cancel" ? "cancelled" : mode, "task " + id + ": " + mode,
              {{"changed", ids_json(changed)}}, now);
    return nlohmann::json{{"task", *load_task(id)}, {"changed", ids_json(changed)}}.dump();
  });
}

}  // namespace drover::sqlite_storage
