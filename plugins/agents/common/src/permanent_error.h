// Recognising model API errors that a retry cannot change. An agent whose
// request was refused as malformed (HTTP 400), unauthenticated (401),
// forbidden (403) or aimed at something that does not exist (404, an unknown
// model) gets the same answer the next time: the attempt is classified
// "permanent" and the task fails at once with the agent's message, instead of
// spending every attempt on it. Rate and usage limits (429) are quota, never
// permanent; server errors (5xx) and overload (529) may pass and stay failures.
// Header-only.
#ifndef DROVER_AGENTS_COMMON_PERMANENT_ERROR_H
#define DROVER_AGENTS_COMMON_PERMANENT_ERROR_H

#include <optional>
#include <string_view>

#include "quota_text.h"

namespace drover::agents {

inline bool permanent_http_status(int status) { return status == 400 || status == 401 || status == 403 || status == 404; }

// True when an error message names a permanent model API error: one of the
// statuses above ("API Error: 400 ...", "status 401") or the error types the
// Anthropic and OpenAI APIs give them, or an unknown model. A message that
// mentions a limit is never permanent.
inline bool names_permanent_error(std::string_view message) {
  if (mentions_quota(message)) return false;
  std::string t = lower(message);
  for (const char* phrase : {"invalid_request_error", "authentication_error", "permission_error", "not_found_error",
                             "model not found", "model_not_found", "unknown model", "does not exist",
                             "invalid x-api-key", "invalid api key", "incorrect api key", "unauthorized",
                             "forbidden"}) {
    if (t.find(phrase) != std::string::npos) return true;
  }
  for (const char* lead : {"api error: ", "status ", "status: ", "status code ", "http "}) {
    for (std::size_t p = t.find(lead); p != std::string::npos; p = t.find(lead, p + 1)) {
      std::string_view rest = std::string_view(t).substr(p + std::string_view(lead).size());
      if (rest.size() >= 3 && (rest.size() == 3 || !std::isdigit(static_cast<unsigned char>(rest[3])))) {
        if (rest.substr(0, 3) == "400" || rest.substr(0, 3) == "401" || rest.substr(0, 3) == "403" ||
            rest.substr(0, 3) == "404")
          return true;
      }
    }
  }
  return false;
}

}  // namespace drover::agents

#endif
