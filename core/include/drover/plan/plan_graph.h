// Blocked-by graphs over task ids or plan keys: finding dependency cycles
// (for validating a plan and for `drover dep add`) and the edges a store adds
// on its own for sub-tasks.
#ifndef DROVER_PLAN_PLAN_GRAPH_H
#define DROVER_PLAN_PLAN_GRAPH_H

#include <map>
#include <string>
#include <vector>

#include "drover/plan/plan.h"

namespace drover::plan {

// Node -> the nodes it waits for. Nodes are visited in `order` (first seen
// first) so results do not depend on map ordering.
struct BlockedByGraph {
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> blockers;

  void add_node(const std::string& node);
  void add_edge(const std::string& task, const std::string& blocker);
};

// A path from `from` to `to` following blocked-by edges, both ends included
// (a shortest one), or empty when `from` does not wait for `to`.
std::vector<std::string> waiting_path(const BlockedByGraph& graph, const std::string& from, const std::string& to);

// Some cycle, written as its nodes with the first repeated at the end
// ("a", "b", "a"), or empty when the graph has none.
std::vector<std::string> find_cycle(const BlockedByGraph& graph);

// "a -> b -> a"
std::string cycle_text(const std::vector<std::string>& cycle);

// The plan's whole blocked-by graph by key: explicit blockers, each sub-task
// waiting for the one before it, and each parent waiting for its sub-tasks.
// References to unknown keys are left out.
BlockedByGraph plan_graph(const Plan& plan);

}  // namespace drover::plan

#endif
