// How many times each task landed on a branch: the `Drover-Task: <id>`
// trailers on its first-parent history (one per landing merge), read with the
// git CLI from any repository, bare ones included.
#ifndef DROVER_TESTS_SUPPORT_LANDED_TASKS_H
#define DROVER_TESTS_SUPPORT_LANDED_TASKS_H

#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "command.h"

namespace drover::testing {

// Empty when git cannot read the branch.
inline std::map<std::string, int> landed_tasks(const std::string& git_dir, const std::string& branch = "main") {
  CommandResult log = run_command({"git", "--git-dir", git_dir, "log", "--first-parent", "--format=%B", branch});
  std::map<std::string, int> merged;
  if (log.exit_code != 0) return merged;
  static const std::regex trailer("^Drover-Task: (\\S+)$");
  std::istringstream lines(log.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, trailer)) ++merged[m[1]];
  }
  return merged;
}

}  // namespace drover::testing

#endif
