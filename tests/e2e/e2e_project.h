// A throwaway git repository set up for Drover with the test agent, and
// helpers to drive the real `drover` binary against it.
#ifndef DROVER_TESTS_E2E_E2E_PROJECT_H
#define DROVER_TESTS_E2E_E2E_PROJECT_H

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <chrono>

#include "command.h"

namespace drover::testing {

using nlohmann::json;

// The `storage:` line for a fresh schema on the test PostgreSQL server, or ""
// when DROVER_TEST_POSTGRES_URL is unset (then the caller skips; under CI=true
// that is a failure, recorded here).
inline std::string postgres_storage_yaml(const std::string& schema_prefix) {
  const char* url = std::getenv("DROVER_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    const char* ci = std::getenv("CI");
    EXPECT_FALSE(ci != nullptr && std::string(ci) == "true") << "CI must provide DROVER_TEST_POSTGRES_URL";
    return "";
  }
  std::random_device rd;
  return std::string("storage: { plugin: postgres, config: { url: \"") + url + "\", schema: " + schema_prefix +
         std::to_string(rd() % 1000000) + " } }";
}

// The whole text of a file ("" if it cannot be read).
inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class E2EProject {
 public:
  // storage_yaml: the `storage:` mapping ("" = sqlite default).
  explicit E2EProject(const std::string& storage_yaml = "", int workers = 4, const std::string& extra_yaml = "",
                      const std::string& agent_env_yaml = "") {
    std::random_device rd;
    root_ = std::filesystem::temp_directory_path() / ("drover-e2e-" + std::to_string(rd()));
    std::filesystem::create_directories(root_ / "repo");
    repo_ = (root_ / "repo").string();
    git({"init", "-q", "-b", "main"});
    git({"config", "user.name", "E2E"});
    git({"config", "user.email", "e2e@drover.invalid"});
    std::ofstream(repo_ + "/README.md") << "# e2e\n";
    git({"add", "README.md"});
    git({"commit", "-q", "-m", "Initial commit"});
    auto init = drover({"init"});
    EXPECT_EQ(init.exit_code, 0) << init.err;
    std::ofstream cfg(repo_ + "/drover.yaml");
    cfg << "workers: " << workers << "\n"
        << "target_branch: main\n"
        << (storage_yaml.empty() ? "storage: { plugin: sqlite }\n" : storage_yaml + "\n")
        << (extra_yaml.find("vcs:") == std::string::npos ? "vcs: { plugin: git }\n" : "")
        << "default_agent: test\n"
        << "agents:\n"
        << "  test:\n"
        << "    plugin: exec\n"
        << "    config:\n"
        << "      command: [\"bash\", \"" << DROVER_E2E_AGENT << "\", \"{prompt_file}\"]\n"
        << "      env: { E2E_DIR: \"" << root_.string() << "\"" << agent_env_yaml << " }\n"
        // The test agent keeps its trace and markers in E2E_DIR, outside its worktree.
        << "    sandbox: { write_paths: [\"" << root_.string() << "\"] }\n"
        << "tasks: { timeout: 2m, max_attempts: 2, backoff: { initial: 100ms, max: 500ms } }\n"
        << (extra_yaml.find("quota:") == std::string::npos ? "quota: { backoff: { initial: 100ms, max: 500ms } }\n" : "")
        << extra_yaml;
  }
  ~E2EProject() {
    if (!::testing::Test::HasFailure()) std::filesystem::remove_all(root_);
    else std::cerr << "kept " << root_ << " for inspection\n";
  }

  const std::string& repo() const { return repo_; }
  std::string dir() const { return root_.string(); }

  CommandResult drover(std::vector<std::string> args, const std::map<std::string, std::string>& env = {}) const {
    args.insert(args.begin(), DROVER_BINARY);
    auto e = env;
    e.emplace("NO_COLOR", "1");
    return run_command(args, repo_, e);
  }
  CommandResult git(std::vector<std::string> args) const {
    args.insert(args.begin(), "git");
    return run_command(args, repo_);
  }

  // Adds a task and returns its id.
  std::string add(std::vector<std::string> args) {
    args.insert(args.begin(), "add");
    auto r = drover(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string id = r.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
  }

  // Starts `drover <args>` in the background, stdout and stderr into out_file;
  // wrapper, when given, runs it (e.g. "nohup"). Returns its pid.
  pid_t start_drover(const std::vector<std::string>& args, const std::string& out_file,
                     const std::string& wrapper = "") const {
    std::vector<std::string> argv;
    if (!wrapper.empty()) argv.push_back(wrapper);
    argv.push_back(DROVER_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    int fd = open(out_file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    pid_t pid = spawn_process(argv, repo_, {{"NO_COLOR", "1"}}, fd, fd);
    close(fd);
    return pid;
  }

  // Waits (up to 10 s) until at least n tasks are running; fails the test otherwise.
  void wait_until_running(size_t n) const {
    for (int i = 0; i < 400; ++i) {
      size_t running = 0;
      for (const auto& [id, st] : task_states()) running += st == "running";
      if (running >= n) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "tasks never started running";
  }

  json status_json() const {
    auto r = drover({"status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  std::map<std::string, std::string> task_states() const {
    std::map<std::string, std::string> out;
    const json st = status_json();  // kept alive: the loop below refers into it
    for (const auto& t : st["tasks"]) out[t["id"].get<std::string>()] = t["status"].get<std::string>();
    return out;
  }

  // How many agents ran at the same time, at most, according to the trace.
  int max_concurrency() const {
    std::ifstream in(root_ / "trace");
    std::vector<std::pair<long long, int>> points;
    std::string what, task;
    long long ns;
    while (in >> what >> task >> ns) points.emplace_back(ns, what == "start" ? 1 : -1);
    std::sort(points.begin(), points.end());
    int cur = 0, best = 0;
    for (auto& [t, d] : points) best = std::max(best, cur += d);
    return best;
  }

  // The Drover-Task trailers of main's non-merge commits, ancestors first
  // (commit dates have one-second resolution, so date order proves nothing).
  std::vector<std::string> merged_task_order() const {
    auto r = git({"log", "main", "--topo-order", "--reverse", "--no-merges",
                  "--format=%(trailers:key=Drover-Task,valueonly)"});
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(line);
    return out;
  }

  // True iff task a's commit is an ancestor of task b's: b was built on a's merge.
  bool built_on(const std::string& b, const std::string& a) const {
    auto commit_of = [&](const std::string& t) {
      auto r = git({"log", "main", "--no-merges", "--format=%H", "--grep=^Drover-Task: " + t + "$"});
      return r.out.substr(0, r.out.find('\n'));
    };
    const std::string ca = commit_of(a), cb = commit_of(b);
    if (ca.empty() || cb.empty()) return false;
    return git({"merge-base", "--is-ancestor", ca, cb}).exit_code == 0;
  }

  // Each task's Drover-Task trailer on the target branch, counted.
  std::map<std::string, int> merged_task_commits() const {
    auto r = git({"log", "main", "--no-merges", "--format=%(trailers:key=Drover-Task,valueonly)"});
    std::map<std::string, int> counts;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) counts[line]++;
    return counts;
  }

 private:
  std::filesystem::path root_;
  std::string repo_;
};

}  // namespace drover::testing

#endif
