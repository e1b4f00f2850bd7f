#include "drover/model/task_overlap.h"

#include "drover/common/path_glob.h"

namespace drover {
namespace {

std::vector<const std::string*> all_touches(const Task& t) {
  std::vector<const std::string*> out;
  for (const auto& p : t.touches) out.push_back(&p);
  for (const auto& p : t.learned_touches) out.push_back(&p);
  return out;
}

}  // namespace

std::optional<std::string> overlapping_path(const Task& a, const Task& b) {
  if (a.id == b.id) return std::nullopt;
  const auto theirs = all_touches(b);
  if (theirs.empty()) return std::nullopt;
  for (const std::string* mine : all_touches(a))
    for (const std::string* other : theirs)
      if (globs_may_overlap(*mine, *other)) return *mine;
  return std::nullopt;
}

std::map<std::string, Overlap> held_by_overlap(const std::vector<Task>& tasks) {
  std::vector<const Task*> running;
  for (const auto& t : tasks)
    if (t.status == TaskStatus::kRunning && (!t.touches.empty() || !t.learned_touches.empty())) running.push_back(&t);
  std::map<std::string, Overlap> held;
  if (running.empty()) return held;
  for (const auto& t : tasks) {
    if (t.status != TaskStatus::kReady) continue;
    for (const Task* r : running) {
      if (auto path = overlapping_path(t, *r)) {
        held.emplace(t.id, Overlap{r->id, *path});
        break;
      }
    }
  }
  return held;
}

std::string describe(const Overlap& overlap) { return "overlaps " + overlap.task + " on " + overlap.path; }

}  // namespace drover
