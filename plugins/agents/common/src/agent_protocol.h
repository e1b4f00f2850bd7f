// The JSON messages of the agent plugin contract (plugin/agent.h) as structs:
// the attempt request, the run_finish request and the attempt result, plus the
// command description build_command returns. Header-only, shared by the agent
// plugins in this directory.
//
// Contract additions (JSON is extensible):
//   build_command response "pass_env": [name, ...] names of Drover's own
//     environment variables the agent CLI needs (API keys); the host adds them
//     to its allow-list, so secrets travel by name only.
//   build_command response "write_paths": [dir, ...] and "write_files": [file, ...]
//     where the agent CLI keeps its own state; writable under the sandbox
//     (directories are created when missing; files only when they exist).
//   run_finish request "cancelled": bool  the host stopped the run on purpose.
//   run_finish response "stop_reason": "max_turns" when the agent stopped at its
//     turn limit (agent.h, ABI 1.2).
#ifndef DROVER_AGENTS_COMMON_AGENT_PROTOCOL_H
#define DROVER_AGENTS_COMMON_AGENT_PROTOCOL_H

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drover/plugin/duration_text.hpp"
#include "drover/plugin/sdk.hpp"

namespace drover::agents {

using nlohmann::json;

// Linux refuses a single argv string of 128 KiB or more (MAX_ARG_STRLEN); a
// prompt above this goes to the agent on stdin (or via its file) instead.
constexpr std::size_t kMaxPromptArgBytes = 100 * 1024;

inline json parse_request(std::string_view text, const char* what) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) throw sdk::Error(DROVER_INVALID_ARGUMENT, std::string(what) + ": the request is not a JSON object");
  return j;
}

inline std::string string_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct AttemptRequest {
  std::string task_id;
  int64_t attempt = 1;
  std::string prompt;
  std::string prompt_file;
  std::string worktree;
  std::string session_id;  // empty: none
  std::string log_file;
  std::string round = "work";  // work | resolve | fix

  static AttemptRequest parse(std::string_view text) {
    json j = parse_request(text, "build_command");
    AttemptRequest r;
    r.task_id = string_field(j, "task_id");
    if (j.contains("attempt") && j["attempt"].is_number_integer()) r.attempt = j["attempt"].get<int64_t>();
    r.prompt = string_field(j, "prompt");
    r.prompt_file = string_field(j, "prompt_file");
    r.worktree = string_field(j, "worktree");
    r.session_id = string_field(j, "session_id");
    r.log_file = string_field(j, "log_file");
    if (std::string round = string_field(j, "round"); !round.empty()) r.round = round;
    return r;
  }
};

struct FinishRequest {
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  bool inactive = false;
  bool cancelled = false;
  bool stop_requested = false;  // ABI 1.2: the plugin's run_should_stop asked
  int64_t duration_ms = 0;

  static FinishRequest parse(std::string_view text) {
    json j = parse_request(text, "run_finish");
    FinishRequest r;
    if (j.contains("exit_code") && j["exit_code"].is_number_integer()) r.exit_code = j["exit_code"].get<int>();
    if (j.contains("signal") && j["signal"].is_number_integer()) r.signal = j["signal"].get<int>();
    r.timed_out = j.value("timed_out", false);
    r.inactive = j.value("inactive", false);
    r.cancelled = j.value("cancelled", false);
    r.stop_requested = j.value("stop_requested", false);
    if (j.contains("duration_ms") && j["duration_ms"].is_number()) r.duration_ms = j["duration_ms"].get<int64_t>();
    return r;
  }

  // "exited with code 3" / "was killed by signal 9"
  std::string how_it_ended() const {
    if (exit_code) return "exited with code " + std::to_string(*exit_code);
    if (signal) return "was killed by signal " + std::to_string(*signal);
    return "ended";
  }
};

struct AttemptResult {
  std::string outcome = "crashed";
  std::string reason;
  std::string summary;
  std::optional<std::string> session_id;
  std::optional<int64_t> turns, tokens_in, tokens_out, reset_at_ms;
  std::optional<double> cost_usd;  // null when the agent reports none
  std::string stop_reason;         // "max_turns", or empty

  std::string to_json() const {
    auto opt = [](const auto& v) { return v ? json(*v) : json(); };
    json j{{"outcome", outcome},
           {"reason", reason},
           {"summary", summary},
           {"session_id", opt(session_id)},
           {"turns", opt(turns)},
           {"tokens_in", opt(tokens_in)},
           {"tokens_out", opt(tokens_out)},
           {"cost_usd", opt(cost_usd)},
           {"reset_at_ms", opt(reset_at_ms)}};
    if (!stop_reason.empty()) j["stop_reason"] = stop_reason;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
};

// The command one attempt runs (build_command response).
struct AgentCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::vector<std::string> pass_env;
  bool prompt_on_stdin = false;
  std::vector<std::string> write_paths;  // the CLI's state directories (absolute)
  std::vector<std::string> write_files;  // single state files (absolute)

  std::string to_json() const {
    json j{{"argv", argv}, {"env", env}, {"pass_env", pass_env}, {"stdin", prompt_on_stdin ? "prompt" : "null"},
           {"cwd", nullptr}, {"write_paths", write_paths}, {"write_files", write_files}};
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
};

// The agent's view of a variable: its `env:` setting first, else Drover's own
// environment (which the host passes on for the allowed names).
inline std::string agent_variable(const std::map<std::string, std::string>& env, const char* name) {
  if (auto it = env.find(name); it != env.end()) return it->second;
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// $HOME/<rest>, or "" when HOME is unknown (then nothing is added).
inline std::string home_path(const std::map<std::string, std::string>& env, const std::string& rest) {
  std::string home = agent_variable(env, "HOME");
  return home.empty() || home[0] != '/' ? std::string() : home + "/" + rest;
}

// An XDG base directory ($XDG_DATA_HOME etc., else its default under HOME) + "/" + app.
inline std::string xdg_path(const std::map<std::string, std::string>& env, const char* variable,
                            const std::string& default_under_home, const std::string& app) {
  std::string base = agent_variable(env, variable);
  if (base.empty() || base[0] != '/') base = home_path(env, default_under_home);
  return base.empty() ? std::string() : base + "/" + app;
}

// Adds the non-empty paths.
inline void add_paths(std::vector<std::string>& to, std::initializer_list<std::string> paths) {
  for (const std::string& p : paths)
    if (!p.empty()) to.push_back(p);
}

// Lines agent CLIs print on stderr on every run, which explain nothing about a
// failure (Codex 0.169: its PATH-alias warning and its note that it reads
// stdin). A failure reason leaves them out.
inline bool is_noise_line(std::string_view line) {
  for (std::string_view prefix : {std::string_view("WARNING: proceeding, even though we could not create PATH aliases"),
                                  std::string_view("Reading additional input from stdin...")}) {
    if (line.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

// Keeps the last few stderr lines (bounded, known noise left out) to explain a crash.
class OutputTail {
 public:
  explicit OutputTail(std::size_t max_lines = 5, std::size_t max_line_bytes = 400)
      : max_lines_(max_lines), max_line_bytes_(max_line_bytes) {}
  void add(std::string_view line) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos || is_noise_line(line)) return;
    lines_.emplace_back(line.substr(0, max_line_bytes_));
    if (lines_.size() > max_lines_) lines_.pop_front();
  }
  std::string joined() const {
    std::string out;
    for (const auto& l : lines_) out += (out.empty() ? "" : " | ") + l;
    return out;
  }
  // The lines as they were, one per line (an agent's final words).
  std::string text() const {
    std::string out;
    for (const auto& l : lines_) out += (out.empty() ? "" : "\n") + l;
    return out;
  }
  bool empty() const { return lines_.empty(); }

 private:
  std::size_t max_lines_, max_line_bytes_;
  std::deque<std::string> lines_;
};

inline std::string truncate_text(std::string s, std::size_t max_bytes = 4000) {
  if (s.size() > max_bytes) {
    s.resize(max_bytes);
    s += "...";
  }
  return s;
}

// An agent's final message as the result's summary: a long one keeps its
// beginning and its end, where the verdict line (DROVER-RESULT) is, cut on
// UTF-8 character boundaries.
inline std::string summary_text(const std::string& s, std::size_t max_bytes = 4000) {
  if (s.size() <= max_bytes) return s;
  auto boundary = [&](std::size_t i) {
    while (i > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    return i;
  };
  const std::size_t head = boundary(max_bytes / 2);
  const std::size_t tail = boundary(s.size() - max_bytes / 2 + 8);
  return s.substr(0, head) + "\n...\n" + s.substr(tail);
}

// The outcome when an agent ended without its final structured event.
inline AttemptResult ended_without_result(const std::string& agent, const FinishRequest& f, const OutputTail& stderr_tail,
                                          const std::string& missing_event) {
  AttemptResult r;
  std::string tail = stderr_tail.empty() ? "" : "; last stderr: " + stderr_tail.joined();
  if (f.timed_out) {
    r.outcome = "timeout";
    r.reason = agent + " was stopped by the task timeout after " + sdk::duration_text(f.duration_ms) + tail;
  } else if (f.inactive) {
    r.outcome = "timeout";
    r.reason = agent + " was stopped after producing no output for too long (inactivity timeout)" + tail;
  } else if (f.cancelled) {
    r.outcome = "crashed";
    r.reason = agent + " was stopped by drover before it finished";
  } else {
    r.outcome = "crashed";
    r.reason = agent + " " + f.how_it_ended() + " without " + missing_event + tail;
  }
  return r;
}

// Validates environment variable names from the `env` and `pass_env` keys.
inline bool valid_env_name(const std::string& name, bool allow_trailing_star) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9') ||
              (allow_trailing_star && c == '*' && i + 1 == name.size() && i > 0);
    if (!ok) return false;
  }
  return true;
}

}  // namespace drover::agents

#endif
