// The `claude` agent plugin: runs Claude Code headless,
//   claude -p [--allowedTools T...] --output-format stream-json --verbose
//          [--model M] (--permission-mode P | --dangerously-skip-permissions)
//          [--max-turns N] [--append-system-prompt S] [--resume SESSION] [args...] -- PROMPT
// and classifies the run from its final `result` event (claude_stream.h).
//
// Config: binary (default "claude"), model, args, env, pass_env,
//   permission_mode (default acceptEdits), dangerously_skip_permissions (bool),
//   max_turns, append_system_prompt, allowed_tools (list), resume (bool, default
//   false: on a retry with a session id, continue that session),
//   stop_after_api_retries (default 4) and stop_at_api_retry_delay (default
//   30s): when Claude Code's own retries of a rate limit (429) or overload
//   (529) reach either, the attempt is stopped and becomes a quota pause
//   (claude_stream.h); 0 turns a threshold off.
// Environment: ANTHROPIC_*, CLAUDE_CODE_* and CLAUDE_CONFIG_DIR are passed on
// from Drover's environment (plus pass_env). Claude Code refuses to skip
// permissions as root unless IS_SANDBOX=1, so that is set when running as root.
// A prompt too large for one argument goes on stdin (claude -p reads it there).
#include <unistd.h>

#include <memory>
#include <set>
#include <string>

#include "agent_config.h"
#include "agent_protocol.h"
#include "claude_stream.h"
#include "drover/plugin/sdk.hpp"

namespace drover::agents {
namespace {

constexpr const char* kName = "claude";

struct ClaudeSettings {
  std::string binary = "claude";
  std::string model;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::vector<std::string> pass_env;
  std::string permission_mode = "acceptEdits";
  bool skip_permissions = false;
  std::optional<int64_t> max_turns;
  std::string append_system_prompt;
  std::vector<std::string> allowed_tools;
  bool resume = false;
  RetryLimits retry;

  static ClaudeSettings load(std::string_view yaml) {
    AgentConfig c(kName, yaml,
                  AgentConfig::with_common_keys({"model", "permission_mode", "dangerously_skip_permissions", "max_turns",
                                                 "append_system_prompt", "allowed_tools", "resume",
                                                 "stop_after_api_retries", "stop_at_api_retry_delay"}));
    ClaudeSettings s;
    read_common_settings(c, s.binary, s.args, s.env, s.pass_env);
    s.model = c.string("model");
    s.skip_permissions = c.boolean("dangerously_skip_permissions", false);
    if (s.skip_permissions && c.has("permission_mode"))
      c.fail("set either 'permission_mode' or 'dangerously_skip_permissions', not both");
    s.permission_mode = c.string("permission_mode", s.permission_mode);
    static const std::set<std::string> modes = {"acceptEdits", "bypassPermissions", "default", "dontAsk", "plan"};
    if (modes.count(s.permission_mode) == 0)
      c.fail("config key 'permission_mode' is '" + s.permission_mode +
             "'; use one of acceptEdits, bypassPermissions, default, dontAsk, plan");
    s.max_turns = c.integer("max_turns", 1);
    s.append_system_prompt = c.string("append_system_prompt");
    s.allowed_tools = c.string_list("allowed_tools");
    s.resume = c.boolean("resume", false);
    s.retry.stop_after_retries = c.integer("stop_after_api_retries", 0).value_or(s.retry.stop_after_retries);
    s.retry.stop_at_delay_ms = c.duration_ms("stop_at_api_retry_delay").value_or(s.retry.stop_at_delay_ms);
    return s;
  }
};

class ClaudeAgent : public sdk::Agent {
 public:
  static void check_config(std::string_view yaml) { ClaudeSettings::load(yaml); }
  ClaudeAgent(std::string_view yaml, std::string_view /*context*/) : s_(ClaudeSettings::load(yaml)) {}

  std::string build_command(std::string_view request_text) override {
    AttemptRequest request = AttemptRequest::parse(request_text);
    AgentCommand c;
    c.argv = {s_.binary, "-p"};
    if (!s_.allowed_tools.empty()) {
      // Variadic option: it is followed by another option, never by the prompt.
      c.argv.push_back("--allowedTools");
      c.argv.insert(c.argv.end(), s_.allowed_tools.begin(), s_.allowed_tools.end());
    }
    c.argv.insert(c.argv.end(), {"--output-format", "stream-json", "--verbose"});
    if (!s_.model.empty()) c.argv.insert(c.argv.end(), {"--model", s_.model});
    if (s_.skip_permissions) {
      c.argv.push_back("--dangerously-skip-permissions");
    } else {
      c.argv.insert(c.argv.end(), {"--permission-mode", s_.permission_mode});
    }
    if (s_.max_turns) c.argv.insert(c.argv.end(), {"--max-turns", std::to_string(*s_.max_turns)});
    if (!s_.append_system_prompt.empty()) c.argv.insert(c.argv.end(), {"--append-system-prompt", s_.append_system_prompt});
    if (s_.resume && !request.session_id.empty()) c.argv.insert(c.argv.end(), {"--resume", request.session_id});
    c.argv.insert(c.argv.end(), s_.args.begin(), s_.args.end());
    if (request.prompt.size() <= kMaxPromptArgBytes) {
      c.argv.insert(c.argv.end(), {"--", request.prompt});
    } else {
      c.prompt_on_stdin = true;
    }
    c.env = s_.env;
    bool bypass = s_.skip_permissions || s_.permission_mode == "bypassPermissions";
    if (bypass && ::geteuid() == 0 && c.env.count("IS_SANDBOX") == 0) c.env["IS_SANDBOX"] = "1";
    c.pass_env = {"ANTHROPIC_*", "CLAUDE_CODE_*", "CLAUDE_CONFIG_DIR"};
    c.pass_env.insert(c.pass_env.end(), s_.pass_env.begin(), s_.pass_env.end());
    // Its state, writable under Drover's sandbox: the config dir, its locks,
    // logs and caches, and ~/.claude.json (rewritten in place: Claude Code
    // falls back to a direct write when it cannot make its temp file in ~).
    std::string config_dir = agent_variable(c.env, "CLAUDE_CONFIG_DIR");
    add_paths(c.write_paths, {config_dir.empty() || config_dir[0] != '/' ? home_path(c.env, ".claude") : config_dir,
                              home_path(c.env, ".local/state/claude"), home_path(c.env, ".cache/claude"),
                              home_path(c.env, ".cache/claude-cli-nodejs")});
    add_paths(c.write_files, {home_path(c.env, ".claude.json"), home_path(c.env, ".claude.json.backup")});
    return c.to_json();
  }

  std::unique_ptr<sdk::AgentRun> begin_run(std::string_view) override {
    return std::make_unique<ClaudeStreamRun>("Claude Code", ClaudeStreamOptions{s_.retry, s_.max_turns});
  }

  std::string requirements(std::string_view) override {
    return json{{"binary", s_.binary},
                {"version_args", {"--version"}},
                {"install_hint", "npm install -g @anthropic-ai/claude-code"}}
        .dump();
  }

 private:
  ClaudeSettings s_;
};

}  // namespace
}  // namespace drover::agents

DROVER_AGENT_PLUGIN(drover::agents::ClaudeAgent, "claude", "1.0.0")
