// The servers the executors of a NetnsLab reach across their links, run in
// its server namespace: a git daemon (git://10.211.0.1/<repo>) and a
// PostgreSQL cluster (10.211.0.1:5432, trusting the lab's network). Each is
// ready when constructed and gone when destroyed; declare them after the lab
// they run in, so they end before it does.
#ifndef DROVER_TESTS_SUPPORT_NETNS_SERVERS_H
#define DROVER_TESTS_SUPPORT_NETNS_SERVERS_H

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include "command.h"
#include "netns_lab.h"

namespace drover::testing {

// `git daemon` serving every repository under base_path, pushes allowed.
class LabGitDaemon {
 public:
  // Waits (up to 20 s) until executor 1 can list probe_repo; throws otherwise.
  LabGitDaemon(const NetnsLab& lab, const std::string& base_path, const std::string& probe_repo) {
    pid_ = spawn_process(NetnsLab::in(lab.server_ns(), {"git", "daemon", "--reuseaddr", "--export-all",
                                                        "--enable=receive-pack", "--base-path=" + base_path,
                                                        "--listen=" + NetnsLab::server_address(), base_path}),
                         base_path, {{"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"}}, -1, -1, true);
    for (int i = 0; i < 200; ++i) {
      if (run_command(NetnsLab::in(lab.executor_ns(1), {"git", "ls-remote", url(probe_repo)})).exit_code == 0) return;
      ::usleep(100'000);
    }
    stop();
    throw std::runtime_error("the git daemon in the server namespace never answered");
  }
  ~LabGitDaemon() { stop(); }
  LabGitDaemon(const LabGitDaemon&) = delete;
  LabGitDaemon& operator=(const LabGitDaemon&) = delete;

  static std::string url(const std::string& repo) { return "git://" + NetnsLab::server_address() + "/" + repo; }

 private:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  pid_t pid_ = -1;
};

// A cluster of scripts/start-postgres.sh in dir, which must not be under a
// directory the postgres user cannot enter (a mkdtemp directory is 0700).
class LabPostgres {
 public:
  static std::string unavailable_reason() {
    return std::filesystem::exists("/usr/lib/postgresql/15/bin/initdb")
               ? ""
               : "PostgreSQL 15 is not installed (scripts/install-deps.sh installs it)";
  }

  // Throws with the script's output when the cluster does not start.
  LabPostgres(const NetnsLab& lab, std::filesystem::path dir, std::string scripts_dir)
      : dir_(std::move(dir)), scripts_(std::move(scripts_dir)) {
    auto r = run_command(NetnsLab::in(lab.server_ns(), {"bash", scripts_ + "/start-postgres.sh"}), "", env());
    if (r.exit_code != 0) {
      remove();
      throw std::runtime_error("PostgreSQL did not start in the server namespace: " + r.out + r.err);
    }
  }
  ~LabPostgres() {
    run_command({"bash", scripts_ + "/stop-postgres.sh"}, "", env());
    remove();
  }
  LabPostgres(const LabPostgres&) = delete;
  LabPostgres& operator=(const LabPostgres&) = delete;

  static std::string url() { return "postgresql://drover@" + NetnsLab::server_address() + ":5432/drover_test"; }

 private:
  std::map<std::string, std::string> env() const {
    return {{"DROVER_PG_DIR", dir_.string()},
            {"DROVER_PG_PORT", "5432"},
            {"DROVER_PG_LISTEN", NetnsLab::server_address()},
            {"DROVER_PG_TRUST", NetnsLab::network()}};
  }
  void remove() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path dir_;
  std::string scripts_;
};

}  // namespace drover::testing

#endif
