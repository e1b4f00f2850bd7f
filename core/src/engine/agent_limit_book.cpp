#include "drover/engine/agent_limit_book.h"

#include <algorithm>
#include <functional>

#include "drover/common/duration.h"
#include "drover/engine/backoff.h"

namespace drover {

namespace {
// How long a probe holds the agent's other tasks back: a limit shows within
// the first requests, so a probe running this long has got past it.
constexpr int64_t kProbeWindowMs = 60 * 1000;
}  // namespace

AgentLimitBook::Pause AgentLimitBook::limited(const std::string& agent, int64_t now_ms,
                                              std::optional<int64_t> reset_at_ms, std::chrono::milliseconds initial,
                                              std::chrono::milliseconds max) {
  std::lock_guard<std::mutex> lock(mu_);
  State& s = agents_[agent];
  const bool reset_ahead = reset_at_ms && *reset_at_ms > now_ms;
  if (s.until_ms > now_ms) {
    // Already paused by another task's limit: this one waits with it (or
    // until the later reset the agent names).
    if (reset_ahead && *reset_at_ms > s.until_ms) s.until_ms = *reset_at_ms;
    return Pause{s.until_ms, s.in_a_row, true};
  }
  ++s.in_a_row;
  if (s.since_ms == 0) s.since_ms = now_ms;
  // Seeded by the agent: its pauses are the same whichever task hit the limit.
  const uint64_t seed = std::hash<std::string>{}(agent);
  s.until_ms = reset_ahead ? *reset_at_ms : now_ms + backoff_delay(s.in_a_row, initial, max, seed).count();
  return Pause{s.until_ms, s.in_a_row, false};
}

void AgentLimitBook::ran(const std::string& agent) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(agent);
  if (it == agents_.end()) return;
  it->second.in_a_row = 0;
  it->second.since_ms = 0;
  it->second.probe.clear();
}

void AgentLimitBook::restore(const std::string& agent, int in_a_row, int64_t until_ms, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  State& s = agents_[agent];
  s.in_a_row = std::max(s.in_a_row, in_a_row);
  s.until_ms = std::max(s.until_ms, until_ms);
  if (s.in_a_row > 0 && s.since_ms == 0) s.since_ms = now_ms;
}

int AgentLimitBook::in_a_row(const std::string& agent) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(agent);
  return it == agents_.end() ? 0 : it->second.in_a_row;
}

int64_t AgentLimitBook::paused_until(const std::string& agent) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(agent);
  return it == agents_.end() ? 0 : it->second.until_ms;
}

void AgentLimitBook::claimed(const std::string& agent, const std::string& task_id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(agent);
  if (it == agents_.end() || it->second.in_a_row == 0 || !it->second.probe.empty()) return;
  it->second.probe = task_id;
  it->second.probe_since = now_ms;
}

void AgentLimitBook::ended(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [agent, s] : agents_)
    if (s.probe == task_id) s.probe.clear();
}

std::vector<std::string> AgentLimitBook::held(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [agent, s] : agents_)
    if (s.given_up || s.until_ms > now_ms ||
        (s.in_a_row > 0 && !s.probe.empty() && now_ms < s.probe_since + kProbeWindowMs))
      out.push_back(agent);
  return out;
}

bool AgentLimitBook::may_probe(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [agent, s] : agents_)
    if (s.in_a_row > 0 && !s.given_up && s.until_ms <= now_ms &&
        (s.probe.empty() || now_ms >= s.probe_since + kProbeWindowMs))
      return true;
  return false;
}

bool AgentLimitBook::given_up(const std::string& agent) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(agent);
  return it != agents_.end() && it->second.given_up;
}

std::vector<std::pair<std::string, std::string>> AgentLimitBook::give_up(int64_t now_ms,
                                                                         std::chrono::milliseconds after) {
  std::vector<std::pair<std::string, std::string>> out;
  if (after.count() <= 0) return out;  // 0: wait for ever
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [agent, s] : agents_) {
    if (s.given_up || s.in_a_row == 0 || s.until_ms <= now_ms) continue;
    if (s.until_ms - s.since_ms <= after.count()) continue;
    s.given_up = true;
    out.emplace_back(agent, "gave up on agent '" + agent + "' after its " + ordinal(s.in_a_row) +
                                " limit in a row: its next try would be " +
                                format_duration(std::chrono::milliseconds(s.until_ms - s.since_ms)) +
                                " after its first limit in this run, beyond quota.give_up_after (" +
                                format_duration(after) + "); its tasks are left ready, `drover run` tries again");
  }
  return out;
}

std::string ordinal(int n) {
  const int tens = n % 100, ones = n % 10;
  const char* suffix = (tens >= 11 && tens <= 13) ? "th" : ones == 1 ? "st" : ones == 2 ? "nd" : ones == 3 ? "rd" : "th";
  return std::to_string(n) + suffix;
}

}  // namespace drover
