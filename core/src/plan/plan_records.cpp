#include "drover/plan/plan_records.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

namespace drover::plan {
namespace {

// "t12" -> 12, so t2 sorts before t10; ids of other shapes sort after, by text.
long long id_number(const std::string& id) {
  if (id.size() < 2 || id[0] != 't') return -1;
  long long n = 0;
  for (size_t i = 1; i < id.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(id[i]))) return -1;
    n = n * 10 + (id[i] - '0');
    if (n > 1'000'000'000'000LL) return -1;
  }
  return n;
}

bool creation_order(const Task* a, const Task* b) {
  auto key = [](const Task* t) {
    long long n = id_number(t->id);
    return std::make_tuple(n < 0, n, t->id);
  };
  return key(a) < key(b);
}

PlanTask task_from_record(const Task& r) {
  PlanTask t;
  t.key = r.id;
  t.title = r.title;
  t.description = r.description;
  if (r.epic) t.epic = Located{*r.epic, 0};
  if (r.parent) t.parent = Located{*r.parent, 0};
  if (r.agent) t.agent = Located{*r.agent, 0};
  t.priority = r.priority;
  t.max_attempts = r.max_attempts;
  t.timeout_ms = r.timeout_ms;
  for (const auto& p : r.touches) t.touches.push_back({p, 0});
  return t;
}

}  // namespace

Plan plan_from_records(const std::vector<Epic>& epics, const std::vector<Task>& tasks) {
  Plan plan;
  for (const auto& e : epics) plan.epics.push_back({e.id, 0, e.title, e.description});

  std::vector<const Task*> top;
  std::map<std::string, std::vector<const Task*>> subs;  // parent id -> sub-tasks
  for (const auto& t : tasks) {
    if (t.parent) subs[*t.parent].push_back(&t);
    else top.push_back(&t);
  }
  std::sort(top.begin(), top.end(), creation_order);
  for (auto& [parent, list] : subs) {
    std::sort(list.begin(), list.end(), [](const Task* a, const Task* b) { return a->sequence < b->sequence; });
  }

  auto add = [&](const Task& r, const std::set<std::string>& implicit, const std::string& parent_epic) {
    PlanTask t = task_from_record(r);
    if (t.parent && t.epic && t.epic->value == parent_epic) t.epic.reset();  // inherited on import
    for (const auto& b : r.blocked_by) {
      if (!implicit.count(b)) t.blocked_by.push_back({b, 0});
    }
    plan.tasks.push_back(std::move(t));
  };
  for (const Task* p : top) {
    const auto& children = subs[p->id];
    std::set<std::string> implicit;  // a parent waits for each of its sub-tasks
    for (const Task* s : children) implicit.insert(s->id);
    add(*p, implicit, "");
    const std::string epic = p->epic.value_or("");
    std::string previous;  // each sub-task waits for the one before it
    for (const Task* s : children) {
      add(*s, previous.empty() ? std::set<std::string>{} : std::set<std::string>{previous}, epic);
      previous = s->id;
    }
  }
  return plan;
}

BlockedByGraph graph_from_records(const std::vector<Task>& tasks) {
  std::vector<const Task*> ordered;
  for (const auto& t : tasks) ordered.push_back(&t);
  std::sort(ordered.begin(), ordered.end(), creation_order);
  BlockedByGraph g;
  for (const Task* t : ordered) {
    g.add_node(t->id);
    for (const auto& b : t->blocked_by) g.add_edge(t->id, b);
  }
  return g;
}

}  // namespace drover::plan
