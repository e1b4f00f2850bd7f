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

  // Parses and validates the YAML text. Throws sdk::Error(DROVER_INVALID_CONFIG)
  // naming the offending key for unknown keys and bad values.
  static GitConfig parse(std::string_view yaml);
};

}  // namespace drover::vcs_git

#endif
