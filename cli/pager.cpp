#include "pager.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace drover::cli {
namespace {

std::vector<std::string> pager_words() {
  const char* chosen = std::getenv("DROVER_PAGER");
  if (chosen == nullptr) chosen = std::getenv("PAGER");
  std::istringstream in(chosen != nullptr ? chosen : "less");
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The program's path on PATH (or as given with a slash), "" when absent.
std::string find_program(const std::string& name) {
  auto runnable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) return runnable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && runnable(dir + "/" + name)) return dir + "/" + name;
  return "";
}

}  // namespace

Pager::Pager(bool enabled) {
  if (!enabled || ::isatty(STDOUT_FILENO) == 0) return;
  std::vector<std::string> words = pager_words();
  if (words.empty() || words[0] == "cat") return;
  const std::string program = find_program(words[0]);
  if (program.empty()) return;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    ::dup2(fds[0], STDIN_FILENO);
    if (std::getenv("LESS") == nullptr) ::setenv("LESS", "FRX", 1);
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    _exit(127);
  }
  ::close(fds[0]);
  saved_stdout_ = ::dup(STDOUT_FILENO);
  ::dup2(fds[1], STDOUT_FILENO);
  ::close(fds[1]);
  // A pager quit early closes the pipe: writing then must not kill drover.
  std::signal(SIGPIPE, SIG_IGN);
  pid_ = pid;
}

Pager::~Pager() {
  if (pid_ < 0) return;
  std::cout.flush();
  ::dup2(saved_stdout_, STDOUT_FILENO);  // closes the pipe's last write end: the pager sees the end
  ::close(saved_stdout_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace drover::cli
