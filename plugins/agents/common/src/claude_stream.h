// ClaudeStreamRun: parses Claude Code's `--output-format stream-json --verbose`
// output (Amp's `--stream-json` uses the same format) and classifies the run
// from its final `result` event. Every line is parsed as JSON; key order and
// unknown fields do not matter, lines that are not JSON objects are ignored.
//
// Classification of the `result` event:
//   usage/rate limit (api_error_status 429, or limit text) -> quota (+ reset time)
//   api_error_status 400/401/403/404, an unknown model  -> permanent
//   subtype error_max_turns                             -> failure, stop_reason max_turns
//   is_error / other error subtypes                     -> failure
//   permission_denials not empty                        -> blocked, naming the tools
//   otherwise                                           -> success
// Without a result event: timeout if the host timed it out, else crashed.
//
// Claude Code retries a refused request by itself and says so with
// {"type":"system","subtype":"api_retry","attempt","retry_delay_ms","error_status"}.
// For 429 (rate limit) and 529 (overloaded) the run asks to be stopped
// (run_should_stop) once the announced delay reaches RetryLimits::stop_at_delay_ms
// or the retry count reaches RetryLimits::stop_after_retries, and is classified
// quota with the reset at the announced retry time: the agent is paused (its
// other tasks too) without using an attempt, instead of sleeping inside an
// attempt until the task timeout. A run that times out while such a retry is
// pending is quota too. {"type":"rate_limit_event","rate_limit_info":
// {"status":"rejected","resetsAt":<epoch s>}} (Claude Code 2.1.45 and later)
// gives the exact reset, preferred over any reset in the text.
#ifndef DROVER_AGENTS_COMMON_CLAUDE_STREAM_H
#define DROVER_AGENTS_COMMON_CLAUDE_STREAM_H

#include <string>
#include <string_view>

#include "agent_protocol.h"
#include "permanent_error.h"
#include "quota_text.h"

namespace drover::agents {

// When a run stops on the agent's own rate-limit retries (0 turns a limit off).
struct RetryLimits {
  int64_t stop_after_retries = 4;    // the 4th retry announced for one request
  int64_t stop_at_delay_ms = 30000;  // a retry announced 30 s or more ahead
};

// What the run is told about the agent's configuration.
struct ClaudeStreamOptions {
  RetryLimits retry;
  std::optional<int64_t> max_turns;  // the configured --max-turns, for the message
};

class ClaudeStreamRun : public sdk::AgentRun {
 public:
  explicit ClaudeStreamRun(std::string agent_name, ClaudeStreamOptions options = {})
      : agent_(std::move(agent_name)), options_(options) {}

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
      // A real answer ends the retries before it; Claude Code's own error
      // message after its last retry (model "<synthetic>", "error") does not.
      if (!event.contains("error")) retry_.reset();
    } else if (type == "system" && string_field(event, "subtype") == "api_retry") {
      remember_retry(event);
    } else if (type == "rate_limit_event") {
      remember_rate_limit(event);
    }
  }

  bool should_stop() override { return stop_; }

  std::string finish(std::string_view request) override {
    FinishRequest f = FinishRequest::parse(request);
    AttemptResult r;
    if (stop_ && retry_) {
      // Stopped at our request, while Claude Code waited to retry a limit.
      r.outcome = "quota";
      r.reason = retry_reason("stopped it so Drover pauses the agent instead");
      r.reset_at_ms = rejected_reset_ms_.value_or(retry_->at_ms);
      r.summary = summary_text(last_text_);
    } else if (result_.is_object()) {
      r = classify(result_);
    } else if ((f.timed_out || f.inactive) && retry_) {
      // The timeout struck while Claude Code slept before a retry.
      r.outcome = "quota";
      r.reason = retry_reason("the attempt's time ran out while it waited");
      r.reset_at_ms = rejected_reset_ms_.value_or(retry_->at_ms);
      r.summary = summary_text(last_text_);
    } else {
      r = ended_without_result(agent_, f, stderr_tail_, "a result event");
      // Its own limit message may reach only stderr.
      if (!f.timed_out && !f.inactive && !f.cancelled && mentions_quota(stderr_tail_.joined())) {
        r.outcome = "quota";
        r.reason = agent_ + " hit a usage or rate limit: " + stderr_tail_.joined();
        r.reset_at_ms = rejected_reset_ms_ ? rejected_reset_ms_ : quota_reset_ms(stderr_tail_.joined());
      }
      r.summary = summary_text(last_text_);
    }
    if (!r.session_id && !session_id_.empty()) r.session_id = session_id_;
    return r.to_json();
  }

 private:
  // The last api_retry announced for a limit (429/529) and not yet answered.
  struct PendingRetry {
    int64_t attempt = 0;
    int64_t delay_ms = 0;
    int64_t at_ms = 0;  // when Claude Code will try again (Unix ms)
    int64_t status = 0;
  };

  void remember_retry(const json& event) {
    std::optional<int64_t> status = integer(event, "error_status");
    if (status != 429 && status != 529) {
      retry_.reset();  // a server or network error: Claude Code's own business
      return;
    }
    PendingRetry p;
    p.status = *status;
    p.attempt = integer(event, "attempt").value_or(retry_ ? retry_->attempt + 1 : 1);
    p.delay_ms = std::max<int64_t>(0, integer(event, "retry_delay_ms").value_or(0));
    p.at_ms = now_ms() + p.delay_ms;
    retry_ = p;
    const RetryLimits& l = options_.retry;
    if ((l.stop_after_retries > 0 && p.attempt >= l.stop_after_retries) ||
        (l.stop_at_delay_ms > 0 && p.delay_ms >= l.stop_at_delay_ms))
      stop_ = true;
  }

  void remember_rate_limit(const json& event) {
    auto info = event.find("rate_limit_info");
    if (info == event.end() || !info->is_object() || string_field(*info, "status") != "rejected") return;
    if (std::optional<int64_t> at = integer(*info, "resetsAt")) rejected_reset_ms_ = *at < 10000000000LL ? *at * 1000 : *at;
  }

  // "Claude Code was refused by the model API (HTTP 429, rate limit) and retried
  // 4 times by itself, the next retry in 8.1s; <what happened>"
  std::string retry_reason(const std::string& what) const {
    return agent_ + " was refused by the model API (HTTP " + std::to_string(retry_->status) +
           (retry_->status == 529 ? ", overloaded" : ", rate limit") + ") and retried " +
           std::to_string(retry_->attempt) + (retry_->attempt == 1 ? " time" : " times") +
           " by itself, the next retry in " + sdk::duration_text(retry_->delay_ms) + "; " + what;
  }

  void remember_text(const json& event) {
    auto msg = event.find("message");
    if (msg == event.end() || !msg->is_object()) return;
    auto content = msg->find("content");
    if (content == msg->end() || !content->is_array()) return;
    for (const json& part : *content) {
      if (part.is_object() && string_field(part, "type") == "text") last_text_ = summary_text(string_field(part, "text"));
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
    r.summary = summary_text(text.empty() ? last_text_ : text);
    std::string errors;
    if (auto e = res.find("errors"); e != res.end() && e->is_array()) {
      for (const json& item : *e)
        if (item.is_string()) errors += (errors.empty() ? "" : "; ") + item.get<std::string>();
    }
    std::string subtype = string_field(res, "subtype");
    bool is_error = res.value("is_error", false) || subtype.rfind("error", 0) == 0;
    std::optional<int64_t> api_status = integer(res, "api_error_status");
    std::string detail = text.empty() ? errors : (errors.empty() ? text : text + " (" + errors + ")");

    bool permanent_status = api_status && permanent_http_status(static_cast<int>(*api_status));
    if (is_error && (api_status == 429 || (!permanent_status && mentions_quota(detail)))) {
      r.outcome = "quota";
      r.reason = agent_ + " hit a usage or rate limit: " + truncate_text(detail, 1000);
      r.reset_at_ms = rejected_reset_ms_ ? rejected_reset_ms_ : quota_reset_ms(detail);
      if (!r.reset_at_ms && retry_) r.reset_at_ms = retry_->at_ms;
      return r;
    }
    if (subtype == "error_max_turns") {
      // One number: the configured limit (num_turns counts differently).
      std::optional<int64_t> limit = options_.max_turns ? options_.max_turns : number_in_parentheses(errors);
      r.outcome = "failure";
      r.stop_reason = "max_turns";
      r.reason = agent_ + " stopped at its turn limit" +
                 (limit ? " (max_turns " + std::to_string(*limit) + ")" : std::string()) +
                 " before it finished; raise max_turns or split the task";
      return r;
    }
    if (is_error && (permanent_status || names_permanent_error(detail))) {
      r.outcome = "permanent";
      r.reason = agent_ + " got an error from the model API that a retry cannot change" +
                 (api_status ? " (HTTP " + std::to_string(*api_status) + ")" : std::string()) + ": " +
                 truncate_text(detail, 1000) + "; check the model name, the API key and the request";
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

  // 1 from "Reached maximum number of turns (1)".
  static std::optional<int64_t> number_in_parentheses(const std::string& text) {
    std::size_t open = text.rfind('(');
    if (open == std::string::npos) return std::nullopt;
    std::size_t k = open + 1;
    while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
    if (k == open + 1 || k >= text.size() || text[k] != ')') return std::nullopt;
    return std::stoll(text.substr(open + 1, k - open - 1));
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
  ClaudeStreamOptions options_;
  std::string session_id_;
  std::string last_text_;
  json result_;
  OutputTail stderr_tail_;
  std::optional<PendingRetry> retry_;
  std::optional<int64_t> rejected_reset_ms_;  // rate_limit_event "rejected": resetsAt
  bool stop_ = false;
};

}  // namespace drover::agents

#endif
