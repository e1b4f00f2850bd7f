// The clean environment for child processes. A child sees only the variables
// named in the allow-list (copied from Drover's own environment) plus the ones
// the caller sets explicitly; everything else Drover inherited (cloud
// credentials, tokens of unrelated tools) stays behind.
//
// Decision on secrets: agent API keys (ANTHROPIC_API_KEY, OPENAI_API_KEY,
// AMP_API_KEY, ...) are NOT in the default list. An agent plugin names the
// variables its CLI needs (build_command response "pass_env", plus the user's
// `pass_env` config key) and the host adds exactly those names. Values are
// never written to logs or error messages, only names.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "drover/process/process_runner.h"

namespace drover {

const std::vector<std::string>& default_environment_allow_list() {
  static const std::vector<std::string> list = {
      "HOME",        "PATH",         "LANG",       "LC_ALL",      "LC_CTYPE",   "TERM",
      "TMPDIR",      "USER",         "LOGNAME",    "SHELL",       "TZ",         "SSL_CERT_FILE",
      "SSL_CERT_DIR",
      // Agents talk to network services; behind a proxy they need these.
      "HTTP_PROXY",  "HTTPS_PROXY",  "NO_PROXY",   "http_proxy",  "https_proxy", "no_proxy",
  };
  return list;
}

namespace {

bool is_prefix_pattern(const std::string& name) { return !name.empty() && name.back() == '*'; }

}  // namespace

std::map<std::string, std::string> build_child_environment(const std::vector<std::string>& allow_list,
                                                           const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  bool any_pattern = false;
  for (const std::string& name : allow_list) {
    if (is_prefix_pattern(name)) {
      any_pattern = true;
      continue;
    }
    if (const char* value = std::getenv(name.c_str()); value != nullptr) env[name] = value;
  }
  // "PREFIX_*" entries match every variable starting with PREFIX_.
  if (any_pattern) {
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      std::string_view kv(*entry);
      std::size_t eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view key = kv.substr(0, eq);
      for (const std::string& name : allow_list) {
        if (!is_prefix_pattern(name)) continue;
        std::string_view prefix(name.data(), name.size() - 1);
        if (key.substr(0, prefix.size()) == prefix) {
          env[std::string(key)] = std::string(kv.substr(eq + 1));
          break;
        }
      }
    }
  }
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

}  // namespace drover
