// A PostgreSQL cluster of the test's own (scripts/start-postgres.sh with its
// own directory and port), which the test may stop, kill -9 and restart
// without disturbing the server the other suites share.
#ifndef DROVER_TESTS_FAULTS_OWN_POSTGRES_H
#define DROVER_TESTS_FAULTS_OWN_POSTGRES_H

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "command.h"

namespace drover::testing {

class OwnPostgres {
 public:
  // Empty reason: the machine can run a cluster.
  static std::string unavailable_reason() {
    if (!std::filesystem::exists("/usr/lib/postgresql/15/bin/initdb"))
      return "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)";
    return "";
  }

  explicit OwnPostgres(const std::string& dir) : dir_(dir) {
    // Below Linux's ephemeral range (32768–60999): a port there may be held
    // by any test's outgoing connection at the moment the cluster binds it,
    // and every start attempt then fails (seen once in CI at port 37276).
    std::random_device rd;
    port_ = 20000 + static_cast<int>(rd() % 12000);
  }
  ~OwnPostgres() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Starts (or restarts) the cluster; returns false with the script's output in `error`.
  bool start(std::string* error = nullptr) {
    auto r = run_command({"bash", std::string(DROVER_SOURCE_DIR) + "/scripts/start-postgres.sh"}, "", env());
    if (r.exit_code != 0) {
      if (error) *error = r.out + r.err;
      return false;
    }
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    url_ = out.substr(out.rfind('\n') + 1);
    return true;
  }
  // A clean, fast shutdown (pg_ctl stop -m fast).
  void stop() { run_command({"bash", std::string(DROVER_SOURCE_DIR) + "/scripts/stop-postgres.sh"}, "", env()); }
  // SIGKILL of the postmaster, as a crash or the OOM killer would.
  bool kill9() {
    std::ifstream in(dir_ + "/data/postmaster.pid");
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 0) return false;
    return ::kill(pid, SIGKILL) == 0;
  }
  const std::string& url() const { return url_; }
  std::string storage_yaml(const std::string& schema) const {
    return "storage: { plugin: postgres, config: { url: \"" + url_ + "\", schema: " + schema + " } }";
  }

 private:
  std::map<std::string, std::string> env() const {
    return {{"DROVER_PG_DIR", dir_}, {"DROVER_PG_PORT", std::to_string(port_)}};
  }
  std::string dir_;
  int port_ = 0;
  std::string url_;
};

}  // namespace drover::testing

#endif
