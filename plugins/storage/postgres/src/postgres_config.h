// The postgres storage plugin's configuration (storage.config in drover.yaml):
//
//   url: postgresql://user:password@host:5432/dbname   # default: env DROVER_DATABASE_URL
//   schema: drover                                     # created if missing
//   connect_timeout: 10                                # seconds, per connection attempt
//   network_timeout: 20                                # seconds before a silent connection counts as lost
//
// The url may also be a libpq "key=value" connection string.
#ifndef DROVER_STORAGE_POSTGRES_POSTGRES_CONFIG_H
#define DROVER_STORAGE_POSTGRES_POSTGRES_CONFIG_H

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace drover::postgres {

struct PostgresConfig {
  std::string url;
  std::string schema = "drover";
  int connect_timeout_s = 10;
  // A connection whose sent data goes unacknowledged (tcp_user_timeout) or
  // whose idle link stops answering keepalive probes for this long is dropped,
  // so a network partition shows as "unreachable" in seconds, not after the
  // kernel's ~15 minutes of retransmissions.
  int network_timeout_s = 20;

  // Parses and validates YAML text; throws drover::sdk::Error(DROVER_INVALID_CONFIG).
  static PostgresConfig parse(std::string_view yaml);

  // The libpq connection string: url plus connect_timeout and the network
  // timeout's keepalive and tcp_user_timeout settings (each unless the url sets it).
  std::string conninfo() const;
  // Keepalive probes (both sides): idle this long, then 3 probes this far apart.
  int probe_interval_s() const { return std::max(1, network_timeout_s / 4); }
  // SET statements for the server's side of each connection, from
  // network_timeout: a session that stays idle inside a transaction that long
  // is ended by the server (idle_in_transaction_session_timeout), so a
  // partitioned client never holds its row and advisory locks — and with them
  // every other executor — for longer; and the server probes an idle client
  // like the client probes it (tcp_keepalives_*).
  std::vector<std::string> session_settings() const;
  // "application_name=drover-<schema>", added to the connection string unless the url sets one.
  std::string application_name() const;
  // url with any password replaced by "****": safe for messages and describe.
  std::string masked_url() const;
  // The password in the url ("" if none), to scrub it from messages.
  std::string password() const;
  // "host:port" the url points at, for "cannot reach ..." messages.
  std::string host() const;
};

// Replaces the password in a PostgreSQL URL or key=value string with "****".
std::string mask_password(const std::string& url);

}  // namespace drover::postgres

#endif
