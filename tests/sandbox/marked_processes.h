// Finds test processes by a marker variable in their environment: the way the
// sandbox tests prove that nothing an agent started is still running.
#ifndef DROVER_TESTS_SANDBOX_MARKED_PROCESSES_H
#define DROVER_TESTS_SANDBOX_MARKED_PROCESSES_H

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace drover::testing {

inline std::string fresh_mark() {
  std::random_device rd;
  return "m" + std::to_string(rd()) + std::to_string(rd());
}

// "pid:comm" of every process whose environment holds TEST_MARK=<mark>.
inline std::vector<std::string> processes_marked(const std::string& mark) {
  const std::string wanted = "TEST_MARK=" + mark;
  std::vector<std::string> out;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == getpid()) continue;
    std::ifstream env("/proc/" + std::string(e->d_name) + "/environ");
    std::stringstream s;
    s << env.rdbuf();
    std::string text = s.str(), entry;
    std::istringstream entries(text);
    while (std::getline(entries, entry, '\0')) {
      if (entry != wanted) continue;
      std::ifstream comm("/proc/" + std::string(e->d_name) + "/comm");
      std::string name;
      std::getline(comm, name);
      out.push_back(std::to_string(pid) + ":" + name);
      break;
    }
  }
  closedir(dir);
  return out;
}

// Kills what a failing test left behind, so one failure does not leak sleepers.
inline void kill_marked(const std::string& mark) {
  for (const std::string& p : processes_marked(mark)) ::kill(std::atoi(p.c_str()), SIGKILL);
}

inline std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : ", ") + e;
  return s;
}

}  // namespace drover::testing

#endif
