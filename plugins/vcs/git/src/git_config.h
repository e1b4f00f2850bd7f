// The plugin's configuration (its YAML subtree of drover.yaml).
#ifndef DROVER_VCS_GIT_GIT_CONFIG_H
#define DROVER_VCS_GIT_GIT_CONFIG_H

#include <optional>
#include <string>
#include <string_view>

namespace drover::vcs_git {

enum class MergeStrategy { kMerge, kSquash, kRebase };

// Parses "merge" | "squash" | "rebase"; std::nullopt for anything else.
std::optional<MergeStrategy> parse_strategy(std::string_view text);
const char* strategy_name(MergeStrategy s);

struct GitConfig {
  std::string worktree_dir = ".drover/worktrees";  // relative to the project root unless absolute
  MergeStrategy merge_strategy = MergeStrategy::kMerge;
  std::string branch_prefix = "drover/";
  std::optional<std::string> author_name;
  std::optional<std::string> author_email;
  // Recycled worktrees (worktree_pool.h): a finished task's clean, merged
  // worktree is kept and the next task's is made from it by writing only the
  // files that differ. Ignored files (build caches) survive into the next task
  // only with keep_ignored. The pool holds at most worktree_pool_size
  // worktrees (unset: the host's `workers` when it passes it, else 4).
  bool reuse_worktrees = true;
  bool keep_ignored = false;
  std::optional<int> worktree_pool_size;
  // A remote's name (`git remote`): tasks start from that remote's target
  // branch (fetched) and land by pushing to it with a compare-and-swap, and
  // each task's committed work is pushed under refs/drover/tasks/ so another
  // machine can continue it (git_remote.h). Unset: the local branch.
  std::optional<std::string> remote;
  // Seconds a remote may stay silent before an operation on it fails as
  // unreachable: the connect deadline, and the keepalive and TCP_USER_TIMEOUT
  // bounds of an open connection (socket_stream.h). Not for ssh URLs.
  int network_timeout_s = 20;

  // Parses and validates the YAML text. Throws sdk::Error(DROVER_INVALID_CONFIG)
  // naming the offending key for unknown keys and bad values.
  static GitConfig parse(std::string_view yaml);
};

}  // namespace drover::vcs_git

#endif
