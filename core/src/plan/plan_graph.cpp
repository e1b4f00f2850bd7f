#include "drover/plan/plan_graph.h"

#include <algorithm>
#include <deque>
#include <set>

namespace drover::plan {

void BlockedByGraph::add_node(const std::string& node) {
  if (blockers.emplace(node, std::vector<std::string>{}).second) order.push_back(node);
}

void BlockedByGraph::add_edge(const std::string& task, const std::string& blocker) {
  add_node(task);
  add_node(blocker);
  auto& list = blockers[task];
  if (std::find(list.begin(), list.end(), blocker) == list.end()) list.push_back(blocker);
}

std::vector<std::string> waiting_path(const BlockedByGraph& graph, const std::string& from, const std::string& to) {
  // Breadth-first, so the path reported is a shortest one.
  std::map<std::string, std::string> came_from;
  std::deque<std::string> queue{from};
  came_from[from] = from;
  while (!queue.empty()) {
    std::string node = queue.front();
    queue.pop_front();
    if (node == to) {
      std::vector<std::string> path{to};
      while (path.back() != from) path.push_back(came_from[path.back()]);
      std::reverse(path.begin(), path.end());
      return path;
    }
    auto it = graph.blockers.find(node);
    if (it == graph.blockers.end()) continue;
    for (const auto& next : it->second) {
      if (came_from.emplace(next, node).second) queue.push_back(next);
    }
  }
  return {};
}

std::vector<std::string> find_cycle(const BlockedByGraph& graph) {
  // Iterative depth-first search (plans can be long chains); a blocker that is
  // still on the stack closes a cycle.
  enum class Mark { kNew, kOnStack, kDone };
  std::map<std::string, Mark> mark;
  for (const auto& n : graph.order) mark[n] = Mark::kNew;
  struct Frame {
    const std::string* node;
    size_t next = 0;
  };
  for (const auto& root : graph.order) {
    if (mark[root] != Mark::kNew) continue;
    std::vector<Frame> stack{{&root}};
    mark[root] = Mark::kOnStack;
    while (!stack.empty()) {
      Frame& top = stack.back();
      const auto& edges = graph.blockers.at(*top.node);
      if (top.next == edges.size()) {
        mark[*top.node] = Mark::kDone;
        stack.pop_back();
        continue;
      }
      const std::string& next = edges[top.next++];
      if (mark[next] == Mark::kOnStack) {
        std::vector<std::string> cycle;
        auto start = std::find_if(stack.begin(), stack.end(), [&](const Frame& f) { return *f.node == next; });
        for (auto it = start; it != stack.end(); ++it) cycle.push_back(*it->node);
        cycle.push_back(next);
        return cycle;
      }
      if (mark[next] == Mark::kNew) {
        mark[next] = Mark::kOnStack;
        stack.push_back({&graph.blockers.find(next)->first});
      }
    }
  }
  return {};
}

std::string cycle_text(const std::vector<std::string>& cycle) {
  std::string text;
  for (const auto& n : cycle) text += (text.empty() ? "" : " -> ") + n;
  return text;
}

BlockedByGraph plan_graph(const Plan& plan) {
  std::set<std::string> keys;
  for (const auto& t : plan.tasks) keys.insert(t.key);
  BlockedByGraph g;
  for (const auto& t : plan.tasks) {
    g.add_node(t.key);
    for (const auto& b : t.blocked_by)
      if (keys.count(b.value) && b.value != t.key) g.add_edge(t.key, b.value);  // self: reported apart
  }
  for (const auto& [parent, subs] : subtasks_by_parent(plan)) {
    if (!keys.count(parent)) continue;
    const std::string* previous = nullptr;
    for (const PlanTask* sub : subs) {
      if (previous != nullptr) g.add_edge(sub->key, *previous);
      g.add_edge(parent, sub->key);
      previous = &sub->key;
    }
  }
  return g;
}

}  // namespace drover::plan
