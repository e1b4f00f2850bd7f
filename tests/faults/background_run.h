// A `drover run` (or resume) in the background, its output in a file, for
// tests that do things to the world while it runs and then time its exit.
#ifndef DROVER_TESTS_FAULTS_BACKGROUND_RUN_H
#define DROVER_TESTS_FAULTS_BACKGROUND_RUN_H

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "e2e_project.h"

namespace drover::testing {

class BackgroundRun {
 public:
  BackgroundRun(const E2EProject& p, std::vector<std::string> args, const std::string& name)
      : log_(p.dir() + "/" + name + ".out") {
    args.insert(args.begin(), DROVER_BINARY);
    int fd = open(log_.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    pid_ = spawn_process(args, p.repo(), {{"NO_COLOR", "1"}}, fd, fd);
    close(fd);
  }
  ~BackgroundRun() {
    if (!exit_code_ && pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) const { ::kill(pid_, sig); }
  // Waits up to `limit` for the run to exit; its exit code (-signal if killed), or nullopt.
  std::optional<int> wait(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!exit_code_) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_at_ = std::chrono::steady_clock::now();
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > until) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return exit_code_;
  }
  std::chrono::steady_clock::time_point exited_at() const { return exited_at_; }
  std::string output() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  int count(const std::string& needle) const {
    const std::string out = output();
    int n = 0;
    for (size_t at = out.find(needle); at != std::string::npos; at = out.find(needle, at + needle.size())) ++n;
    return n;
  }
  int lines() const {
    const std::string out = output();
    return static_cast<int>(std::count(out.begin(), out.end(), '\n'));
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::chrono::steady_clock::time_point exited_at_;
};

// The agent runs in the trace (start/end lines the test agent writes): per
// task, how many started and whether two ever ran at the same time.
struct AgentTrace {
  std::map<std::string, int> starts;
  std::map<std::string, int> most_at_once;

  static AgentTrace read(const E2EProject& p) {
    std::ifstream in(p.dir() + "/trace");
    std::map<std::string, std::vector<std::pair<long long, int>>> points;
    std::string what, task;
    long long ns;
    AgentTrace t;
    while (in >> what >> task >> ns) {
      points[task].emplace_back(ns, what == "start" ? 1 : -1);
      if (what == "start") ++t.starts[task];
    }
    for (auto& [task, pts] : points) {
      std::sort(pts.begin(), pts.end());
      int cur = 0, best = 0;
      for (auto& [at, d] : pts) best = std::max(best, cur += d);
      t.most_at_once[task] = best;
    }
    return t;
  }
};

}  // namespace drover::testing

#endif
