// ClaudeStreamRun: parses Claude Code's `--output-format stream-json --verbose`
// output (Amp's `--stream-json` uses the same format) and classifies the run
// from its final `result` event. Every line is parsed as JSON; key order and
// unknown fields do not matter, lines that are not JSON objects are ignored.
//
// Classification of the `result` event:
//   usage/rate limit (api_error_status 429, or limit text) -> quota (+ reset time)
//   subtype error_max_turns                             -> failure
//   is_error / other error subtypes                     -> failure
//   permission_denials not empty                        -> blocked, naming the tools
//   otherwise                                           -> success
// Without a result event: timeout if the host timed it out, else crashed.
#ifndef DROVER_AGENTS_COMMON_CLAUDE_STREAM_H
#define DROVER_AGENTS_COMMON_CLAUDE_STREAM_H

#include <string>
#include <string_view>

#include "agent_protocol.h"
#include "quota_text.h"

namespace drover::agents {

class ClaudeStreamRun : public sdk::AgentRun {
 public:
  explicit ClaudeStreamRun(std::string agent_name) : agent_(std::move(agent_name)) {}

  void line(int stream, std::string_view text) override {
    if (stream == 2) {
      stderr_tail_.add(text);
      return;
    }
    json event = json::parse(text, nullptr, false);
    if (!event.is_object()) return;
    if (auto sid = event.find("session_id"); sid != event.end() && sid->is_string() && !sid->get<std::string>().empty())
      session_id_ = sid->get<std::string>();
    std::string type = string_field(event, "type");
    if (type == "result") {
      result_ = std::move(event);
    } else if (type == "assistant") {
      remember_text(event);
    }
  }

  std::string finish(std::string_view request) override {
    FinishRequest f = FinishRequest::parse(request);
    AttemptResult r = result_.is_object() ? classify(result_)
                                          : ended_without_result(agent_, f, stderr_tail_, "a result event");
    if (!result_.is_object()) {
      // Its own limit message may reach only stderr.
      if (!f.timed_out && !f.inactive && !f.cancelled && mentions_quota(stderr_tail_.joined())) {
        r.outcome = "quota";
        r.reason = agent_ + " hit a usage or rate limit: " + stderr_tail_.joined();
        r.reset_at_ms = quota_reset_ms(stderr_tail_.joined());
      }
      r.summary = truncate_text(last_text_);
    }
    if (!r.session_id && !session_id_.empty()) r.session_id = session_id_;
    return r.to_json();
  }

 private:
  void remember_text(const json& event) {
    auto msg = event.find("message");
    if (msg == event.end() || !msg->is_object()) return;
    auto content = msg->find("content");
    if (content == msg->end() || !content->is_array()) return;
    for (const json& part : *content) {
      if (part.is_object() && string_field(part, "type") == "text") last_text_ = truncate_text(string_field(part, "text"));
    }
  }

  static std::optional<int64_t> integer(const json& j, const char* key) {
    auto it = j.find(key);
    if (it != j.end() && it->is_number()) return static_cast<int64_t>(it->get<double>());
    return std::nullopt;
  }

  AttemptResult classify(const json& res) const {
    AttemptResult r;
    r.session_id = session_id_.empty() ? std::nullopt : std::optional<std::string>(session_id_);
    r.turns = integer(res, "num_turns");
    if (auto cost = res.find("total_cost_usd"); cost != res.end() && cost->is_number()) r.cost_usd = cost->get<double>();
    if (auto usage = res.find("usage"); usage != res.end() && usage->is_object()) {
      // Input includes prompt-cache reads and writes: all of it was sent to the model.
      int64_t in = 0;
      bool any = false;
      for (const char* k : {"input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}) {
        if (auto v = integer(*usage, k)) {
          in += *v;
          any = true;
        }
      }
      if (any) r.tokens_in = in;
      r.tokens_out = integer(*usage, "output_tokens");
    }
    std::string text = res.contains("result") && res["result"].is_string() ? res["result"].get<std::string>() : "";
    r.summary = truncate_text(text.empty() ? last_text_ : text);
    std::string errors;
    if (auto e = res.find("errors"); e != res.end() && e->is_array()) {
      for (const json& item : *e)
        if (item.is_string()) errors += (errors.empty() ? "" : "; ") + item.get<std::string>();
    }
    std::string subtype = string_field(res, "subtype");
    bool is_error = res.value("is_error", false) || subtype.rfind("error", 0) == 0;
    std::optional<int64_t> api_status = integer(res, "api_error_status");
    std::string detail = text.empty() ? errors : (errors.empty() ? text : text + " (" + errors + ")");

    if (is_error && (api_status == 429 || mentions_quota(detail))) {
      r.outcome = "quota";
      r.reason = agent_ + " hit a usage or rate limit: " + truncate_text(detail, 1000);
      r.reset_at_ms = quota_reset_ms(detail);
      return r;
    }
    if (subtype == "error_max_turns") {
      r.outcome = "failure";
      r.reason = agent_ + " stopped at its maximum number of turns" +
                 (r.turns ? " (" + std::to_string(*r.turns) + " turns)" : std::string()) +
                 (errors.empty() ? "" : ": " + errors) + "; raise max_turns or split the task";
      return r;
    }
    if (is_error) {
      r.outcome = "failure";
      r.reason = agent_ + " reported an error" +
                 (api_status ? " (model API status " + std::to_string(*api_status) + ")" : std::string()) +
                 (subtype.empty() || subtype == "success" ? "" : " [" + subtype + "]") +
                 (detail.empty() ? "" : ": " + truncate_text(detail, 1000));
      return r;
    }
    if (auto denials = res.find("permission_denials"); denials != res.end() && denials->is_array() && !denials->empty()) {
      r.outcome = "blocked";
      r.reason = agent_ + " was denied permission for: " + describe_denials(*denials) +
                 "; allow these tools (permission_mode / allowed_tools) or change the task";
      return r;
    }
    r.outcome = "success";
    return r;
  }

  static std::string describe_denials(const json& denials) {
    std::string out;
    for (const json& d : denials) {
      if (!d.is_object()) continue;
      std::string item = string_field(d, "tool_name");
      if (item.empty()) item = "a tool";
      if (auto input = d.find("tool_input"); input != d.end() && input->is_object()) {
        std::string what = string_field(*input, "command");
        if (what.empty()) what = string_field(*input, "file_path");
        if (!what.empty()) item += " (" + truncate_text(what, 200) + ")";
      }
      out += (out.empty() ? "" : ", ") + item;
    }
    return out;
  }

  std::string agent_;
  std::string session_id_;
  std::string last_text_;
  json result_;
  OutputTail stderr_tail_;
};

}  // namespace drover::agents

#endif
