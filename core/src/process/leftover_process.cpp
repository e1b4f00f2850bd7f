#include "drover/process/leftover_process.h"

#include "drover/plugin/private_files.hpp"
#include "drover/sandbox/attempt_box.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace drover {

std::string process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return "";
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

void write_process_file(const std::string& path, pid_t pid, const std::string& note) {
  sdk::create_private_directories(std::filesystem::path(path).parent_path().string());
  sdk::write_private_file(path, std::to_string(pid) + " " + process_start_time(pid) + (note.empty() ? "" : " " + note) + "\n");
}

bool stop_leftover_process_group(const std::string& path, int grace_ms) {
  std::ifstream in(path);
  pid_t pid = 0;
  std::string start, marker, cgroup, private_tmp;
  bool read = static_cast<bool>(in >> pid >> start);
  if (read && in >> marker) {
    in >> std::ws;
    std::getline(in, cgroup);       // last on its line: a cgroup path may hold spaces
    std::getline(in, private_tmp);  // the attempt's own TMPDIR, if it had one
  }
  in.close();
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (!read) return false;
  const bool group_alive = pid > 1 && !start.empty() && process_start_time(pid) == start &&
                           !(::kill(-pid, SIGTERM) != 0 && errno == ESRCH);
  if (group_alive) {
    // The box (the group's leader) ends the agent's tree itself when asked.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    bool gone = false;
    while (!gone && std::chrono::steady_clock::now() < deadline) {
      gone = ::kill(-pid, 0) != 0 && errno == ESRCH;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!gone) ::kill(-pid, SIGKILL);
  }
  const int escaped = end_attempt_processes(marker, cgroup);
  if (std::filesystem::path(private_tmp).filename().string().rfind("drover-tmp-", 0) == 0)
    std::filesystem::remove_all(private_tmp, ec);
  return group_alive || escaped > 0;
}

}  // namespace drover
