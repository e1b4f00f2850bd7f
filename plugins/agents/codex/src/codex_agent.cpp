// The `codex` agent plugin: runs Codex CLI non-interactively,
//   codex exec --json --skip-git-repo-check (-s SANDBOX | --dangerously-bypass-approvals-and-sandbox)
//         [-m MODEL] [-c key=value ...] [args...] [resume THREAD] -- PROMPT
// (or "-" with the prompt on stdin when it is too large for one argument), and
// classifies the run from its JSON events: thread.started (thread id = session),
// turn.completed (usage; success), turn.failed / error (failure, or quota when
// the message is a rate or usage limit; permanent when it is a model API error
// a retry cannot change: HTTP 400/401/403/404, invalid_request_error, an
// unknown model). Codex reports no cost: cost_usd stays null.
//
// Config: binary (default "codex"), model, args, env, pass_env,
//   sandbox (read-only | workspace-write | danger-full-access; default
//   workspace-write) or dangerously_bypass (bool), config (map; each entry
//   becomes `-c key=value`, the value in Codex's TOML syntax), resume (bool,
//   default false: on a retry with a thread id, `codex exec resume THREAD`).
// Environment: OPENAI_* and CODEX_* are passed on (plus pass_env).
// Codex 0.169 has no --full-auto flag; stdin must not stay open (the host
// gives /dev/null or the prompt, then closes it).
#include <memory>
#include <set>
#include <string>

#include "agent_config.h"
#include "agent_protocol.h"
#include "drover/plugin/sdk.hpp"
#include "permanent_error.h"
#include "quota_text.h"

namespace drover::agents {
namespace {

constexpr const char* kName = "codex";

struct CodexSettings {
  std::string binary = "codex";
  std::string model;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::vector<std::string> pass_env;
  std::string sandbox = "workspace-write";
  bool bypass = false;
  std::map<std::string, std::string> config;
  bool resume = false;

  static CodexSettings load(std::string_view yaml) {
    AgentConfig c(kName, yaml, AgentConfig::with_common_keys({"model", "sandbox", "dangerously_bypass", "config", "resume"}));
    CodexSettings s;
    read_common_settings(c, s.binary, s.args, s.env, s.pass_env);
    s.model = c.string("model");
    s.bypass = c.boolean("dangerously_bypass", false);
    if (s.bypass && c.has("sandbox")) c.fail("set either 'sandbox' or 'dangerously_bypass', not both");
    s.sandbox = c.string("sandbox", s.sandbox);
    static const std::set<std::string> sandboxes = {"read-only", "workspace-write", "danger-full-access"};
    if (sandboxes.count(s.sandbox) == 0)
      c.fail("config key 'sandbox' is '" + s.sandbox + "'; use read-only, workspace-write or danger-full-access");
    s.config = c.string_map("config");
    for (const auto& [key, value] : s.config)
      if (key.empty() || key.find('=') != std::string::npos) c.fail("config key 'config' has an invalid entry '" + key + "'");
    s.resume = c.boolean("resume", false);
    return s;
  }
};

// Codex reports API errors as JSON text inside "message"; pull out the words.
std::string error_text(const json& holder) {
  std::string raw = string_field(holder, "message");
  json inner = json::parse(raw, nullptr, false);
  if (inner.is_object() && inner.contains("error") && inner["error"].is_object()) {
    const json& e = inner["error"];
    std::string text = string_field(e, "message");
    std::string kind = string_field(e, "type");
    std::string code = string_field(e, "code");
    std::string tags = kind + (kind.empty() || code.empty() ? "" : ", ") + code;
    if (!text.empty()) return text + (tags.empty() ? "" : " (" + tags + ")");
  }
  return raw;
}

class CodexRun : public sdk::AgentRun {
 public:
  void line(int stream, std::string_view text) override {
    if (stream == 2) {
      stderr_tail_.add(text);
      return;
    }
    json event = json::parse(text, nullptr, false);
    if (!event.is_object()) return;
    std::string type = string_field(event, "type");
    if (type == "thread.started") {
      std::string id = string_field(event, "thread_id");
      if (!id.empty()) thread_id_ = id;
    } else if (type == "turn.completed") {
      completed_ = true;
      failed_ = false;
      ++turns_;
      if (auto usage = event.find("usage"); usage != event.end() && usage->is_object()) {
        add(tokens_in_, *usage, "input_tokens");
        add(tokens_out_, *usage, "output_tokens");
      }
    } else if (type == "turn.failed") {
      failed_ = true;
      ++turns_;
      if (auto e = event.find("error"); e != event.end() && e->is_object()) failure_ = truncate_text(error_text(*e), 2000);
    } else if (type == "error") {
      last_error_ = truncate_text(error_text(event), 2000);
    } else if (type == "item.completed") {
      auto item = event.find("item");
      if (item != event.end() && item->is_object() && string_field(*item, "type") == "agent_message")
        summary_ = summary_text(string_field(*item, "text"));
    }
  }

  std::string finish(std::string_view request) override {
    FinishRequest f = FinishRequest::parse(request);
    AttemptResult r;
    std::string message = !failure_.empty() ? failure_ : last_error_;
    if (failed_ || (!completed_ && !message.empty() && !f.timed_out && !f.inactive && !f.cancelled)) {
      if (mentions_quota(message)) {
        r.outcome = "quota";
        r.reason = "Codex hit a usage or rate limit: " + message;
        r.reset_at_ms = quota_reset_ms(message);
      } else if (names_permanent_error(message)) {
        r.outcome = "permanent";
        r.reason = "Codex got an error from the model API that a retry cannot change: " + message +
                   "; check the model name, the API key and the request";
      } else {
        r.outcome = "failure";
        r.reason = "Codex turn failed: " + (message.empty() ? "no error message" : message);
      }
    } else if (completed_) {
      r.outcome = "success";
    } else {
      r = ended_without_result("Codex", f, stderr_tail_, "a turn.completed event");
      if (r.outcome == "crashed" && !f.cancelled && mentions_quota(stderr_tail_.joined())) {
        r.outcome = "quota";
        r.reason = "Codex hit a usage or rate limit: " + stderr_tail_.joined();
        r.reset_at_ms = quota_reset_ms(stderr_tail_.joined());
      }
    }
    r.summary = summary_;
    if (!thread_id_.empty()) r.session_id = thread_id_;
    if (turns_ > 0) r.turns = turns_;
    r.tokens_in = tokens_in_;
    r.tokens_out = tokens_out_;
    return r.to_json();
  }

 private:
  static void add(std::optional<int64_t>& total, const json& usage, const char* key) {
    auto it = usage.find(key);
    if (it == usage.end() || !it->is_number()) return;
    total = total.value_or(0) + static_cast<int64_t>(it->get<double>());
  }

  std::string thread_id_, summary_, failure_, last_error_;
  bool completed_ = false, failed_ = false;
  int64_t turns_ = 0;
  std::optional<int64_t> tokens_in_, tokens_out_;
  OutputTail stderr_tail_;
};

class CodexAgent : public sdk::Agent {
 public:
  static void check_config(std::string_view yaml) { CodexSettings::load(yaml); }
  CodexAgent(std::string_view yaml, std::string_view /*context*/) : s_(CodexSettings::load(yaml)) {}

  std::string build_command(std::string_view request_text) override {
    AttemptRequest request = AttemptRequest::parse(request_text);
    AgentCommand c;
    c.argv = {s_.binary, "exec", "--json", "--skip-git-repo-check"};
    if (s_.bypass) {
      c.argv.push_back("--dangerously-bypass-approvals-and-sandbox");
    } else {
      c.argv.insert(c.argv.end(), {"-s", s_.sandbox});
    }
    if (!s_.model.empty()) c.argv.insert(c.argv.end(), {"-m", s_.model});
    for (const auto& [key, value] : s_.config) c.argv.insert(c.argv.end(), {"-c", key + "=" + value});
    c.argv.insert(c.argv.end(), s_.args.begin(), s_.args.end());
    if (s_.resume && !request.session_id.empty()) c.argv.insert(c.argv.end(), {"resume", request.session_id});
    if (request.prompt.size() <= kMaxPromptArgBytes) {
      c.argv.insert(c.argv.end(), {"--", request.prompt});
    } else {
      c.argv.push_back("-");  // codex exec reads the prompt from stdin
      c.prompt_on_stdin = true;
    }
    c.env = s_.env;
    c.pass_env = {"OPENAI_*", "CODEX_*"};
    c.pass_env.insert(c.pass_env.end(), s_.pass_env.begin(), s_.pass_env.end());
    // Its state ($CODEX_HOME: config, sessions, logs), writable under Drover's sandbox.
    std::string codex_home = agent_variable(c.env, "CODEX_HOME");
    add_paths(c.write_paths, {codex_home.empty() || codex_home[0] != '/' ? home_path(c.env, ".codex") : codex_home});
    return c.to_json();
  }

  std::unique_ptr<sdk::AgentRun> begin_run(std::string_view) override { return std::make_unique<CodexRun>(); }

  std::string requirements(std::string_view) override {
    return json{{"binary", s_.binary}, {"version_args", {"--version"}}, {"install_hint", "npm install -g @openai/codex"}}
        .dump();
  }

 private:
  CodexSettings s_;
};

}  // namespace
}  // namespace drover::agents

DROVER_AGENT_PLUGIN(drover::agents::CodexAgent, "codex", "1.0.0")
