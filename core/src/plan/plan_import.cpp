#include "drover/plan/plan_import.h"

#include <map>
#include <set>

namespace drover::plan {

CreationOrder creation_order(const Plan& plan) {
  // Groups: a top-level task with its sub-tasks, in file order.
  std::vector<std::vector<const PlanTask*>> groups;
  std::map<std::string, size_t> group_of;
  for (const auto& t : plan.tasks) {
    if (t.parent) continue;
    std::vector<const PlanTask*> g{&t};
    for (const PlanTask* s : subtasks_of(plan, t.key)) g.push_back(s);
    for (const PlanTask* m : g) group_of[m->key] = groups.size();
    groups.push_back(std::move(g));
  }
  std::vector<std::set<size_t>> needs(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    for (const PlanTask* m : groups[i]) {
      for (const auto& b : m->blocked_by) {
        auto it = group_of.find(b.value);
        if (it != group_of.end() && it->second != i) needs[i].insert(it->second);
      }
    }
  }

  CreationOrder order;
  std::vector<bool> done(groups.size(), false);
  std::set<std::string> created;
  for (size_t round = 0; round < groups.size(); ++round) {
    // The first group whose blockers all exist; if none (groups that wait on
    // each other through a parent's sub-tasks), the first one left.
    size_t pick = groups.size();
    for (size_t i = 0; i < groups.size() && pick == groups.size(); ++i) {
      if (done[i]) continue;
      bool free = true;
      for (size_t n : needs[i]) free = free && done[n];
      if (free) pick = i;
    }
    for (size_t i = 0; i < groups.size() && pick == groups.size(); ++i)
      if (!done[i]) pick = i;
    done[pick] = true;
    for (const PlanTask* m : groups[pick]) {
      order.tasks.push_back(m);
      created.insert(m->key);
      for (const auto& b : m->blocked_by)
        if (!created.count(b.value)) order.deferred.emplace_back(m->key, b.value);
    }
  }
  return order;
}

ImportOutcome import_plan(const Plan& plan, const StoreCall& store, int64_t now_ms) {
  using Storage = drover_storage_vtable_v1;
  ImportOutcome out;
  std::map<std::string, std::string> ids;  // key -> store id
  auto stop = [&](const std::string& what, int line, const Status& st) {
    out.status = st.WithContext("creating " + what + (line > 0 ? " (line " + std::to_string(line) + ")" : ""));
    return out;
  };

  for (const auto& e : plan.epics) {
    auto r = store(&Storage::create_epic, "create_epic",
                   json{{"title", e.title}, {"description", e.description}, {"now_ms", now_ms}});
    if (!r.ok()) return stop("epic '" + e.key + "'", e.line, r.status());
    ids[e.key] = r->value("id", "");
    out.created.push_back({e.key, ids[e.key], true});
  }

  CreationOrder order = creation_order(plan);
  std::set<std::pair<std::string, std::string>> deferred(order.deferred.begin(), order.deferred.end());
  for (const PlanTask* t : order.tasks) {
    json req{{"title", t->title}, {"description", t->description}, {"priority", t->priority}, {"now_ms", now_ms}};
    if (t->epic) req["epic"] = ids.at(t->epic->value);
    if (t->parent) req["parent"] = ids.at(t->parent->value);
    if (t->agent) req["agent"] = t->agent->value;
    if (t->max_attempts > 0) req["max_attempts"] = t->max_attempts;
    if (t->timeout_ms > 0) req["timeout_ms"] = t->timeout_ms;
    json blockers = json::array();
    for (const auto& b : t->blocked_by)
      if (!deferred.count({t->key, b.value})) blockers.push_back(ids.at(b.value));
    if (!blockers.empty()) req["blocked_by"] = blockers;
    auto r = store(&Storage::create_task, "create_task", req);
    if (!r.ok()) return stop("task '" + t->key + "'", t->line, r.status());
    ids[t->key] = r->value("id", "");
    out.created.push_back({t->key, ids[t->key], false});
  }

  for (const auto& [task, blocker] : order.deferred) {
    auto r = store(&Storage::add_dependency, "add_dependency",
                   json{{"task", ids.at(task)}, {"blocker", ids.at(blocker)}, {"now_ms", now_ms}});
    if (!r.ok()) return stop("the dependency of '" + task + "' on '" + blocker + "'", 0, r.status());
  }
  return out;
}

}  // namespace drover::plan
