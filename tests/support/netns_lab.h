// NetnsLab: several "machines" on one host, each in its own network
// namespace. A server namespace holds a bridge at 10.211.0.1/24 (where a test
// runs PostgreSQL and a git daemon); each executor namespace reaches it over a
// veth pair at 10.211.0.(10+i). Cutting an executor's link (`ip link set …
// down` on its end) partitions it from the servers the way a pulled cable
// would; healing brings the link and its route back. Everything lives in the
// test's own namespaces, so the addresses never touch the host's network.
// Needs root and iproute2; the destructor kills every process left in the
// namespaces and deletes them.
#ifndef DROVER_TESTS_SUPPORT_NETNS_LAB_H
#define DROVER_TESTS_SUPPORT_NETNS_LAB_H

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "command.h"

namespace drover::testing {

class NetnsLab {
 public:
  // Empty when this machine can build a lab; otherwise why not.
  static std::string unavailable_reason() {
    if (::geteuid() != 0) return "needs root to create network namespaces";
    if (run_command({"ip", "-V"}).exit_code != 0) return "iproute2's `ip` is not installed (scripts/install-deps.sh installs it)";
    return "";
  }

  explicit NetnsLab(int executors) {
    std::random_device rd;
    char tag[8];
    std::snprintf(tag, sizeof tag, "%06x", rd() & 0xffffff);
    prefix_ = std::string("dv") + tag;
    server_ = prefix_ + "-srv";
    must({"ip", "netns", "add", server_});
    must({"ip", "-n", server_, "link", "set", "lo", "up"});
    must({"ip", "-n", server_, "link", "add", "br0", "type", "bridge"});
    must({"ip", "-n", server_, "addr", "add", server_address() + "/24", "dev", "br0"});
    must({"ip", "-n", server_, "link", "set", "br0", "up"});
    for (int i = 1; i <= executors; ++i) {
      const std::string ns = executor_ns(i), here = link_name(i), there = peer_name(i);
      must({"ip", "netns", "add", ns});
      executors_.push_back(ns);
      must({"ip", "-n", ns, "link", "set", "lo", "up"});
      must({"ip", "link", "add", here, "type", "veth", "peer", "name", there});
      must({"ip", "link", "set", here, "netns", ns});
      must({"ip", "link", "set", there, "netns", server_});
      must({"ip", "-n", server_, "link", "set", there, "master", "br0"});
      must({"ip", "-n", server_, "link", "set", there, "up"});
      must({"ip", "-n", ns, "addr", "add", executor_address(i) + "/24", "dev", here});
      must({"ip", "-n", ns, "link", "set", here, "up"});
    }
  }
  ~NetnsLab() {
    for (const auto& ns : executors_) kill_all(ns);
    kill_all(server_);
    for (const auto& ns : executors_) run_command({"ip", "netns", "del", ns});
    run_command({"ip", "netns", "del", server_});
  }
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  const std::string& server_ns() const { return server_; }
  std::string executor_ns(int i) const { return prefix_ + "-e" + std::to_string(i); }
  static std::string server_address() { return "10.211.0.1"; }
  static std::string network() { return "10.211.0.0/24"; }  // the bridge's, every machine's address in it
  static std::string executor_address(int i) { return "10.211.0." + std::to_string(10 + i); }

  // argv run inside namespace ns.
  static std::vector<std::string> in(const std::string& ns, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
    return argv;
  }
  // argv run inside executor i's namespace under the host name machine-<i>
  // (its own UTS namespace), as on another machine.
  std::vector<std::string> on_machine(int i, const std::vector<std::string>& argv) const {
    std::vector<std::string> out = {"unshare", "--uts", "--", "bash", "-c",
                                    "hostname machine-" + std::to_string(i) + " && exec \"$@\"", "bash"};
    out.insert(out.end(), argv.begin(), argv.end());
    return in(executor_ns(i), out);
  }

  // Executor i's link to the servers goes down (its route with it) / back up.
  void cut(int i) const { must({"ip", "-n", executor_ns(i), "link", "set", link_name(i), "down"}); }
  void heal(int i) const { must({"ip", "-n", executor_ns(i), "link", "set", link_name(i), "up"}); }

  // Executor i's packets to the servers vanish without an answer, as when a
  // cable beyond the first hop is pulled: the servers' end of its link goes
  // down, and the executor's entry for the server address is pinned, so its
  // kernel neither gives up on ARP ("no route to host" after 3 s) nor gets a
  // refusal. A connect waits for a SYN-ACK that never comes, an open
  // connection for its ACKs. (After cut() a new connection fails at once:
  // the route is gone.) restore() undoes it.
  void drop(int i) const {
    std::istringstream br(run_command(in(server_, {"ip", "-br", "link", "show", "br0"})).out);
    std::string name, state, mac;
    br >> name >> state >> mac;
    must({"ip", "-n", executor_ns(i), "neigh", "replace", server_address(), "lladdr", mac, "dev", link_name(i), "nud",
          "permanent"});
    must({"ip", "-n", server_, "link", "set", peer_name(i), "down"});
  }
  void restore(int i) const {
    must({"ip", "-n", server_, "link", "set", peer_name(i), "up"});
    run_command({"ip", "-n", executor_ns(i), "neigh", "del", server_address(), "dev", link_name(i)});
  }

  // SIGKILL to every process in executor i's namespace: the machine dies.
  void kill_machine(int i) const { kill_all(executor_ns(i)); }

 private:
  std::string link_name(int i) const { return prefix_ + "e" + std::to_string(i); }
  std::string peer_name(int i) const { return prefix_ + "s" + std::to_string(i); }  // its end in the server namespace

  static void must(const std::vector<std::string>& argv) {
    auto r = run_command(argv);
    if (r.exit_code != 0) {
      std::string cmd;
      for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
      throw std::runtime_error(cmd + " failed: " + r.err);
    }
  }
  static void kill_all(const std::string& ns) {
    // Processes may fork while we kill: a few passes.
    for (int pass = 0; pass < 5; ++pass) {
      std::istringstream pids(run_command({"ip", "netns", "pids", ns}).out);
      bool any = false;
      for (pid_t pid; pids >> pid;) any |= ::kill(pid, SIGKILL) == 0;
      if (!any) return;
      ::usleep(50'000);
    }
  }

  std::string prefix_, server_;
  std::vector<std::string> executors_;
};

}  // namespace drover::testing

#endif
