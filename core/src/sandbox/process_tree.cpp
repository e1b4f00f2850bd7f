#include "drover/sandbox/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>

namespace drover {
namespace {

// Reads a small /proc file whole ("" when the process is gone).
std::string read_proc_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// "pid (comm) S ppid ..." -> pid, ppid, comm; comm may hold spaces and ')'.
bool parse_stat(const std::string& stat, ProcessInfo& p) {
  size_t open = stat.find('(');
  size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 4 > stat.size()) return false;
  p.name = stat.substr(open + 1, close - open - 1);
  p.zombie = stat[close + 2] == 'Z' || stat[close + 2] == 'X';
  p.ppid = static_cast<pid_t>(std::strtol(stat.c_str() + close + 4, nullptr, 10));
  return true;
}

template <class Visit>
void for_each_pid(Visit visit) {
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return;
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    visit(static_cast<pid_t>(pid));
  }
  ::closedir(dir);
}

}  // namespace

std::vector<ProcessInfo> descendants_of(pid_t root) {
  std::vector<ProcessInfo> all;
  for_each_pid([&](pid_t pid) {
    ProcessInfo p;
    p.pid = pid;
    const std::string stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    if (parse_stat(stat, p)) all.push_back(std::move(p));
  });
  std::multimap<pid_t, const ProcessInfo*> children;
  for (const ProcessInfo& p : all) children.emplace(p.ppid, &p);
  // Zombies have ended already: they only wait to be reaped.
  std::vector<ProcessInfo> out;
  std::vector<pid_t> todo{root};
  std::set<pid_t> seen{root};
  while (!todo.empty()) {
    pid_t parent = todo.back();
    todo.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      if (!seen.insert(it->second->pid).second) continue;
      if (!it->second->zombie) out.push_back(*it->second);
      todo.push_back(it->second->pid);
    }
  }
  return out;
}

std::vector<ProcessInfo> processes_with_environment(const std::string& variable, const std::string& value) {
  const std::string wanted = variable + "=" + value;
  const pid_t self = ::getpid();
  std::vector<ProcessInfo> out;
  for_each_pid([&](pid_t pid) {
    if (pid == self) return;
    const std::string dir = "/proc/" + std::to_string(pid);
    const std::string env = read_proc_file(dir + "/environ");
    size_t at = 0;
    bool match = false;
    while (at < env.size() && !match) {
      size_t end = env.find('\0', at);
      if (end == std::string::npos) end = env.size();
      match = env.compare(at, end - at, wanted) == 0;
      at = end + 1;
    }
    if (!match) return;
    ProcessInfo p;
    p.pid = pid;
    if (parse_stat(read_proc_file(dir + "/stat"), p)) out.push_back(std::move(p));
  });
  return out;
}

uint64_t resident_bytes(const std::vector<ProcessInfo>& processes) {
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t total = 0;
  for (const ProcessInfo& p : processes) {
    std::string statm = read_proc_file("/proc/" + std::to_string(p.pid) + "/statm");
    size_t space = statm.find(' ');
    if (space == std::string::npos) continue;
    total += std::strtoull(statm.c_str() + space + 1, nullptr, 10) * page;
  }
  return total;
}

std::string describe(const ProcessInfo& p) { return p.name + " (pid " + std::to_string(p.pid) + ")"; }

void signal_all(const std::vector<ProcessInfo>& processes, int sig) {
  for (const ProcessInfo& p : processes) ::kill(p.pid, sig);
}

}  // namespace drover
