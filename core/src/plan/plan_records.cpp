#include "drover/plan/plan_records.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

namespace drover::plan {
namespace {

using json = nlohmann::json;

std::string text_or(const json& record, const char* name, const std::string& fallback = "") {
  auto it = record.find(name);
  return it != record.end() && it->is_string() ? it->get<std::string>() : fallback;
}

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

bool creation_order(const json* a, const json* b) {
  auto key = [](const json* t) {
    const std::string id = text_or(*t, "id");
    long long n = id_number(id);
    return std::make_tuple(n < 0, n, id);
  };
  return key(a) < key(b);
}

PlanTask task_from_record(const json& r) {
  PlanTask t;
  t.key = text_or(r, "id");
  t.title = text_or(r, "title");
  t.description = text_or(r, "description");
  if (r.contains("epic") && r["epic"].is_string()) t.epic = Located{r["epic"].get<std::string>(), 0};
  if (r.contains("parent") && r["parent"].is_string()) t.parent = Located{r["parent"].get<std::string>(), 0};
  if (r.contains("agent") && r["agent"].is_string()) t.agent = Located{r["agent"].get<std::string>(), 0};
  t.priority = r.value("priority", kPriorityNormal);
  t.max_attempts = r.value("max_attempts", 0);
  t.timeout_ms = r.value("timeout_ms", int64_t{0});
  return t;
}

}  // namespace

Plan plan_from_records(const json& epics, const json& tasks) {
  Plan plan;
  for (const auto& e : epics) plan.epics.push_back({text_or(e, "id"), 0, text_or(e, "title"), text_or(e, "description")});

  std::vector<const json*> top;
  std::map<std::string, std::vector<const json*>> subs;  // parent id -> sub-tasks
  for (const auto& t : tasks) {
    if (t.contains("parent") && t["parent"].is_string()) subs[t["parent"].get<std::string>()].push_back(&t);
    else top.push_back(&t);
  }
  std::sort(top.begin(), top.end(), creation_order);
  for (auto& [parent, list] : subs) {
    std::sort(list.begin(), list.end(),
              [](const json* a, const json* b) { return a->value("sequence", 0) < b->value("sequence", 0); });
  }

  auto add = [&](const json& r, const std::set<std::string>& implicit, const std::string& parent_epic) {
    PlanTask t = task_from_record(r);
    if (t.parent && t.epic && t.epic->value == parent_epic) t.epic.reset();  // inherited on import
    for (const auto& b : r.value("blocked_by", json::array())) {
      if (b.is_string() && !implicit.count(b.get<std::string>())) t.blocked_by.push_back({b.get<std::string>(), 0});
    }
    plan.tasks.push_back(std::move(t));
  };
  for (const json* p : top) {
    const std::string id = text_or(*p, "id");
    const auto& children = subs[id];
    std::set<std::string> implicit;  // a parent waits for each of its sub-tasks
    for (const json* s : children) implicit.insert(text_or(*s, "id"));
    add(*p, implicit, "");
    const std::string epic = text_or(*p, "epic");
    std::string previous;  // each sub-task waits for the one before it
    for (const json* s : children) {
      add(*s, previous.empty() ? std::set<std::string>{} : std::set<std::string>{previous}, epic);
      previous = text_or(*s, "id");
    }
  }
  return plan;
}

BlockedByGraph graph_from_records(const json& tasks) {
  std::vector<const json*> ordered;
  for (const auto& t : tasks) ordered.push_back(&t);
  std::sort(ordered.begin(), ordered.end(), creation_order);
  BlockedByGraph g;
  for (const json* t : ordered) {
    const std::string id = text_or(*t, "id");
    g.add_node(id);
    for (const auto& b : t->value("blocked_by", json::array()))
      if (b.is_string()) g.add_edge(id, b.get<std::string>());
  }
  return g;
}

}  // namespace drover::plan
