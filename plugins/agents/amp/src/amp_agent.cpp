// The `amp` agent plugin: runs Amp in execute mode,
//   amp [threads continue THREAD] -x --stream-json [--dangerously-allow-all] [-m MODE] [args...]
// with the prompt on stdin. Amp's --stream-json output has Claude Code's
// format, so the run is classified by the same parser (claude_stream.h).
//
// Config: binary (default "amp"), mode (Amp's agent mode, e.g. smart or rush;
//   Amp picks its models itself, so there is no `model` key), args, env,
//   pass_env, dangerously_allow_all (bool), resume (bool, default false: on a
//   retry with a thread id, continue that thread).
// Environment: AMP_* is passed on from Drover's environment (plus pass_env).
#include <memory>
#include <string>

#include "agent_config.h"
#include "agent_protocol.h"
#include "claude_stream.h"
#include "drover/plugin/sdk.hpp"

namespace drover::agents {
namespace {

constexpr const char* kName = "amp";

struct AmpSettings {
  std::string binary = "amp";
  std::string mode;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::vector<std::string> pass_env;
  bool allow_all = false;
  bool resume = false;

  static AmpSettings load(std::string_view yaml) {
    AgentConfig c(kName, yaml, AgentConfig::with_common_keys({"model", "mode", "dangerously_allow_all", "resume"}));
    if (c.has("model"))
      c.fail("config key 'model' is not supported: Amp chooses its models itself; use 'mode' (e.g. smart or rush)");
    AmpSettings s;
    read_common_settings(c, s.binary, s.args, s.env, s.pass_env);
    s.mode = c.string("mode");
    s.allow_all = c.boolean("dangerously_allow_all", false);
    s.resume = c.boolean("resume", false);
    return s;
  }
};

class AmpAgent : public sdk::Agent {
 public:
  static void check_config(std::string_view yaml) { AmpSettings::load(yaml); }
  AmpAgent(std::string_view yaml, std::string_view /*context*/) : s_(AmpSettings::load(yaml)) {}

  std::string build_command(std::string_view request_text) override {
    AttemptRequest request = AttemptRequest::parse(request_text);
    AgentCommand c;
    c.argv = {s_.binary};
    if (s_.resume && !request.session_id.empty()) c.argv.insert(c.argv.end(), {"threads", "continue", request.session_id});
    c.argv.insert(c.argv.end(), {"-x", "--stream-json"});
    if (s_.allow_all) c.argv.push_back("--dangerously-allow-all");
    if (!s_.mode.empty()) c.argv.insert(c.argv.end(), {"-m", s_.mode});
    c.argv.insert(c.argv.end(), s_.args.begin(), s_.args.end());
    c.prompt_on_stdin = true;
    c.env = s_.env;
    c.pass_env = {"AMP_*"};
    c.pass_env.insert(c.pass_env.end(), s_.pass_env.begin(), s_.pass_env.end());
    // Its settings, threads and cache, writable under Drover's sandbox.
    // (Drover passes no XDG_* variables to amp, so it uses the defaults under HOME.)
    add_paths(c.write_paths, {home_path(c.env, ".config/amp"), home_path(c.env, ".local/share/amp"),
                              home_path(c.env, ".cache/amp")});
    return c.to_json();
  }

  std::unique_ptr<sdk::AgentRun> begin_run(std::string_view) override { return std::make_unique<ClaudeStreamRun>("Amp"); }

  std::string requirements(std::string_view) override {
    return json{{"binary", s_.binary}, {"version_args", {"--version"}}, {"install_hint", "npm install -g @sourcegraph/amp"}}
        .dump();
  }

 private:
  AmpSettings s_;
};

}  // namespace
}  // namespace drover::agents

DROVER_AGENT_PLUGIN(drover::agents::AmpAgent, "amp", "1.0.0")
