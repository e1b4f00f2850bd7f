// A real `git daemon` on 127.0.0.1 serving the bare repositories under one
// directory over the git:// protocol, pushes allowed (receive-pack runs the
// repositories' hooks): the network transport the multi-machine tests use.
#ifndef DROVER_TESTS_SUPPORT_GIT_DAEMON_H
#define DROVER_TESTS_SUPPORT_GIT_DAEMON_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "command.h"

namespace drover::testing {

// A TCP port on 127.0.0.1 nobody listens on right now.
inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool accepts_connections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

class GitDaemon {
 public:
  // Serves every repository under base_path as git://127.0.0.1:<port>/<name>.
  explicit GitDaemon(const std::filesystem::path& base_path) {
    for (int tries = 0; tries < 5 && pid_ <= 0; ++tries) {
      port_ = free_loopback_port();
      pid_ = spawn_process({"git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
                            "--base-path=" + base_path.string(), "--listen=127.0.0.1",
                            "--port=" + std::to_string(port_), base_path.string()},
                           base_path.string(), {{"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"}}, -1, -1,
                           true);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < deadline && !accepts_connections(port_)) {
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {  // the port was taken after all
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    if (pid_ <= 0 || !accepts_connections(port_)) throw std::runtime_error("git daemon did not start");
  }
  ~GitDaemon() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  GitDaemon(const GitDaemon&) = delete;
  GitDaemon& operator=(const GitDaemon&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& repo_name) const {
    return "git://127.0.0.1:" + std::to_string(port_) + "/" + repo_name;
  }

 private:
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace drover::testing

#endif
