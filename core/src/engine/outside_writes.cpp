#include "drover/engine/outside_writes.h"

namespace drover {

std::vector<CheckoutChange> checkout_changes(const CheckoutState& before, const CheckoutState& after,
                                             const std::string& target_branch) {
  std::vector<CheckoutChange> out;
  const std::string target_ref = "refs/heads/" + target_branch;
  auto name = [](const std::optional<std::string>& ref) { return ref ? *ref : std::string("a detached commit"); };
  if (before.head_ref != after.head_ref) {
    out.push_back({"HEAD", "was on " + name(before.head_ref) + ", now on " + name(after.head_ref)});
  } else if (before.head_ref != target_ref && before.head_commit != after.head_commit) {
    out.push_back({"HEAD", name(after.head_ref) + " moved from " + before.head_commit.substr(0, 10) + " to " +
                               after.head_commit.substr(0, 10)});
  }
  auto drovers_own = [](const std::string& path) {
    return path == ".drover" || path.rfind(".drover/", 0) == 0 || path.find("/.drover/") != std::string::npos ||
           (path.size() >= 8 && path.compare(path.size() - 8, 8, "/.drover") == 0);
  };
  for (const auto& [path, sig] : after.entries) {
    if (drovers_own(path)) continue;
    auto it = before.entries.find(path);
    if (it == before.entries.end()) out.push_back({path, "added"});
    else if (it->second != sig) out.push_back({path, "changed"});
  }
  for (const auto& [path, sig] : before.entries)
    if (!after.entries.count(path) && !drovers_own(path)) out.push_back({path, "reverted"});
  return out;
}

bool OutsideWriteLedger::stop_watching() { return watching_.exchange(false); }

void OutsideWriteLedger::blame(const std::string& task_id, const std::vector<CheckoutChange>& changes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : changes) writer_[c.path] = task_id;
}

std::optional<std::string> OutsideWriteLedger::writer_of(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = writer_.find(path);
  if (it == writer_.end()) return std::nullopt;
  return it->second;
}

}  // namespace drover
