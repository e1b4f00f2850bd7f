// Steering a task from outside a run (storage ABI 1.2): editing what a task
// is, removing it, removing one of its dependencies, pausing it. Each is one
// write transaction under the graph lock.
#include <algorithm>
#include <map>
#include <set>

#include "request.h"
#include "state_store.h"
#include "task_graph.h"
#include "text_rules.h"

namespace drover::storage {

namespace {
using drover::sdk::Error;

TaskState lock_existing(StoreTables& tables, const Request& req, const std::string& id, const char* key = "id") {
  tables.lock_graph();
  std::optional<TaskState> state = tables.task_state(id, true);
  if (!state) {
    throw Error(DROVER_NOT_FOUND, req.operation() + ": task " + id + " (field '" + key +
                                      "') does not exist; list_tasks shows the ids");
  }
  return *state;
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// "t4.2" -> 2; 0 for a task that is not a sub-task.
int64_t sequence_of(const std::string& id) {
  size_t dot = id.rfind('.');
  if (dot == std::string::npos) return 0;
  try {
    return std::stoll(id.substr(dot + 1));
  } catch (...) {
    return 0;
  }
}

// edit_task's fields, validated, in the order the request gave them.
std::vector<FieldValue> edit_fields(const Request& req) {
  const nlohmann::json* fields = req.value("fields");
  if (fields == nullptr || !fields->is_object()) req.invalid("fields", "must be an object");
  static const char* const kEditable = "title, description, priority, agent, max_attempts, touches, review";
  if (fields->empty()) req.invalid("fields", std::string("is empty; set at least one of ") + kEditable);
  std::vector<FieldValue> out;
  for (const auto& [key, value] : fields->items()) {
    const std::string field = "fields." + key;
    if (key == "title" || key == "description") {
      if (!value.is_string()) req.invalid(field, "must be a string");
      const auto& text = value.get_ref<const std::string&>();
      check_text(req.operation(), field, text, key == "title" ? kMaxNameBytes : kMaxTextBytes);
      if (key == "title" && text.empty()) req.invalid(field, "must not be empty");
      out.emplace_back(key, value);
    } else if (key == "priority" || key == "max_attempts") {
      if (!value.is_number_integer()) req.invalid(field, "must be an integer");
      if (key == "max_attempts" && value.get<int64_t>() < 0) req.invalid(field, "must be 0 (engine default) or more");
      out.emplace_back(key, value);
    } else if (key == "agent") {
      if (!value.is_null() && !value.is_string()) req.invalid(field, "must be a string or null (the default agent)");
      if (value.is_string()) check_text(req.operation(), field, value.get_ref<const std::string&>(), kMaxNameBytes);
      out.emplace_back(key, value);
    } else if (key == "touches") {
      out.emplace_back(key, path_list_text(req, field, value));
    } else if (key == "review") {
      if (!value.is_boolean()) req.invalid(field, "must be true or false");
      out.emplace_back(key, int64_t{value.get<bool>() ? 1 : 0});
    } else {
      req.invalid("fields", "contains '" + key + "', which edit_task cannot set; editable: " + kEditable);
    }
  }
  return out;
}
}  // namespace

std::string StateStore::edit_task(std::string_view request) {
  Request req("edit_task", request);
  std::string id = req.text("id", kMaxNameBytes);
  int64_t now = req.now_ms();
  std::vector<FieldValue> fields = edit_fields(req);
  return write([&](StoreTables& tables) {
    TaskState state = lock_existing(tables, req, id);
    if (state.status == "running") {
      throw Error(DROVER_CONFLICT, "edit_task: task " + id + " is running (executor '" + state.lease_owner.value_or("") +
                                       "'); edit it once its attempt has finished, or cancel it first");
    }
    tables.update_fields(id, fields, now);
    std::vector<std::string> names;
    for (const auto& f : fields) names.push_back(f.first);
    add_event(tables, id, edited_event(id, names), now);
    return tables.task(id)->dump();
  });
}

std::string StateStore::set_paused(std::string_view request) {
  Request req("set_paused", request);
  std::string id = req.text("id", kMaxNameBytes);
  if (!req.has("paused")) req.invalid("paused", "is required (true or false)");
  bool paused = req.boolean_or("paused", false);
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    TaskState state = lock_existing(tables, req, id);
    if (state.status == "completed" || state.status == "cancelled") {
      throw Error(DROVER_CONFLICT, "set_paused: task " + id + " is " + state.status + "; only a task that may still run " +
                                       "can be paused (reset it first to run it again)");
    }
    tables.update_fields(id, {FieldValue("paused", int64_t{paused ? 1 : 0})}, now);
    add_event(tables, id, paused_event(id, paused), now);
    return tables.task(id)->dump();
  });
}

std::string StateStore::review_task(std::string_view request) {
  Request req("review_task", request);
  std::string id = req.text("id", kMaxNameBytes);
  std::string decision = req.text("decision", kMaxNameBytes);
  if (decision != "approve" && decision != "reject") req.invalid("decision", "is '" + decision + "'; use approve or reject");
  std::string message = req.optional_text("message", kMaxTextBytes).value_or("");
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    TaskState state = lock_existing(tables, req, id);
    nlohmann::json task = *tables.task(id);
    const nlohmann::json& wait = task["wait"];
    const bool awaiting = wait.is_object() && wait.value("kind", std::string()) == "review";
    if (!awaiting) {
      throw Error(DROVER_CONFLICT, "review_task: task " + id + " is " + state.status +
                                       (wait.is_object() ? " (waiting: " + wait.value("kind", std::string()) + ")" : "") +
                                       ", not awaiting review; only a task whose work waits for a decision can be " +
                                       "approved or rejected");
    }
    tables.set_wait(id, TaskWait{},
                    std::string(decision == "approve" ? "approved; it lands when a run claims it"
                                                      : "rejected; its agent gets the feedback when a run claims it"));
    tables.update_fields(id, {FieldValue("not_before_ms", int64_t{0})}, now);
    add_event(tables, id, reviewed_event(id, decision, message, task.value("generation", int64_t{0})), now);
    return tables.task(id)->dump();
  });
}

std::string StateStore::remove_dependency(std::string_view request) {
  Request req("remove_dependency", request);
  std::string task = req.text("task", kMaxNameBytes);
  std::string blocker = req.text("blocker", kMaxNameBytes);
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    TaskState t = lock_existing(tables, req, task, "task");
    std::optional<TaskState> b = tables.task_state(blocker, false);
    if (!b) {
      throw Error(DROVER_NOT_FOUND, "remove_dependency: task " + blocker +
                                        " (field 'blocker') does not exist; list_tasks shows the ids");
    }
    const bool parent_edge = b->parent == task;
    const bool sibling_edge = t.parent && b->parent == t.parent;
    if (parent_edge || sibling_edge) {
      req.invalid("blocker", "names " + blocker + ", which " + task + " waits for because of sub-task order (" +
                                 (parent_edge ? "a parent waits for its sub-tasks" : "sub-tasks run in sequence") +
                                 "); that edge cannot be removed");
    }
    if (!tables.delete_dependency(task, blocker)) {
      throw Error(DROVER_NOT_FOUND, "remove_dependency: task " + task + " does not wait for " + blocker +
                                        "; its blocked_by lists what it waits for");
    }
    std::vector<std::string> changed;
    propagate(tables, task, true, now, changed);
    add_event(tables, task, dependency_removed_event(task, blocker), now);
    return tables.task(task)->dump();
  });
}

std::string StateStore::remove_task(std::string_view request) {
  Request req("remove_task", request);
  std::string id = req.text("id", kMaxNameBytes);
  bool cascade = req.boolean_or("cascade", false);
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    TaskState root = lock_existing(tables, req, id);
    std::map<std::string, TaskState> doomed{{id, root}};
    std::vector<std::string> order{id};
    std::map<std::string, TaskState> survivors;  // family dependents that stay
    std::vector<std::string> needed_by;          // dependents that are not family
    std::vector<std::string> frontier{id};
    while (!frontier.empty()) {
      std::vector<std::string> next;
      auto doom = [&](const TaskState& s) {
        if (!doomed.emplace(s.id, s).second) return;
        order.push_back(s.id);
        next.push_back(s.id);
        survivors.erase(s.id);
      };
      // A task's sub-tasks go with it: they are among its blockers.
      std::vector<std::string> blocker_ids;
      for (const auto& edge : tables.blocked_by_edges(frontier)) blocker_ids.push_back(edge.second);
      if (!blocker_ids.empty()) {
        for (const TaskState& s : tables.task_states(blocker_ids))
          if (s.parent && doomed.count(*s.parent)) doom(s);
      }
      std::vector<std::string> deps = tables.dependents(frontier);
      std::map<std::string, TaskState> dep_states;
      if (!deps.empty())
        for (const TaskState& s : tables.task_states(deps)) dep_states.emplace(s.id, s);
      std::map<std::string, std::vector<std::string>> doomed_blockers;
      if (!deps.empty())
        for (const auto& [task, blocker] : tables.blocked_by_edges(deps))
          if (doomed.count(blocker)) doomed_blockers[task].push_back(blocker);
      for (const std::string& d : deps) {
        if (doomed.count(d)) continue;
        const TaskState& ds = dep_states.at(d);
        bool family_only = true;
        for (const std::string& b : doomed_blockers[d]) {
          const TaskState& bs = doomed.at(b);
          const bool family = bs.parent && (d == *bs.parent || ds.parent == bs.parent);
          if (!family) family_only = false;
        }
        if (family_only) {
          survivors.emplace(d, ds);
        } else if (cascade) {
          doom(ds);
        } else if (std::find(needed_by.begin(), needed_by.end(), d) == needed_by.end()) {
          needed_by.push_back(d);
        }
      }
      frontier = std::move(next);
    }
    if (!needed_by.empty()) {
      throw Error(DROVER_CONFLICT, "remove_task: " + joined(needed_by) + (needed_by.size() == 1 ? " waits" : " wait") +
                                       " for " + id + "; remove with cascade to remove " +
                                       (needed_by.size() == 1 ? "it" : "them") + " too, or remove the dependency first");
    }
    std::vector<std::string> running;
    for (const std::string& d : order)
      if (doomed.at(d).status == "running") running.push_back(d);
    if (!running.empty()) {
      throw Error(DROVER_CONFLICT, "remove_task: " + joined(running) + (running.size() == 1 ? " is" : " are") +
                                       " running; cancel " + (running.size() == 1 ? "it" : "them") +
                                       " or let the attempt finish, then remove");
    }
    // A surviving sub-task that waited for a removed earlier sibling now waits
    // for the nearest earlier sibling that stays, so the order holds.
    for (const auto& [sid, s] : survivors) {
      if (!s.parent || doomed.count(*s.parent)) continue;
      std::string previous;
      int64_t best = 0;
      for (const auto& edge : tables.blocked_by_edges({*s.parent})) {
        const std::string& sibling = edge.second;
        int64_t seq = sequence_of(sibling);
        if (doomed.count(sibling) || seq >= sequence_of(sid) || seq <= best) continue;
        if (sibling.rfind(*s.parent + ".", 0) != 0) continue;
        best = seq;
        previous = sibling;
      }
      if (!previous.empty()) tables.insert_dependency(sid, previous);
    }
    tables.delete_tasks(order);
    std::vector<std::string> changed;
    for (const auto& [sid, s] : survivors) propagate(tables, sid, true, now, changed);
    add_event(tables, std::nullopt, removed_event(order), now);
    return nlohmann::json{{"removed", order}}.dump();
  });
}

}  // namespace drover::storage
