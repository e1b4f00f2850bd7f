// AgentConfig: an agent plugin's YAML configuration, validated. Every key must
// be known; an unknown key is rejected naming the closest known one, so a typo
// ("max_turn") fails at `drover check` instead of being silently ignored.
// Header-only, shared by the agent plugins in this directory.
#ifndef DROVER_AGENTS_COMMON_AGENT_CONFIG_H
#define DROVER_AGENTS_COMMON_AGENT_CONFIG_H

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drover/plugin/sdk.hpp"
#include "agent_protocol.h"
#include "quota_text.h"

namespace drover::agents {

// Levenshtein distance, for "did you mean" suggestions.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

inline std::string closest_key(std::string_view key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_distance = SIZE_MAX;
  for (const std::string& k : known) {
    std::size_t d = edit_distance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return best;
}

class AgentConfig {
 public:
  // Keys every agent plugin accepts besides its own.
  static std::vector<std::string> with_common_keys(std::vector<std::string> own) {
    for (const char* k : {"binary", "args", "env", "pass_env"}) own.emplace_back(k);
    return own;
  }

  AgentConfig(std::string plugin, std::string_view yaml, std::vector<std::string> known_keys)
      : plugin_(std::move(plugin)), known_(std::move(known_keys)) {
    try {
      root_ = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      fail("its configuration is not valid YAML: " + std::string(e.what()));
    }
    if (root_.IsNull()) return;
    if (!root_.IsMap()) fail("its configuration must be a mapping of keys to values");
    std::vector<std::string> sorted = known_;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& entry : root_) {
      std::string key = entry.first.as<std::string>();
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      std::string list;
      for (const auto& k : sorted) list += (list.empty() ? "" : ", ") + k;
      fail("unknown config key '" + key + "' (did you mean '" + closest_key(key, known_) + "'? known keys: " + list +
           ")");
    }
  }

  bool has(const std::string& key) const { return root_.IsMap() && root_[key] && !root_[key].IsNull(); }

  std::string string(const std::string& key, const std::string& fallback = "") const {
    return optional_string(key).value_or(fallback);
  }

  std::optional<std::string> optional_string(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    const YAML::Node n = root_[key];
    if (!n.IsScalar()) fail("config key '" + key + "' must be a string");
    return n.as<std::string>();
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    try {
      return root_[key].as<bool>();
    } catch (const YAML::Exception&) {
      fail("config key '" + key + "' must be true or false");
    }
  }

  std::optional<int64_t> integer(const std::string& key, int64_t min_value) const {
    if (!has(key)) return std::nullopt;
    int64_t v = 0;
    try {
      v = root_[key].as<int64_t>();
    } catch (const YAML::Exception&) {
      fail("config key '" + key + "' must be an integer");
    }
    if (v < min_value) fail("config key '" + key + "' must be at least " + std::to_string(min_value));
    return v;
  }

  // A duration written like 500ms, 10s, 30m or 2h ("0" turns it off), in ms.
  std::optional<int64_t> duration_ms(const std::string& key) const {
    std::optional<std::string> text = optional_string(key);
    if (!text) return std::nullopt;
    if (*text == "0") return 0;
    std::optional<int64_t> ms;
    try {
      ms = detail::parse_duration_ms(*text);
    } catch (const std::exception&) {
    }
    bool whole = !text->empty() && text->find_first_not_of("0123456789.smhd ") == std::string::npos;
    if (!ms || !whole) fail("config key '" + key + "' is '" + *text + "', not a duration; write it like 500ms, 10s, 30m or 2h");
    return ms;
  }

  std::vector<std::string> string_list(const std::string& key) const {
    std::vector<std::string> out;
    if (!has(key)) return out;
    const YAML::Node n = root_[key];
    if (!n.IsSequence()) fail("config key '" + key + "' must be a list of strings");
    for (const auto& item : n) {
      if (!item.IsScalar()) fail("config key '" + key + "' must be a list of strings");
      out.push_back(item.as<std::string>());
    }
    return out;
  }

  std::map<std::string, std::string> string_map(const std::string& key) const {
    std::map<std::string, std::string> out;
    if (!has(key)) return out;
    const YAML::Node n = root_[key];
    if (!n.IsMap()) fail("config key '" + key + "' must be a mapping of names to strings");
    for (const auto& entry : n) {
      if (!entry.second.IsScalar()) fail("config key '" + key + "." + entry.first.as<std::string>() + "' must be a string");
      out[entry.first.as<std::string>()] = entry.second.as<std::string>();
    }
    return out;
  }

  // Reports a configuration error as DROVER_INVALID_CONFIG.
  [[noreturn]] void fail(const std::string& what) const {
    throw sdk::Error(DROVER_INVALID_CONFIG, "agent plugin '" + plugin_ + "': " + what);
  }

 private:
  std::string plugin_;
  std::vector<std::string> known_;
  YAML::Node root_;
};

// Reads the environment keys every agent accepts: `env` (variables to set)
// and `pass_env` (names, or PREFIX_*, passed through from Drover's own
// environment), checking each name.
inline void read_environment_settings(const AgentConfig& c, std::map<std::string, std::string>& env,
                                      std::vector<std::string>& pass_env) {
  env = c.string_map("env");
  for (const auto& [name, value] : env)
    if (!valid_env_name(name, false)) c.fail("config key 'env' has an invalid variable name '" + name + "'");
  pass_env = c.string_list("pass_env");
  for (const auto& name : pass_env)
    if (!valid_env_name(name, true)) c.fail("config key 'pass_env' has an invalid variable name '" + name + "'");
}

// Reads the keys every CLI agent accepts (see with_common_keys): `binary`
// (binary holds the default on entry), `args`, `env` and `pass_env`.
inline void read_common_settings(const AgentConfig& c, std::string& binary, std::vector<std::string>& args,
                                 std::map<std::string, std::string>& env, std::vector<std::string>& pass_env) {
  binary = c.string("binary", binary);
  if (binary.empty()) c.fail("config key 'binary' must not be empty");
  args = c.string_list("args");
  read_environment_settings(c, env, pass_env);
}

}  // namespace drover::agents

#endif
