#include "drover/plan/plan_import.h"

#include <map>
#include <set>

namespace drover::plan {

CreationOrder creation_order(const Plan& plan) {
  // Groups: a top-level task with its sub-tasks, in file order.
  std::vector<std::vector<const PlanTask*>> groups;
  std::map<std::string, size_t> group_of;
  const auto subtasks = subtasks_by_parent(plan);
  for (const auto& t : plan.tasks) {
    if (t.parent) continue;
    std::vector<const PlanTask*> g{&t};
    if (auto it = subtasks.find(t.key); it != subtasks.end()) g.insert(g.end(), it->second.begin(), it->second.end());
    for (const PlanTask* m : g) group_of[m->key] = groups.size();
    groups.push_back(std::move(g));
  }
  // Kahn's algorithm over groups, lowest file position first among the free.
  std::vector<std::set<size_t>> needs(groups.size()), needed_by(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    for (const PlanTask* m : groups[i]) {
      for (const auto& b : m->blocked_by) {
        auto it = group_of.find(b.value);
        if (it == group_of.end() || it->second == i) continue;
        needs[i].insert(it->second);
        needed_by[it->second].insert(i);
      }
    }
  }
  std::vector<size_t> waiting_on(groups.size());
  std::set<size_t> free, left;
  for (size_t i = 0; i < groups.size(); ++i) {
    waiting_on[i] = needs[i].size();
    left.insert(i);
    if (waiting_on[i] == 0) free.insert(i);
  }
  CreationOrder order;
  std::set<std::string> created;
  while (!left.empty()) {
    // No free group means groups wait on each other through a parent's
    // sub-tasks: take the first one left and add its missing edges later.
    const size_t pick = free.empty() ? *left.begin() : *free.begin();
    free.erase(pick);
    left.erase(pick);
    for (const PlanTask* m : groups[pick]) {
      order.tasks.push_back(m);
      created.insert(m->key);
      for (const auto& b : m->blocked_by)
        if (!created.count(b.value)) order.deferred.emplace_back(m->key, b.value);
    }
    for (size_t d : needed_by[pick])
      if (left.count(d) && --waiting_on[d] == 0) free.insert(d);
  }
  return order;
}

ImportOutcome import_plan(const Plan& plan, TaskStore& store, int64_t now_ms) {
  ImportOutcome out;
  std::map<std::string, std::string> ids;  // key -> store id
  auto stop = [&](const std::string& what, int line, const Status& st) {
    out.status = st.WithContext("creating " + what + (line > 0 ? " (line " + std::to_string(line) + ")" : ""));
    return out;
  };

  for (const auto& e : plan.epics) {
    auto r = store.create_epic(e.title, e.description, now_ms);
    if (!r.ok()) return stop("epic '" + e.key + "'", e.line, r.status());
    ids[e.key] = r->id;
    out.created.push_back({e.key, ids[e.key], true});
  }

  CreationOrder order = creation_order(plan);
  std::set<std::pair<std::string, std::string>> deferred(order.deferred.begin(), order.deferred.end());
  for (const PlanTask* t : order.tasks) {
    NewTask req;
    req.title = t->title;
    req.description = t->description;
    req.priority = t->priority;
    if (t->epic) req.epic = ids.at(t->epic->value);
    if (t->parent) req.parent = ids.at(t->parent->value);
    if (t->agent) req.agent = t->agent->value;
    if (t->max_attempts > 0) req.max_attempts = t->max_attempts;
    if (t->timeout_ms > 0) req.timeout_ms = t->timeout_ms;
    for (const auto& p : t->touches) req.touches.push_back(p.value);
    for (const auto& b : t->blocked_by)
      if (!deferred.count({t->key, b.value})) req.blocked_by.push_back(ids.at(b.value));
    auto r = store.create_task(req, now_ms);
    if (!r.ok()) return stop("task '" + t->key + "'", t->line, r.status());
    ids[t->key] = r->id;
    out.created.push_back({t->key, ids[t->key], false});
  }

  for (const auto& [task, blocker] : order.deferred) {
    auto r = store.add_dependency(ids.at(task), ids.at(blocker), now_ms);
    if (!r.ok()) return stop("the dependency of '" + task + "' on '" + blocker + "'", 0, r.status());
  }
  return out;
}

}  // namespace drover::plan
