// The lifecycle of a task: claiming under a lease, renewing and releasing it,
// completing (unblocking dependents), failing (blocking them), and
// retry/reset/cancel. Each operation is one write transaction.
#include <set>

#include "request.h"
#include "state_store.h"
#include "task_graph.h"
#include "text_rules.h"

namespace drover::storage {

namespace {
using drover::sdk::Error;

// Every lifecycle change: the graph lock first, then the task's row, locked.
TaskState lock_task(StoreTables& tables, const Request& req, const std::string& id) {
  tables.lock_graph();
  std::optional<TaskState> state = tables.task_state(id, true);
  if (!state) {
    throw Error(DROVER_NOT_FOUND,
                req.operation() + ": task " + id + " (field 'id') does not exist; list_tasks shows the ids");
  }
  return *state;
}

int64_t lease_ms(const Request& req) {
  int64_t ms = req.integer("lease_ms");
  if (ms <= 0) req.invalid("lease_ms", "must be positive");
  return ms;
}

// After id completed or failed: re-derives its dependents and returns those
// now in `status` (unblocked: ready; blocked), in the order they changed.
std::vector<std::string> settle_dependents(StoreTables& tables, const std::string& id, int64_t now_ms,
                                           const char* status) {
  std::vector<std::string> changed;
  propagate(tables, id, false, now_ms, changed);
  std::set<std::string> now_in_status;
  if (!changed.empty()) {
    for (const TaskState& s : tables.task_states(changed)) {
      if (s.status == status) now_in_status.insert(s.id);
    }
  }
  std::vector<std::string> out;
  for (const std::string& id : changed) {
    if (now_in_status.count(id)) out.push_back(id);
  }
  return out;
}

// The answer of complete/fail/reset: the task and the ids that moved (key);
// quiet (ABI 1.6): the ids only.
std::string task_and(StoreTables& tables, const std::string& id, const char* key, const std::vector<std::string>& ids,
                     bool quiet = false) {
  if (quiet) return nlohmann::json{{key, ids}}.dump();
  return nlohmann::json{{"task", *tables.task(id)}, {key, ids}}.dump();
}

ClaimQuery claim_query(const Request& req) {
  ClaimQuery query;
  query.executor = req.text("executor", kMaxNameBytes);
  query.lease_ms = lease_ms(req);
  query.now_ms = req.now_ms();
  query.epic = req.optional_text("epic", kMaxNameBytes);
  query.exclude_agents = req.names("exclude_agents");
  query.exclude_ids = req.names("exclude_ids");
  query.default_agent = req.optional_text("default_agent", kMaxNameBytes);
  return query;
}
}  // namespace

// The best claimable task, claimed (with its "reclaimed" event), as a task
// record with "reclaimed"; null when nothing is claimable.
nlohmann::json StateStore::claim_one(StoreTables& tables, const ClaimQuery& query) {
  std::optional<Claimed> claimed = tables.claim(query);
  if (!claimed) return nullptr;
  if (claimed->reclaimed) {
    add_event(tables, claimed->id, reclaimed_event(claimed->previous_owner, query.executor), query.now_ms);
  }
  nlohmann::json task = *tables.task(claimed->id);
  task["reclaimed"] = claimed->reclaimed;
  return task;
}

std::string StateStore::claim_task(std::string_view request) {
  Request req("claim_task", request);
  const ClaimQuery query = claim_query(req);
  return write([&](StoreTables& tables) { return claim_one(tables, query).dump(); });
}

std::string StateStore::claim_tasks(std::string_view request) {
  Request req("claim_tasks", request);
  const ClaimQuery query = claim_query(req);
  const int64_t limit = req.integer("limit");
  if (limit < 1 || limit > 1000) req.invalid("limit", "must be 1 to 1000");
  return write([&](StoreTables& tables) {
    nlohmann::json tasks = nlohmann::json::array();
    while (static_cast<int64_t>(tasks.size()) < limit) {
      nlohmann::json task = claim_one(tables, query);
      if (task.is_null()) break;
      tasks.push_back(std::move(task));
    }
    return tasks.dump();
  });
}

std::string StateStore::renew_leases(std::string_view request) {
  Request req("renew_leases", request);
  std::string executor = req.text("executor", kMaxNameBytes);
  int64_t ms = lease_ms(req);
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    return nlohmann::json{{"renewed", tables.renew_leases(executor, now + ms, now)}}.dump();
  });
}

std::string StateStore::release_task(std::string_view request) {
  Request req("release_task", request);
  Release release;
  release.id = req.text("id", kMaxNameBytes);
  std::string executor = req.text("executor", kMaxNameBytes);
  release.now_ms = req.now_ms();
  release.not_before_ms = req.optional_integer("not_before_ms").value_or(0);
  release.last_error = req.optional_text("last_error", kMaxTextBytes);
  release.count_attempt = req.boolean_or("count_attempt", false);
  TaskWait wait = read_wait(req.operation(), req.value("wait")).value_or(TaskWait{});
  std::optional<std::string> reason = req.optional_text("status_reason", kMaxTextBytes);

  return write([&](StoreTables& tables) {
    TaskState state = lock_task(tables, req, release.id);
    check_release(state, executor);
    tables.release(release);
    // A task cancelled while it ran stays cancelled; a running one goes back
    // to ready, or waiting/blocked if a blocker changed meanwhile.
    if (state.status == "running") {
      tables.set_status(release.id, "waiting", "", release.now_ms);
      std::vector<std::string> changed;
      propagate(tables, release.id, true, release.now_ms, changed);
    }
    // After the status settled: a blocked task keeps the reason naming its blocker.
    tables.set_wait(release.id, wait, reason);
    add_event(tables, release.id,
              released_event(release.id, executor, release.not_before_ms, release.count_attempt, wait.kind),
              release.now_ms);
    return tables.task(release.id)->dump();
  });
}

std::string StateStore::complete_task(std::string_view request) {
  Request req("complete_task", request);
  std::string id = req.text("id", kMaxNameBytes);
  std::string executor = req.text("executor", kMaxNameBytes);
  int64_t now = req.now_ms();
  std::optional<std::string> summary = req.optional_text("result_summary", kMaxTextBytes);
  std::optional<std::string> merge_commit = req.optional_text("merge_commit", kMaxNameBytes);
  const bool quiet = req.boolean_or("quiet", false);

  return write([&](StoreTables& tables) {
    TaskState state = lock_task(tables, req, id);
    if (!check_complete(state, executor)) {
      return task_and(tables, id, "unblocked", {}, quiet);
    }
    tables.complete(id, summary, merge_commit, now);
    std::vector<std::string> unblocked = settle_dependents(tables, id, now, "ready");
    add_event(tables, id, completed_event(id, executor, unblocked), now);
    return task_and(tables, id, "unblocked", unblocked, quiet);
  });
}

std::string StateStore::fail_task(std::string_view request) {
  Request req("fail_task", request);
  std::string id = req.text("id", kMaxNameBytes);
  std::string executor = req.text("executor", kMaxNameBytes);
  std::string error = req.text("error", kMaxTextBytes);
  int64_t now = req.now_ms();

  return write([&](StoreTables& tables) {
    TaskState state = lock_task(tables, req, id);
    check_fail(state, executor);
    tables.fail(id, error, now);
    std::vector<std::string> blocked = settle_dependents(tables, id, now, "blocked");
    add_event(tables, id, failed_event(error, executor, blocked), now);
    return task_and(tables, id, "blocked", blocked);
  });
}

std::string StateStore::reset_task(std::string_view request) {
  Request req("reset_task", request);
  std::string id = req.text("id", kMaxNameBytes);
  std::string mode = req.text("mode", kMaxNameBytes);
  int64_t now = req.now_ms();
  if (mode != "retry" && mode != "reset" && mode != "cancel") {
    req.invalid("mode", "is '" + mode + "'; use retry, reset or cancel");
  }

  return write([&](StoreTables& tables) {
    TaskState state = lock_task(tables, req, id);
    check_reset(mode, state);
    std::vector<std::string> changed;
    if (mode == "cancel") {
      if (state.status != "cancelled") {
        // A running task keeps its lease: its executor lets go when it sees the cancel.
        tables.set_status(id, "cancelled", "cancelled", now);
        changed.push_back(id);
        propagate(tables, id, false, now, changed);
      }
    } else {
      tables.restart(id, now);
      changed.push_back(id);
      // The task itself first (ready/waiting/blocked by its blockers), then the
      // dependents that were blocked, or must now wait, because of it.
      propagate(tables, id, true, now, changed);
      propagate(tables, id, false, now, changed);
    }
    add_event(tables, id, reset_event(id, mode, changed), now);
    return task_and(tables, id, "changed", changed);
  });
}

}  // namespace drover::storage
