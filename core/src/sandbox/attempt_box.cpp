#include "drover/sandbox/attempt_box.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "drover/sandbox/attempt_cgroup.h"
#include "drover/sandbox/process_tree.h"

namespace drover {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_first_line(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Canonical when it exists, else lexically normal: comparisons of places.
fs::path real(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal() : c;
}

bool is_beneath(const fs::path& inner, const fs::path& outer) {
  fs::path i = real(inner), o = real(outer);
  auto oi = o.begin();
  for (auto ii = i.begin(); oi != o.end(); ++ii, ++oi) {
    if (ii == i.end()) return false;
    if (oi->empty()) continue;  // trailing separator
    if (*ii != *oi) return false;
  }
  return true;
}

std::string random_hex() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

std::string safe_name(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return text;
}

// Device files every program expects to write: the terminal, the null and
// random devices, pseudo-terminals and POSIX shared memory.
const std::vector<std::string>& device_paths() {
  static const std::vector<std::string> paths{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                                              "/dev/tty",  "/dev/ptmx", "/dev/pts",  "/dev/shm"};
  return paths;
}

}  // namespace

std::vector<std::string> git_write_paths(const std::string& worktree) {
  const fs::path dot_git = fs::path(worktree) / ".git";
  std::error_code ec;
  if (fs::is_directory(dot_git, ec)) return {dot_git.string()};
  const std::string line = read_first_line(dot_git);
  if (line.rfind("gitdir: ", 0) != 0) return {};
  fs::path admin = line.substr(8);
  if (admin.is_relative()) admin = fs::path(worktree) / admin;
  admin = admin.lexically_normal();
  std::vector<std::string> out{admin.string()};
  fs::path common = admin;
  if (std::string c = read_first_line(admin / "commondir"); !c.empty()) {
    common = fs::path(c).is_relative() ? (admin / c).lexically_normal() : fs::path(c);
  }
  out.push_back((common / "objects").string());
  // Git LFS keeps its objects beside git's ("git add" of a tracked file writes there).
  if (fs::is_directory(common / "lfs", ec)) out.push_back((common / "lfs").string());
  // The branch's ref is replaced through a lock file beside it, and its reflog
  // appended: both directories, not the files.
  const std::string head = read_first_line(admin / "HEAD");
  if (head.rfind("ref: refs/heads/", 0) == 0) {
    const fs::path ref = head.substr(5);
    for (const fs::path& dir : {common / ref.parent_path(), common / "logs" / ref.parent_path()}) {
      fs::create_directories(dir, ec);
      out.push_back(dir.lexically_normal().string());
    }
  }
  return out;
}

Result<std::string> locate_agent_box() {
  if (const char* env = std::getenv("DROVER_AGENT_BOX"); env != nullptr && *env != '\0') {
    if (::access(env, X_OK) != 0)
      return Status::NotFound(std::string("DROVER_AGENT_BOX names ") + env +
                              ", which is not an executable file; fix or unset it");
    return std::string(env);
  }
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return Status::NotFound("cannot find drover-agent-box: /proc/self/exe is unreadable; set DROVER_AGENT_BOX");
  exe[n] = '\0';
  fs::path box = (fs::path(exe).parent_path().parent_path() / "lib" / "drover" / "drover-agent-box").lexically_normal();
  if (::access(box.c_str(), X_OK) != 0)
    return Status::NotFound("cannot find drover-agent-box at " + box.string() +
                            " (it is installed with drover); reinstall drover or set DROVER_AGENT_BOX to its path");
  return box.string();
}

Result<BoxedAttempt> prepare_boxed_attempt(const BoxSettings& settings, const std::string& label,
                                           const std::string& worktree, const std::string& report_path,
                                           const PluginWritePaths& plugin_paths) {
  BoxedAttempt a;
  a.marker = label + "." + random_hex();
  a.report_path = report_path;
  a.env[kAttemptMarkerVariable] = a.marker;
  std::error_code ec;
  if (!report_path.empty()) fs::create_directories(fs::path(report_path).parent_path(), ec);

  if (!settings.cgroup_parent.empty()) {
    std::string missing;
    auto cg = create_attempt_cgroup(settings.cgroup_parent, "drover-" + safe_name(a.marker), settings.max_processes,
                                    settings.max_memory, &missing);
    if (cg.ok()) a.cgroup = cg.value();
    else a.notes.push_back(cg.status().message() + "; leftovers are found by the box and the attempt marker instead");
  }

  if (settings.landlock_abi > 0) {
    std::vector<std::string>& w = a.write_paths;
    w.push_back(worktree);
    std::vector<std::string> git = git_write_paths(worktree);
    if (!git.empty()) {
      // Housekeeping git would start after a commit writes where the agent
      // may not (.git/gc.pid, packed-refs): it is the user's to run, not the agent's.
      a.env["GIT_CONFIG_COUNT"] = "2";
      a.env["GIT_CONFIG_KEY_0"] = "gc.auto";
      a.env["GIT_CONFIG_VALUE_0"] = "0";
      a.env["GIT_CONFIG_KEY_1"] = "maintenance.auto";
      a.env["GIT_CONFIG_VALUE_1"] = "false";
    }
    for (std::string& p : git) w.push_back(std::move(p));
    const fs::path tmp = fs::temp_directory_path(ec);
    const bool checkout_in_tmp = !ec && (is_beneath(settings.project_root, tmp) || is_beneath(worktree, tmp));
    if (ec) {
      a.notes.push_back("no temporary directory (" + ec.message() + "); the agent cannot write temp files");
    } else if (checkout_in_tmp) {
      // Allowing all of it would allow writing into the user's checkout.
      const fs::path own = tmp / ("drover-tmp-" + safe_name(a.marker));
      fs::create_directories(own, ec);
      ::chmod(own.c_str(), 0700);
      a.private_tmp = own.string();
      a.env["TMPDIR"] = a.private_tmp;
      w.push_back(a.private_tmp);
      a.notes.push_back("the project lies beneath " + tmp.string() + ", so the agent gets its own TMPDIR " +
                        a.private_tmp + " instead of all of " + tmp.string());
    } else {
      w.push_back(tmp.string());
      if (tmp != "/tmp" && fs::is_directory("/tmp")) {
        if (!is_beneath(settings.project_root, "/tmp")) w.push_back("/tmp");
      }
    }
    for (const std::string& d : device_paths())
      if (d != "/dev/shm" || !is_beneath(settings.project_root, "/dev/shm")) w.push_back(d);
    for (const std::string& d : plugin_paths.dirs) {
      fs::create_directories(d, ec);
      w.push_back(d);
    }
    for (const std::string& f : plugin_paths.files) w.push_back(f);
    for (const std::string& p : settings.write_paths) {
      if (!fs::exists(p, ec)) a.notes.push_back("sandbox write path " + p + " does not exist; nothing to allow there");
      w.push_back(p);
    }
  }

  a.wrapper.push_back(settings.box_path);
  if (settings.landlock_abi > 0) {
    a.wrapper.insert(a.wrapper.end(), {"--landlock", std::to_string(settings.landlock_abi)});
    for (const std::string& p : a.write_paths) a.wrapper.insert(a.wrapper.end(), {"--write", p});
  }
  if (!a.cgroup.empty()) a.wrapper.insert(a.wrapper.end(), {"--cgroup", a.cgroup});
  if (settings.max_processes > 0)
    a.wrapper.insert(a.wrapper.end(), {"--max-processes", std::to_string(settings.max_processes)});
  if (settings.max_memory > 0) a.wrapper.insert(a.wrapper.end(), {"--max-memory", std::to_string(settings.max_memory)});
  if (!report_path.empty()) a.wrapper.insert(a.wrapper.end(), {"--report", report_path});
  a.wrapper.push_back("--");
  a.process_note = a.marker + " " + (a.cgroup.empty() ? "-" : a.cgroup);
  // A second line: the private temp dir, removed by whoever ends a killed run's attempt.
  if (!a.private_tmp.empty()) a.process_note += "\n" + a.private_tmp;
  return a;
}

int remove_stale_private_tmps() {
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  if (ec) return 0;
  const auto now = fs::file_time_type::clock::now();
  int removed = 0;
  for (const auto& entry : fs::directory_iterator(tmp, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("drover-tmp-", 0) != 0 || !entry.is_directory(ec)) continue;
    auto written = fs::last_write_time(entry.path(), ec);
    if (ec || now - written < std::chrono::minutes(1)) continue;
    if (!processes_with_environment(kAttemptMarkerVariable, name.substr(11)).empty()) continue;
    fs::remove_all(entry.path(), ec);
    if (!ec) ++removed;
  }
  return removed;
}

int end_attempt_processes(const std::string& marker, const std::string& cgroup) {
  int found = 0;
  if (!marker.empty()) {
    found += static_cast<int>(
        end_processes([&] { return processes_with_environment(kAttemptMarkerVariable, marker); }, [] {},
                      std::chrono::milliseconds(0), std::chrono::seconds(3))
            .size());
  }
  if (!cgroup.empty() && cgroup != "-") found += kill_and_remove_cgroup(cgroup);
  return found;
}

BoxOutcome finish_boxed_attempt(const BoxedAttempt& attempt, const BoxSettings& settings) {
  BoxOutcome out;
  json report;
  {
    std::ifstream in(attempt.report_path);
    report = json::parse(in, nullptr, false);
  }
  const bool finished = report.is_object() && report.value("finished", false);
  if (report.is_object()) {
    if (report.contains("error") && report["error"].is_string()) out.error = report["error"].get<std::string>();
    if (report.contains("leftovers") && report["leftovers"].is_array())
      for (const json& l : report["leftovers"])
        if (l.is_string()) out.leftovers.push_back(l.get<std::string>());
    out.limit = report.value("limit", std::string());
  }
  // The cgroup says the kernel's own limit was hit (pids.max, memory.max).
  if (out.limit.empty()) out.limit = cgroup_limit_hit(attempt.cgroup);
  if (!out.limit.empty()) {
    std::string detail = report.is_object() ? report.value("limit_detail", std::string()) : std::string();
    const std::string key = settings.limits_key + "." + out.limit;
    out.limit_reason = "the agent went over its " + std::string(out.limit == "memory" ? "memory" : "process") +
                       " limit (" + key + ": " +
                       (out.limit == "memory" ? std::to_string(settings.max_memory >> 20) + " MiB"
                                              : std::to_string(settings.max_processes)) +
                       ")" + (detail.empty() ? "" : ": " + detail) + "; it was stopped. Raise " + key +
                       " in drover.yaml if the task needs more";
  }
  // The box swept its own tree unless it was killed first; then the marker
  // and the cgroup find what it left.
  int swept = end_attempt_processes(finished ? "" : attempt.marker, attempt.cgroup);
  if (!finished && swept > 0)
    out.leftovers.push_back(std::to_string(swept) + " process(es) found by the attempt's marker or cgroup");
  std::error_code ec;
  if (!attempt.private_tmp.empty()) fs::remove_all(attempt.private_tmp, ec);
  return out;
}

}  // namespace drover
