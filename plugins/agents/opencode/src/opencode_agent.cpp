// The `opencode` agent plugin: runs
//   opencode run --format json [--auto] [-m provider/model] [-s SESSION] [args...] -- PROMPT
// (the prompt on stdin instead when it is too large for one argument) and
// classifies the run from its JSON events: every event carries sessionID;
// step_finish carries tokens, cost and the step's reason ("tool-calls" means
// more steps follow, "stop" is the final answer); text is the answer; an
// `error` event (APIError, ProviderAuthError, ...) is a failure, quota when
// it is a rate limit (statusCode 429 or limit text; the reset from the
// response's retry-after header or body when given), or permanent when a
// retry cannot change it (isRetryable false, statusCode 400/401/403/404,
// ProviderAuthError, an unknown model).
//
// Config: binary (default "opencode"), model ("provider/model"), args, env,
//   pass_env, auto (bool, default false: approve every tool use), resume (bool,
//   default false: on a retry with a session id, continue it with -s).
// Environment: OPENCODE_*, the XDG directories and the common provider keys
// (ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY, GEMINI_API_KEY,
// GOOGLE_GENERATIVE_AI_API_KEY, GROQ_API_KEY, DEEPSEEK_API_KEY, XAI_API_KEY,
// MISTRAL_API_KEY) are passed on, plus pass_env.
#include <memory>
#include <string>

#include "agent_config.h"
#include "agent_protocol.h"
#include "drover/plugin/sdk.hpp"
#include "permanent_error.h"
#include "quota_text.h"

namespace drover::agents {
namespace {

constexpr const char* kName = "opencode";

struct OpencodeSettings {
  std::string binary = "opencode";
  std::string model;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::vector<std::string> pass_env;
  bool auto_approve = false;
  bool resume = false;

  static OpencodeSettings load(std::string_view yaml) {
    AgentConfig c(kName, yaml, AgentConfig::with_common_keys({"model", "auto", "resume"}));
    OpencodeSettings s;
    read_common_settings(c, s.binary, s.args, s.env, s.pass_env);
    s.model = c.string("model");
    if (!s.model.empty()) {
      std::size_t slash = s.model.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == s.model.size())
        c.fail("config key 'model' is '" + s.model + "'; opencode wants provider/model, e.g. anthropic/claude-sonnet-4-5");
    }
    s.auto_approve = c.boolean("auto", false);
    s.resume = c.boolean("resume", false);
    return s;
  }
};

class OpencodeRun : public sdk::AgentRun {
 public:
  void line(int stream, std::string_view text) override {
    if (stream == 2) {
      stderr_tail_.add(text);
      return;
    }
    json event = json::parse(text, nullptr, false);
    if (!event.is_object()) return;
    std::string sid = string_field(event, "sessionID");
    if (!sid.empty()) session_id_ = sid;
    std::string type = string_field(event, "type");
    const json* part = event.contains("part") && event["part"].is_object() ? &event["part"] : nullptr;
    if (type == "step_finish" && part != nullptr) {
      ++steps_;
      last_reason_ = string_field(*part, "reason");
      if (auto tokens = part->find("tokens"); tokens != part->end() && tokens->is_object()) {
        add(tokens_in_, *tokens, "input");
        add(tokens_out_, *tokens, "output");
        if (auto cache = tokens->find("cache"); cache != tokens->end() && cache->is_object()) {
          add(tokens_in_, *cache, "read");
          add(tokens_in_, *cache, "write");
        }
      }
      if (auto cost = part->find("cost"); cost != part->end() && cost->is_number())
        cost_ = cost_.value_or(0.0) + cost->get<double>();
    } else if (type == "text" && part != nullptr) {
      std::string t = string_field(*part, "text");
      if (!t.empty()) summary_ = summary_text(t);
    } else if (type == "error") {
      record_error(event);
    }
  }

  std::string finish(std::string_view request) override {
    FinishRequest f = FinishRequest::parse(request);
    AttemptResult r;
    bool finished_answer = steps_ > 0 && last_reason_ != "tool-calls";
    if (!error_.empty()) {
      if (error_status_ == 429 || (!permanent_http_status(error_status_) && mentions_quota(error_))) {
        r.outcome = "quota";
        r.reason = "opencode hit a usage or rate limit: " + error_;
        r.reset_at_ms = quota_reset_ms(error_ + " " + error_details_);
      } else if (not_retryable_ || permanent_http_status(error_status_) || auth_error_ || names_permanent_error(error_)) {
        r.outcome = "permanent";
        r.reason = "opencode got an error that a retry cannot change" +
                   (error_status_ != 0 ? " (HTTP " + std::to_string(error_status_) + ")" : std::string()) + ": " +
                   error_ + "; check the model name, the API key and the request";
      } else {
        r.outcome = "failure";
        r.reason = "opencode reported an error: " + error_;
      }
    } else if (finished_answer && last_reason_ == "length") {
      r.outcome = "failure";
      r.reason = "the model stopped at its output length limit";
    } else if (finished_answer && (!f.exit_code || *f.exit_code == 0)) {
      r.outcome = "success";
    } else if (finished_answer) {
      r.outcome = "failure";
      r.reason = "opencode " + f.how_it_ended() + " after its final answer" +
                 (stderr_tail_.empty() ? "" : "; last stderr: " + stderr_tail_.joined());
    } else if (steps_ > 0 && f.exit_code && !f.timed_out && !f.inactive && !f.cancelled) {
      r.outcome = "failure";
      r.reason = "opencode " + f.how_it_ended() + " in the middle of its work (last step ended with tool calls)" +
                 (stderr_tail_.empty() ? "" : "; last stderr: " + stderr_tail_.joined());
    } else {
      r = ended_without_result("opencode", f, stderr_tail_, "a finished step");
    }
    r.summary = summary_;
    if (!session_id_.empty()) r.session_id = session_id_;
    if (steps_ > 0) r.turns = steps_;
    r.tokens_in = tokens_in_;
    r.tokens_out = tokens_out_;
    r.cost_usd = cost_;
    return r.to_json();
  }

 private:
  void record_error(const json& event) {
    auto e = event.find("error");
    if (e == event.end()) {
      error_ = "unknown error";
      return;
    }
    if (e->is_string()) {
      error_ = truncate_text(e->get<std::string>(), 2000);
      return;
    }
    if (!e->is_object()) return;
    std::string name = string_field(*e, "name");
    std::string message = string_field(*e, "message");
    auth_error_ = name == "ProviderAuthError";
    if (auto data = e->find("data"); data != e->end() && data->is_object()) {
      if (message.empty()) message = string_field(*data, "message");
      if (auto code = data->find("statusCode"); code != data->end() && code->is_number_integer())
        error_status_ = code->get<int>();
      if (auto retryable = data->find("isRetryable"); retryable != data->end() && retryable->is_boolean())
        not_retryable_ = !retryable->get<bool>();
      // The response's headers (retry-after) and body (resets_in_seconds) hold
      // the exact reset of a limit.
      error_details_.clear();
      if (auto headers = data->find("responseHeaders"); headers != data->end() && headers->is_object())
        error_details_ += headers->dump();
      error_details_ += " " + string_field(*data, "responseBody");
      error_details_ = truncate_text(error_details_, 8000);
    }
    error_ = truncate_text((name.empty() ? "" : name + ": ") + (message.empty() ? "no message" : message), 2000);
  }

  static void add(std::optional<int64_t>& total, const json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number()) return;
    total = total.value_or(0) + static_cast<int64_t>(it->get<double>());
  }

  std::string session_id_, summary_, last_reason_, error_, error_details_;
  int error_status_ = 0;
  bool not_retryable_ = false, auth_error_ = false;
  int64_t steps_ = 0;
  std::optional<int64_t> tokens_in_, tokens_out_;
  std::optional<double> cost_;
  OutputTail stderr_tail_;
};

class OpencodeAgent : public sdk::Agent {
 public:
  static void check_config(std::string_view yaml) { OpencodeSettings::load(yaml); }
  OpencodeAgent(std::string_view yaml, std::string_view /*context*/) : s_(OpencodeSettings::load(yaml)) {}

  std::string build_command(std::string_view request_text) override {
    AttemptRequest request = AttemptRequest::parse(request_text);
    AgentCommand c;
    c.argv = {s_.binary, "run", "--format", "json"};
    if (s_.auto_approve) c.argv.push_back("--auto");
    if (!s_.model.empty()) c.argv.insert(c.argv.end(), {"-m", s_.model});
    if (s_.resume && !request.session_id.empty()) c.argv.insert(c.argv.end(), {"-s", request.session_id});
    c.argv.insert(c.argv.end(), s_.args.begin(), s_.args.end());
    if (request.prompt.size() <= kMaxPromptArgBytes) {
      c.argv.insert(c.argv.end(), {"--", request.prompt});
    } else {
      c.prompt_on_stdin = true;  // opencode run reads a piped stdin as the message
    }
    c.env = s_.env;
    c.pass_env = {"OPENCODE_*",       "XDG_CONFIG_HOME", "XDG_DATA_HOME",      "XDG_STATE_HOME",
                  "XDG_CACHE_HOME",   "ANTHROPIC_API_KEY", "OPENAI_API_KEY",   "OPENROUTER_API_KEY",
                  "GEMINI_API_KEY",   "GOOGLE_GENERATIVE_AI_API_KEY", "GROQ_API_KEY", "DEEPSEEK_API_KEY",
                  "XAI_API_KEY",      "MISTRAL_API_KEY"};
    c.pass_env.insert(c.pass_env.end(), s_.pass_env.begin(), s_.pass_env.end());
    // Its XDG data (sessions, auth), config, cache and state, writable under Drover's sandbox.
    add_paths(c.write_paths, {xdg_path(c.env, "XDG_DATA_HOME", ".local/share", "opencode"),
                              xdg_path(c.env, "XDG_CONFIG_HOME", ".config", "opencode"),
                              xdg_path(c.env, "XDG_CACHE_HOME", ".cache", "opencode"),
                              xdg_path(c.env, "XDG_STATE_HOME", ".local/state", "opencode")});
    return c.to_json();
  }

  std::unique_ptr<sdk::AgentRun> begin_run(std::string_view) override { return std::make_unique<OpencodeRun>(); }

  std::string requirements(std::string_view) override {
    return json{{"binary", s_.binary}, {"version_args", {"--version"}}, {"install_hint", "npm install -g opencode-ai"}}
        .dump();
  }

 private:
  OpencodeSettings s_;
};

}  // namespace
}  // namespace drover::agents

DROVER_AGENT_PLUGIN(drover::agents::OpencodeAgent, "opencode", "1.0.0")
