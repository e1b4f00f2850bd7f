#include "postgres_config.h"

#include <libpq-fe.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <vector>

#include "drover/plugin/sdk.hpp"

namespace drover::postgres {

namespace {
[[noreturn]] void invalid(const std::string& message) {
  throw sdk::Error(DROVER_INVALID_CONFIG, "postgres storage config: " + message);
}

std::string scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) invalid("'" + key + "' must be a string");
  return node.Scalar();
}

// Keepalive probes sent, on either side of a connection, before it counts as dead.
constexpr int kKeepaliveProbes = 3;

// A positive whole number of seconds (at most 6 digits).
int seconds(const YAML::Node& node, const std::string& key) {
  const std::string text = scalar(node, key);
  if (!std::regex_match(text, std::regex("[0-9]{1,6}")) || std::stoi(text) == 0) {
    invalid(key + " must be a positive number of seconds, not '" + text + "'");
  }
  return std::stoi(text);
}

bool is_identifier(const std::string& name) {
  static const std::regex pattern("[A-Za-z_][A-Za-z0-9_]{0,62}");
  return std::regex_match(name, pattern);
}

bool is_uri(const std::string& url) { return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0; }

// For a URI: [offset of user info, offset of '@') or npos when there is none.
size_t userinfo_end(const std::string& url, size_t start) {
  size_t stop = url.find_first_of("/?", start);
  size_t at = url.rfind('@', stop == std::string::npos ? std::string::npos : stop);
  return (at == std::string::npos || at < start) ? std::string::npos : at;
}

std::string value_after(const std::string& text, const std::string& key, const std::string& stops) {
  std::regex pattern("(^|[\\s?&])" + key + "\\s*=\\s*([^" + stops + "]*)");
  std::smatch m;
  if (std::regex_search(text, m, pattern)) return m[2].str();
  return "";
}
}  // namespace

PostgresConfig PostgresConfig::parse(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    invalid(std::string("not valid YAML: ") + e.what());
  }
  PostgresConfig config;
  bool has_url = false;
  if (root.IsDefined() && !root.IsNull()) {
    if (!root.IsMap()) invalid("expected a mapping with the keys url, schema, connect_timeout, network_timeout");
    for (const auto& entry : root) {
      const std::string key = entry.first.Scalar();
      const YAML::Node& value = entry.second;
      if (key == "url") {
        config.url = scalar(value, key);
        has_url = !config.url.empty();
      } else if (key == "schema") {
        config.schema = scalar(value, key);
      } else if (key == "connect_timeout") {
        config.connect_timeout_s = seconds(value, key);
      } else if (key == "network_timeout") {
        config.network_timeout_s = seconds(value, key);
      } else {
        invalid("unknown key '" + key + "' (known keys: url, schema, connect_timeout, network_timeout)");
      }
    }
  }
  if (!has_url) {
    const char* env = std::getenv("DROVER_DATABASE_URL");
    if (env == nullptr || *env == '\0') {
      invalid("no database URL: set storage.config.url in drover.yaml or the environment variable "
              "DROVER_DATABASE_URL, e.g. postgresql://drover@127.0.0.1:5432/drover");
    }
    config.url = env;
  }
  // libpq's own parser, so a malformed url is a config error now, not "unreachable" later.
  char* problem = nullptr;
  PQconninfoOption* options = PQconninfoParse(config.url.c_str(), &problem);
  if (options == nullptr) {
    std::string why = problem != nullptr ? problem : "out of memory";
    PQfreemem(problem);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    std::string secret = config.password();
    if (!secret.empty()) {
      for (size_t at = why.find(secret); at != std::string::npos; at = why.find(secret, at + 4)) {
        why.replace(at, secret.size(), "****");
      }
    }
    invalid("url '" + config.masked_url() + "' is not a PostgreSQL URL or connection string: " + why +
            " (expected e.g. postgresql://user@host:5432/dbname)");
  }
  PQconninfoFree(options);
  if (!is_identifier(config.schema)) {
    invalid("schema '" + config.schema +
            "' is not a valid identifier (letters, digits and '_', not starting with a digit, at most 63)");
  }
  return config;
}

std::string PostgresConfig::conninfo() const {
  // application_name lets an operator (and the tests) tell stores apart in pg_stat_activity.
  // Settings the url already makes are left alone.
  std::vector<std::string> extra;
  if (url.find("connect_timeout") == std::string::npos) {
    extra.push_back("connect_timeout=" + std::to_string(connect_timeout_s));
  }
  // A partition: unacknowledged data, or an idle link whose keepalive probes
  // go unanswered (idle a quarter of the timeout, then 3 probes a quarter apart).
  const int quarter = probe_interval_s();
  const std::pair<const char*, int> network[] = {{"keepalives", 1},
                                                 {"keepalives_idle", quarter},
                                                 {"keepalives_interval", quarter},
                                                 {"keepalives_count", kKeepaliveProbes},
                                                 {"tcp_user_timeout", network_timeout_s * 1000}};
  for (const auto& [name, v] : network)
    if (url.find(std::string(name) + "=") == std::string::npos) extra.push_back(std::string(name) + "=" + std::to_string(v));
  if (url.find("application_name") == std::string::npos) extra.push_back(application_name());
  std::string out = url;
  for (const std::string& setting : extra) {
    if (is_uri(url)) {
      out += (out.find('?') == std::string::npos ? "?" : "&") + setting;
    } else {
      out += " " + setting;
    }
  }
  return out;
}

std::vector<std::string> PostgresConfig::session_settings() const {
  const int quarter = probe_interval_s();
  return {"SET idle_in_transaction_session_timeout = " + std::to_string(network_timeout_s * 1000),
          "SET tcp_keepalives_idle = " + std::to_string(quarter),
          "SET tcp_keepalives_interval = " + std::to_string(quarter), "SET tcp_keepalives_count = " + std::to_string(kKeepaliveProbes)};
}

std::string PostgresConfig::application_name() const { return "application_name=drover-" + schema; }

std::string PostgresConfig::masked_url() const { return mask_password(url); }

std::string PostgresConfig::host() const {
  std::string host;
  std::string port;
  if (is_uri(url)) {
    size_t start = url.find("://") + 3;
    size_t at = userinfo_end(url, start);
    size_t begin = at == std::string::npos ? start : at + 1;
    size_t end = url.find_first_of("/?", begin);
    std::string hostport = url.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    size_t colon = hostport.rfind(':');
    if (colon != std::string::npos && hostport.find(']', colon) == std::string::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
    } else {
      host = hostport;
    }
    size_t query = url.find('?');
    if (query != std::string::npos) {
      std::string q = url.substr(query);
      if (host.empty()) host = value_after(q, "host", "&");
      if (port.empty()) port = value_after(q, "port", "&");
    }
  } else {
    host = value_after(url, "host", "\\s");
    if (host.empty()) host = value_after(url, "hostaddr", "\\s");
    port = value_after(url, "port", "\\s");
  }
  if (host.empty()) host = "localhost";
  if (port.empty()) port = "5432";
  return host + ":" + port;
}

std::string PostgresConfig::password() const {
  if (is_uri(url)) {
    size_t start = url.find("://") + 3;
    size_t at = userinfo_end(url, start);
    size_t colon = url.find(':', start);
    if (at != std::string::npos && colon != std::string::npos && colon < at) return url.substr(colon + 1, at - colon - 1);
    return value_after(url.substr(url.find('?') == std::string::npos ? url.size() : url.find('?')), "password", "&");
  }
  std::smatch m;
  if (std::regex_search(url, m, std::regex("password\\s*=\\s*('((?:[^'\\\\]|\\\\.)*)'|(\\S+))"))) {
    return m[2].matched ? m[2].str() : m[3].str();
  }
  return "";
}

std::string mask_password(const std::string& url) {
  std::string out = url;
  if (is_uri(out)) {
    size_t start = out.find("://") + 3;
    size_t at = userinfo_end(out, start);
    if (at != std::string::npos) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "****");
    }
    size_t query = out.find('?');
    if (query != std::string::npos) {
      std::string q = out.substr(query);
      q = std::regex_replace(q, std::regex("([?&]password=)[^&]*"), "$1****");
      out = out.substr(0, query) + q;
    }
    return out;
  }
  return std::regex_replace(out, std::regex("(password\\s*=\\s*)('([^'\\\\]|\\\\.)*'|\\S+)"), "$1****");
}

}  // namespace drover::postgres
