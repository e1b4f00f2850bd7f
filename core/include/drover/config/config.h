// drover.yaml: the project's configuration. Loading validates every key the
// core knows (types, ranges, unknown keys with the closest known one) and
// reports errors as "<file>:<line>:<column>: <key>: <what was expected>".
// Plugin subtrees are kept as YAML text for the plugins to validate.
#ifndef DROVER_CONFIG_CONFIG_H
#define DROVER_CONFIG_CONFIG_H

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drover/sandbox/sandbox_mode.h"
#include "drover/status.h"

namespace drover {

// A plugin chosen by name with its own configuration subtree.
struct PluginChoice {
  std::string plugin;       // e.g. "sqlite"
  std::string config_yaml;  // the `config:` subtree re-emitted as YAML ("{}" when absent)
  std::string where;        // "drover.yaml:4:3" for messages
};

struct VerifyConfig {
  std::vector<std::string> command;  // argv, run in the task's worktree
  std::chrono::milliseconds timeout{20 * 60 * 1000};
};

// merge: how finished tasks land on the target branch (docs/merge-queue.md).
struct MergeConfig {
  // verify_on: merged (the merge of the task into the target's current tip is
  // verified before the target moves) or branch (the task's own branch is
  // verified before its merge).
  bool verify_merged = true;
  int batch = 1;       // tasks landed per verify run; a red batch is bisected
  int max_rounds = 3;  // conflict-resolution and fix rounds per attempt
  // overlap: hold (a task whose `touches` overlap a running or landing task's
  // waits while anything else can run) or ignore.
  bool overlap_hold = true;
};

// agents.<name>.limits: caps on one attempt of that agent; 0 = none.
struct AgentLimits {
  int processes = 0;     // processes at once (the agent and everything it started)
  uint64_t memory = 0;   // bytes of resident memory of all of them
};

// An agent's entry besides its plugin: agents.<name>.sandbox and .limits.
struct AgentContainment {
  std::vector<std::string> write_paths;  // agents.<name>.sandbox.write_paths, absolute
  AgentLimits limits;
};

// tasks.no_changes: what an attempt whose agent changed nothing and gave no
// verdict line (DROVER-RESULT) becomes.
enum class NoChanges {
  kComplete,  // completed, no changes; dependents start
  kFail,      // failed at once with the agent's last message; dependents blocked
  kHold,      // waits for a person (drover approve / reject) with that message
};

struct Config {
  std::string path;          // absolute path of drover.yaml ("" when built-in defaults are used)
  std::string project_root;  // directory holding drover.yaml
  int workers = 4;
  std::string target_branch;  // "" = the branch recorded at init / HEAD's branch
  std::string default_agent;
  PluginChoice storage{"sqlite", "{}", ""};
  PluginChoice vcs{"git", "{}", ""};
  std::map<std::string, PluginChoice> agents;
  std::chrono::milliseconds task_timeout{30 * 60 * 1000};
  int max_attempts = 3;
  // tasks.on_interrupted: an attempt cut short (drover killed, stopped, its
  // lease lost) runs again from the worktree's commit at the attempt's start,
  // its files kept under refs/drover/interrupted/<task>/<attempt> (restart);
  // or on top of whatever it left (continue).
  bool restart_interrupted = true;
  NoChanges no_changes = NoChanges::kHold;
  // review: required: every task's work waits for `drover approve` before it
  // lands (a task's own `review` flag asks for it one task at a time).
  bool review_required = false;
  std::chrono::milliseconds backoff_initial{10 * 1000};
  std::chrono::milliseconds backoff_max{10 * 60 * 1000};
  std::chrono::milliseconds lease_duration{30 * 1000};
  // quota: pauses after an agent's usage or rate limit with no reset time
  // ahead, per agent: backoff.initial * 2^(n-1) for its nth limit in a row,
  // capped at backoff.max; the run gives up on an agent still limited
  // give_up_after past its first limit (0 = never). See agent_limit_book.h.
  std::chrono::milliseconds quota_backoff_initial{60 * 1000};
  std::chrono::milliseconds quota_backoff_max{30 * 60 * 1000};
  std::chrono::milliseconds quota_give_up_after{6 * 3600 * 1000};
  // tasks.max_turns_continuations: rounds an attempt that stopped at the
  // agent's turn limit gets to go on (its session resumed) before it fails.
  int max_turns_continuations = 1;
  // logs.max_size: the cap of one attempt's log (agent or verify); 0 = none.
  // 64 MiB holds hours of an agent's JSON events (a long session writes a few
  // MiB), while a runaway agent cannot fill the disk: head and tail are kept.
  uint64_t log_max_bytes = uint64_t{64} << 20;
  // logs.store_max_size: what the store keeps of one round's agent output
  // (first and last half), streamed for `drover logs` on any machine; 0 = the
  // output is not kept in the store.
  uint64_t log_store_max_bytes = uint64_t{8} << 20;
  // disk.min_free: below this many free bytes on a filesystem Drover writes
  // to, it starts no new work (a full disk is waited out, not failed on).
  uint64_t disk_min_free = uint64_t{64} << 20;
  std::string worktree_dir;  // vcs.config.worktree_dir as written ("" = the plugin's default)
  std::optional<VerifyConfig> verify;
  MergeConfig merge;
  // sandbox (a mode) or sandbox.mode; nullopt = enforce where the kernel has
  // Landlock, else detect (docs/agent-sandbox.md).
  std::optional<SandboxMode> sandbox_mode;
  std::string sandbox_where;                     // "drover.yaml:7:10" for messages
  std::vector<std::string> sandbox_write_paths;  // sandbox.write_paths (every agent), absolute
  std::map<std::string, AgentContainment> agent_containment;  // by agent name
  std::vector<std::string> plugin_dirs;  // absolute
  std::string prompt_guidelines;
  std::string prompt_template;  // "" = built-in template
  std::optional<double> budget_usd;
  std::string author_name;
  std::string author_email;

  std::string drover_dir() const { return project_root + "/.drover"; }
  // The configured agent closest to a misspelt name ("" if none is close).
  std::string closest_agent(const std::string& name) const;
};

// Parses YAML text; file_label names the file in messages.
Result<Config> parse_config(const std::string& yaml_text, const std::string& file_label,
                            const std::string& project_root);

// Reads and parses a file.
Result<Config> load_config_file(const std::string& path);

// Finds the config: explicit path, else $DROVER_CONFIG, else drover.yaml in
// start_dir or its nearest parent that has one.
Result<std::string> locate_config(const std::string& explicit_path, const std::string& start_dir);

// Edit distance, for "did you mean" hints.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// The commented drover.yaml that `drover init` writes.
std::string default_config_text(const std::string& target_branch);

}  // namespace drover

#endif
