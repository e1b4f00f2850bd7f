#include "git_config.h"

#include <git2.h>
#include <yaml-cpp/yaml.h>

#include "drover/plugin/sdk.hpp"

namespace drover::vcs_git {

std::optional<MergeStrategy> parse_strategy(std::string_view text) {
  if (text == "merge") return MergeStrategy::kMerge;
  if (text == "squash") return MergeStrategy::kSquash;
  if (text == "rebase") return MergeStrategy::kRebase;
  return std::nullopt;
}

const char* strategy_name(MergeStrategy s) {
  switch (s) {
    case MergeStrategy::kMerge: return "merge";
    case MergeStrategy::kSquash: return "squash";
    case MergeStrategy::kRebase: return "rebase";
  }
  return "merge";
}

namespace {

[[noreturn]] void reject(const std::string& key, const std::string& why) {
  throw sdk::Error(DROVER_INVALID_CONFIG, "vcs git: config key '" + key + "' " + why);
}

std::string scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) reject(key, "must be a string");
  return node.as<std::string>();
}

bool boolean(const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) {
    const std::string text = node.as<std::string>();
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
  }
  reject(key, "must be true or false");
}

// text as a whole number from 0 to max (digits only); -1 for anything else.
int whole_number(const std::string& text, int max) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  const int n = std::stoi(text);
  return n <= max ? n : -1;
}

bool has_control_char(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

GitConfig GitConfig::parse(std::string_view yaml) {
  GitConfig config;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw sdk::Error(DROVER_INVALID_CONFIG, std::string("vcs git: config is not valid YAML: ") + e.what());
  }
  if (!root || root.IsNull()) return config;
  if (!root.IsMap()) throw sdk::Error(DROVER_INVALID_CONFIG, "vcs git: config must be a mapping of keys to values");

  for (const auto& item : root) {
    std::string key;
    try {
      key = item.first.as<std::string>();
    } catch (const YAML::Exception&) {
      throw sdk::Error(DROVER_INVALID_CONFIG, "vcs git: config keys must be strings");
    }
    const YAML::Node& value = item.second;
    if (key == "worktree_dir") {
      config.worktree_dir = scalar(value, key);
      if (config.worktree_dir.empty() || has_control_char(config.worktree_dir))
        reject(key, "must be a non-empty path without control characters");
    } else if (key == "merge_strategy") {
      std::string text = scalar(value, key);
      auto s = parse_strategy(text);
      if (!s) reject(key, "must be merge, squash or rebase, not '" + text + "'");
      config.merge_strategy = *s;
    } else if (key == "branch_prefix") {
      config.branch_prefix = scalar(value, key);
      int valid = 0;
      std::string probe = "refs/heads/" + config.branch_prefix + "task";
      if (git_reference_name_is_valid(&valid, probe.c_str()) < 0 || !valid)
        reject(key, "'" + config.branch_prefix + "' does not make valid branch names (try 'drover/')");
    } else if (key == "author_name") {
      config.author_name = scalar(value, key);
      if (config.author_name->empty() || has_control_char(*config.author_name) ||
          config.author_name->find_first_of("<>") != std::string::npos)
        reject(key, "must be a non-empty name without '<', '>' or control characters");
    } else if (key == "author_email") {
      config.author_email = scalar(value, key);
      if (config.author_email->empty() || has_control_char(*config.author_email) ||
          config.author_email->find_first_of("<>") != std::string::npos)
        reject(key, "must be a non-empty e-mail address without '<', '>' or control characters");
    } else if (key == "reuse_worktrees") {
      config.reuse_worktrees = boolean(value, key);
    } else if (key == "keep_ignored") {
      config.keep_ignored = boolean(value, key);
    } else if (key == "worktree_pool_size") {
      std::string text = scalar(value, key);
      const int n = whole_number(text, 256);
      if (n < 0) reject(key, "must be a whole number from 0 to 256, not '" + text + "'");
      config.worktree_pool_size = n;
    } else if (key == "network_timeout") {
      std::string text = scalar(value, key);
      const int n = whole_number(text, 999999);
      if (n < 1) reject(key, "must be a whole number of seconds from 1 to 999999, not '" + text + "'");
      config.network_timeout_s = n;
    } else if (key == "remote") {
      config.remote = scalar(value, key);
      int valid = 0;
      if (config.remote->empty() || has_control_char(*config.remote) ||
          git_remote_name_is_valid(&valid, config.remote->c_str()) < 0 || !valid)
        reject(key, "must name a git remote of the repository (see `git remote -v`), not '" + *config.remote + "'");
    } else {
      reject(key, "is unknown (known keys: worktree_dir, merge_strategy, branch_prefix, author_name, author_email, "
                  "reuse_worktrees, keep_ignored, worktree_pool_size, remote, network_timeout)");
    }
  }
  return config;
}

}  // namespace drover::vcs_git
