#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace drover::storage_test {

pid_t spawn_child(const std::function<int()>& body) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  int code = 70;
  try {
    code = body();
  } catch (const std::exception& e) {
    fprintf(stderr, "child %d: %s\n", static_cast<int>(getpid()), e.what());
  } catch (...) {
    fprintf(stderr, "child %d: unknown exception\n", static_cast<int>(getpid()));
  }
  fflush(nullptr);
  _exit(code);
}

std::string wait_child(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
      if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
      return "stopped";
    }
    if (done < 0) return "waitpid failed";
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return "timed out";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

StartLine::StartLine() {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

StartLine::~StartLine() {
  if (read_fd_ >= 0) close(read_fd_);
  if (write_fd_ >= 0) close(write_fd_);
}

void StartLine::close_in_child() {
  if (write_fd_ >= 0) close(write_fd_);
  write_fd_ = -1;
}

void StartLine::wait() {
  close_in_child();
  char byte;
  while (read(read_fd_, &byte, 1) > 0) {
  }
}

void StartLine::release() {
  if (write_fd_ >= 0) close(write_fd_);
  write_fd_ = -1;
}

void append_line(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  std::string text = line + "\n";
  ssize_t written = write(fd, text.data(), text.size());
  close(fd);
  if (written != static_cast<ssize_t>(text.size())) throw std::runtime_error("short write to " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace drover::storage_test
