// The `exec` agent plugin: runs a user-given command for each attempt.
//
// Config:
//   command:         [argv...]  required; each element may contain {prompt_file},
//                    {task_id}, {worktree}, {attempt}, {session_id} or {prompt},
//                    replaced inside the element (never split, never a shell)
//   env:             {NAME: value}  set for the command
//   pass_env:        [NAME or PREFIX_*]  variables passed on from Drover's environment
//   prompt_on_stdin: bool  write the prompt to the command's stdin (default false)
//
// Classification: exit code 0 = success, anything else = failure; a timeout is
// "timeout". If the last line on stdout is a JSON object with "status"
// (success|failure|blocked|permanent|quota) it decides instead, with optional "reason",
// "summary", "session_id", "turns", "tokens_in", "tokens_out", "cost_usd",
// "reset_at_ms".
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "agent_config.h"
#include "agent_protocol.h"
#include "drover/plugin/sdk.hpp"
#include "quota_text.h"

namespace drover::agents {
namespace {

constexpr const char* kName = "exec";

struct ExecSettings {
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  std::vector<std::string> pass_env;
  bool prompt_on_stdin = false;

  static ExecSettings load(std::string_view yaml) {
    AgentConfig config(kName, yaml, {"command", "env", "pass_env", "prompt_on_stdin"});
    ExecSettings s;
    if (!config.has("command")) {
      config.fail("config key 'command' is required: the command to run as a list, e.g. command: [\"./agent.sh\", \"{prompt_file}\"]");
    }
    s.command = config.string_list("command");
    if (s.command.empty() || s.command[0].empty()) config.fail("config key 'command' must name a program as its first element");
    read_environment_settings(config, s.env, s.pass_env);
    s.prompt_on_stdin = config.boolean("prompt_on_stdin", false);
    return s;
  }
};

// Replaces {placeholder} tokens inside one argv element; the substituted text
// is not scanned again, and unknown {words} stay as they are.
std::string substitute(const std::string& element, const AttemptRequest& request) {
  std::string out;
  std::size_t i = 0;
  while (i < element.size()) {
    if (element[i] == '{') {
      std::size_t close = element.find('}', i + 1);
      if (close != std::string::npos) {
        std::string_view name(element.data() + i + 1, close - i - 1);
        const std::string* value = nullptr;
        std::string attempt = std::to_string(request.attempt);
        if (name == "prompt_file") value = &request.prompt_file;
        else if (name == "task_id") value = &request.task_id;
        else if (name == "worktree") value = &request.worktree;
        else if (name == "attempt") value = &attempt;
        else if (name == "session_id") value = &request.session_id;
        else if (name == "round") value = &request.round;
        else if (name == "prompt") value = &request.prompt;
        if (value != nullptr) {
          out += *value;
          i = close + 1;
          continue;
        }
      }
    }
    out += element[i++];
  }
  return out;
}

const std::set<std::string>& reported_statuses() {
  static const std::set<std::string> s = {"success", "failure", "blocked", "permanent", "quota"};
  return s;
}

class ExecRun : public sdk::AgentRun {
 public:
  void line(int stream, std::string_view text) override {
    if (stream == 2) {
      stderr_tail_.add(text);
      return;
    }
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;
    stdout_tail_.add(text);
    // Only a line that could be the status object is kept whole.
    last_stdout_ = text.size() <= 256 * 1024 ? std::string(text) : std::string();
  }

  std::string finish(std::string_view request) override {
    FinishRequest f = FinishRequest::parse(request);
    if (f.timed_out || f.inactive || f.cancelled) {
      return ended_without_result("the command", f, stderr_tail_, "finishing").to_json();
    }
    if (auto reported = reported_result()) return reported->to_json();
    AttemptResult r;
    if (f.exit_code && *f.exit_code == 0) {
      r.outcome = "success";
      r.summary = stdout_tail_.text();
      return r.to_json();
    }
    const OutputTail& tail = stderr_tail_.empty() ? stdout_tail_ : stderr_tail_;
    r.outcome = f.exit_code ? "failure" : "crashed";
    r.reason = "the command " + f.how_it_ended() + (tail.empty() ? "" : "; last output: " + tail.joined());
    return r.to_json();
  }

 private:
  std::optional<AttemptResult> reported_result() const {
    json j = json::parse(last_stdout_, nullptr, false);
    if (!j.is_object() || !j.contains("status") || !j["status"].is_string()) return std::nullopt;
    std::string status = j["status"].get<std::string>();
    if (reported_statuses().count(status) == 0) return std::nullopt;
    AttemptResult r;
    r.outcome = status;
    r.reason = string_field(j, "reason");
    r.summary = string_field(j, "summary");
    if (j.contains("session_id") && j["session_id"].is_string()) r.session_id = j["session_id"].get<std::string>();
    auto integer = [&](const char* key) -> std::optional<int64_t> {
      if (j.contains(key) && j[key].is_number()) return static_cast<int64_t>(j[key].get<double>());
      return std::nullopt;
    };
    r.turns = integer("turns");
    r.tokens_in = integer("tokens_in");
    r.tokens_out = integer("tokens_out");
    r.reset_at_ms = integer("reset_at_ms");
    if (j.contains("cost_usd") && j["cost_usd"].is_number()) r.cost_usd = j["cost_usd"].get<double>();
    if (status == "quota" && !r.reset_at_ms) r.reset_at_ms = quota_reset_ms(r.reason);
    if (status != "success" && r.reason.empty()) r.reason = "the command reported status '" + status + "'";
    return r;
  }

  std::string last_stdout_;
  OutputTail stdout_tail_{3};
  OutputTail stderr_tail_;
};

class ExecAgent : public sdk::Agent {
 public:
  static void check_config(std::string_view yaml) { ExecSettings::load(yaml); }
  ExecAgent(std::string_view yaml, std::string_view /*context*/) : settings_(ExecSettings::load(yaml)) {}

  std::string build_command(std::string_view request_text) override {
    AttemptRequest request = AttemptRequest::parse(request_text);
    AgentCommand c;
    for (const std::string& element : settings_.command) c.argv.push_back(substitute(element, request));
    c.env = settings_.env;
    c.pass_env = settings_.pass_env;
    c.prompt_on_stdin = settings_.prompt_on_stdin;
    return c.to_json();
  }

  std::unique_ptr<sdk::AgentRun> begin_run(std::string_view) override { return std::make_unique<ExecRun>(); }

 private:
  ExecSettings settings_;
};

}  // namespace
}  // namespace drover::agents

DROVER_AGENT_PLUGIN(drover::agents::ExecAgent, "exec", "1.0.0")
