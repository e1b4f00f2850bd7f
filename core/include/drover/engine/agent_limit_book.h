// Usage and rate limits per agent, for one run (shared by its workflows).
//
// Behaviour worth knowing:
//   - A limit is counted per agent, not per task: the agent's Nth limit in a
//     row (since one of its runs last ended without a limit) sets a pause of
//     quota.backoff.initial * 2^(N-1), capped at quota.backoff.max, unless the
//     agent said when the limit resets (and that time is still ahead).
//   - A task that hits the limit while the agent is already paused (another
//     task hit it first) joins that pause: it is no new limit, so tasks
//     running side by side do not multiply the count.
//   - Once a pause is over, one task of the agent runs as a probe; its other
//     tasks wait until the probe ran to an end (the limit is gone), ran for a
//     minute without meeting the limit (a limit shows at once), or hit the
//     limit again (a longer pause). Never a relaunch storm.
//   - The run gives up on an agent whose pause would end more than
//     quota.give_up_after after its first limit in this run: its tasks are
//     left ready and the run ends once nothing else can run.
//   - The count survives restarts through the store (each quota_pause event
//     records it; RunLoop restores it); the give-up clock starts with the run.
#ifndef DROVER_ENGINE_AGENT_LIMIT_BOOK_H
#define DROVER_ENGINE_AGENT_LIMIT_BOOK_H

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace drover {

class AgentLimitBook {
 public:
  struct Pause {
    int64_t until_ms = 0;
    int in_a_row = 0;      // the agent's limits in a row, this one included
    bool joined = false;   // the agent was already paused: no new limit counted
  };

  // A task of `agent` hit a limit at now_ms; reset_at_ms: when the agent says
  // it resets (nullopt or passed: back off by the count).
  Pause limited(const std::string& agent, int64_t now_ms, std::optional<int64_t> reset_at_ms,
                std::chrono::milliseconds initial, std::chrono::milliseconds max);
  // A run of the agent ended without a limit: the count starts again.
  void ran(const std::string& agent);
  // A pause read back from the store at the start of a run.
  void restore(const std::string& agent, int in_a_row, int64_t until_ms, int64_t now_ms);

  int in_a_row(const std::string& agent) const;
  int64_t paused_until(const std::string& agent) const;

  // A task of the agent was claimed: while the agent has a count it probes.
  void claimed(const std::string& agent, const std::string& task_id, int64_t now_ms);
  // The task's workflow ended (for now).
  void ended(const std::string& task_id);

  // Agents no claim may take a task of: paused, probing, or given up.
  std::vector<std::string> held(int64_t now_ms) const;
  // True while an agent that met a limit may probe now (not held, no probe
  // running): a claim then takes one task at a time, so only one probes.
  bool may_probe(int64_t now_ms) const;
  bool given_up(const std::string& agent) const;

  // Agents the run gives up on now (each returned once), with the message.
  std::vector<std::pair<std::string, std::string>> give_up(int64_t now_ms, std::chrono::milliseconds after);

 private:
  struct State {
    int in_a_row = 0;
    int64_t until_ms = 0;
    int64_t since_ms = 0;   // first limit of the streak in this run
    std::string probe;      // the task running as the probe ("" = none)
    int64_t probe_since = 0;
    bool given_up = false;
  };
  mutable std::mutex mu_;
  std::map<std::string, State> agents_;
};

// "1st", "2nd", "3rd", "4th", "11th", "21st".
std::string ordinal(int n);

}  // namespace drover

#endif
