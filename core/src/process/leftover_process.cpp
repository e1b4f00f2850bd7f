#include "drover/process/leftover_process.h"

#include "drover/plugin/private_files.hpp"

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

void write_process_file(const std::string& path, pid_t pid) {
  sdk::create_private_directories(std::filesystem::path(path).parent_path().string());
  sdk::write_private_file(path, std::to_string(pid) + " " + process_start_time(pid) + "\n");
}

bool stop_leftover_process_group(const std::string& path, int grace_ms) {
  std::ifstream in(path);
  pid_t pid = 0;
  std::string start;
  bool read = static_cast<bool>(in >> pid >> start);
  in.close();
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (!read || pid <= 1 || start.empty() || process_start_time(pid) != start) return false;
  if (::kill(-pid, SIGTERM) != 0 && errno == ESRCH) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::kill(-pid, 0) != 0 && errno == ESRCH) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid, SIGKILL);
  return true;
}

}  // namespace drover
