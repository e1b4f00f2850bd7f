// Forked helper processes for the multi-process conformance tests. A child
// runs a function and leaves with _exit() (no atexit handlers, no gtest
// teardown, no closing of anything the parent owns).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

namespace drover::storage_test {

// Forks; the child runs body and exits with its return value (an exception
// is reported on stderr and exits with 70).
pid_t spawn_child(const std::function<int()>& body);

// Waits for pid; if it has not exited by the deadline it is SIGKILLed and
// the result says so. Returns a description: "exit 0", "exit 3", "signal 9",
// "timed out".
std::string wait_child(pid_t pid, std::chrono::steady_clock::time_point deadline);

// A start line for racing children: each child blocks in wait() until the
// parent calls release() (all of them wake together).
class StartLine {
 public:
  StartLine();
  ~StartLine();
  void wait();        // in a child
  void release();     // in the parent
  void close_in_child();

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// Appends one line to a file with a single write() (safe to interleave with
// a kill: a line is either there or not).
void append_line(const std::string& path, const std::string& line);
std::string read_file(const std::string& path);

}  // namespace drover::storage_test
