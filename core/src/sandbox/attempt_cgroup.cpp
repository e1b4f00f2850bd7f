#include "drover/sandbox/attempt_cgroup.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace drover {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// The mount point of the cgroup2 filesystem, "" if none.
std::string cgroup2_mount() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    // "<id> <parent> <maj:min> <root> <mount point> <options> [optional...] - <type> <source> <super options>"
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string type;
    tail >> type;
    if (type != "cgroup2") continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, dev, root, mount;
    head >> id >> parent >> dev >> root >> mount;
    return mount;
  }
  return "";
}

// Our own cgroup v2 path ("/user.slice/..."), from the "0::" line.
std::string own_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return "";
}

bool has_word(const std::string& text, const std::string& word) {
  std::istringstream in(text);
  for (std::string w; in >> w;)
    if (w == word) return true;
  return false;
}

}  // namespace

std::string attempt_cgroup_parent(std::string* why) {
  auto no = [&](std::string reason) {
    if (why != nullptr) *why = std::move(reason);
    return std::string();
  };
  if (const char* env = std::getenv("DROVER_CGROUP"); env != nullptr && std::string(env) == "off")
    return no("turned off by DROVER_CGROUP=off");
  std::string mount = cgroup2_mount();
  if (mount.empty()) return no("no cgroup2 filesystem is mounted");
  std::string own = own_cgroup();
  if (own.empty()) return no("this process is in no cgroup v2 (no \"0::\" line in /proc/self/cgroup)");
  if (own.find("(deleted)") != std::string::npos) return no("this process's cgroup was removed");
  std::string dir = mount + (own == "/" ? "" : own);
  if (::access(dir.c_str(), W_OK) != 0 || ::access((dir + "/cgroup.procs").c_str(), F_OK) != 0)
    return no("the cgroup " + dir + " is not writable by this user (no delegation)");
  return dir;
}

Result<std::string> create_attempt_cgroup(const std::string& parent, const std::string& name, int max_processes,
                                          uint64_t max_memory, std::string* controllers_missing) {
  const std::string path = parent + "/" + name;
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    return Status::Unavailable("cannot create the cgroup " + path + ": " + std::strerror(errno));
  // Joining needs write access to cgroup.procs here and in the common ancestor.
  if (::access((path + "/cgroup.procs").c_str(), W_OK) != 0) {
    ::rmdir(path.c_str());
    return Status::Unavailable("the cgroup " + path + " cannot be joined (cgroup.procs is not writable)");
  }
  const std::string controllers = read_text(path + "/cgroup.controllers");
  std::string missing;
  if (max_processes > 0) {
    if (has_word(controllers, "pids")) write_text(path + "/pids.max", std::to_string(max_processes));
    else missing += "pids";
  }
  if (max_memory > 0) {
    if (has_word(controllers, "memory")) {
      write_text(path + "/memory.max", std::to_string(max_memory));
      write_text(path + "/memory.swap.max", "0");
    } else {
      missing += missing.empty() ? "memory" : " memory";
    }
  }
  if (controllers_missing != nullptr) *controllers_missing = missing;
  return path;
}

int kill_and_remove_cgroup(const std::string& path) {
  if (path.empty() || ::access(path.c_str(), F_OK) != 0) return 0;
  auto members = [&] {
    std::istringstream in(read_text(path + "/cgroup.procs"));
    std::vector<pid_t> pids;
    for (long pid; in >> pid;) pids.push_back(static_cast<pid_t>(pid));
    return pids;
  };
  const int found = static_cast<int>(members().size());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until) {
    std::vector<pid_t> pids = members();
    if (pids.empty() && ::rmdir(path.c_str()) == 0) break;
    if (!write_text(path + "/cgroup.kill", "1")) {
      for (pid_t pid : pids) ::kill(pid, SIGKILL);  // kernels before 5.14
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return found;
}

int remove_stale_attempt_cgroups(const std::string& parent) {
  if (parent.empty()) return 0;
  DIR* dir = ::opendir(parent.c_str());
  if (dir == nullptr) return 0;
  const time_t now = ::time(nullptr);
  int removed = 0;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.rfind("drover-", 0) != 0) continue;
    const std::string path = parent + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || now - st.st_mtime < 60) continue;
    if (::rmdir(path.c_str()) == 0) ++removed;
  }
  ::closedir(dir);
  return removed;
}

std::string cgroup_limit_hit(const std::string& path) {
  if (path.empty()) return "";
  auto count = [&](const std::string& file, const std::string& key) -> long {
    std::istringstream in(read_text(path + "/" + file));
    std::string k;
    long v = 0;
    while (in >> k >> v)
      if (k == key) return v;
    return 0;
  };
  if (count("memory.events", "oom_kill") > 0) return "memory";
  if (count("pids.events", "max") > 0) return "processes";
  return "";
}

}  // namespace drover
