// end_processes, a template so the box and the host can pass their own finders.
#ifndef DROVER_SANDBOX_PROCESS_TREE_INL_H
#define DROVER_SANDBOX_PROCESS_TREE_INL_H

#include <signal.h>

#include <thread>

namespace drover {

template <class Find, class Reap>
std::vector<std::string> end_processes(Find find, Reap reap, std::chrono::milliseconds grace,
                                       std::chrono::milliseconds limit) {
  using Clock = std::chrono::steady_clock;
  std::vector<ProcessInfo> found = find();
  std::vector<std::string> names;
  for (const ProcessInfo& p : found) names.push_back(describe(p));
  if (found.empty()) return names;
  const auto start = Clock::now();
  if (grace.count() > 0) {
    signal_all(found, SIGTERM);
    while (!found.empty() && Clock::now() - start < grace) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      reap();
      found = find();
    }
  }
  // A process may fork while we kill: look again until nothing is left.
  while (!found.empty() && Clock::now() - start < grace + limit) {
    signal_all(found, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    reap();
    found = find();
  }
  return names;
}

}  // namespace drover

#endif
