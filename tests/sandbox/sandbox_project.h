// A throwaway git repository with Drover and one hostile (or well-behaved)
// exec agent: a bash script the test writes. The agent's processes carry
// TEST_MARK=<mark> so the test can look for survivors.
#ifndef DROVER_TESTS_SANDBOX_SANDBOX_PROJECT_H
#define DROVER_TESTS_SANDBOX_SANDBOX_PROJECT_H

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "command.h"
#include "marked_processes.h"

namespace drover::testing {

// The drover under test; DROVER_SANDBOX_TEST_DROVER names another build (to
// show these tests fail on a drover without containment).
inline std::string drover_binary() {
  const char* other = std::getenv("DROVER_SANDBOX_TEST_DROVER");
  return other != nullptr && *other != '\0' ? other : DROVER_BINARY;
}

class SandboxProject {
 public:
  // base: where the project is made ("" = the system temp dir). extra_yaml is
  // appended to drover.yaml (a `tasks:` line there replaces the default one);
  // agent_yaml goes into the agent's entry. "@ROOT@" in any of them is the
  // project's directory (the repository is @ROOT@/repo), "@MARK@" the mark.
  SandboxProject(std::string script, std::string extra_yaml = "", std::string agent_yaml = "",
                 const std::string& base = "") {
    std::random_device rd;
    root_ = (base.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(base)) /
            ("drover-sandbox-" + std::to_string(rd()));
    std::filesystem::create_directories(root_ / "repo");
    std::filesystem::create_directories(root_ / "out");
    repo_ = (root_ / "repo").string();
    for (std::string* text : {&script, &extra_yaml, &agent_yaml}) {
      for (size_t at; (at = text->find("@ROOT@")) != std::string::npos;) text->replace(at, 6, root_.string());
      for (size_t at; (at = text->find("@MARK@")) != std::string::npos;) text->replace(at, 6, mark_);
    }
    git({"init", "-q", "-b", "main"});
    git({"config", "user.name", "Sandbox"});
    git({"config", "user.email", "sandbox@drover.invalid"});
    std::ofstream(repo_ + "/README.md") << "# sandbox\n";
    git({"add", "README.md"});
    git({"commit", "-q", "-m", "Initial commit"});
    EXPECT_EQ(drover({"init"}).exit_code, 0);
    std::ofstream(root_ / "agent.sh") << "set -u\n" << script;
    std::ofstream cfg(repo_ + "/drover.yaml");
    cfg << "workers: 1\n"
        << "target_branch: main\n"
        << "storage: { plugin: sqlite }\n"
        << "vcs: { plugin: git }\n"
        << "default_agent: hostile\n"
        << "agents:\n"
        << "  hostile:\n"
        << "    plugin: exec\n"
        << "    config:\n"
        << "      command: [\"bash\", \"" << (root_ / "agent.sh").string() << "\"]\n"
        << "      env: { TEST_MARK: \"" << mark_ << "\", CHECKOUT: \"" << repo_ << "\", OUT: \"" << out()
        << "\" }\n"
        << agent_yaml
        << (extra_yaml.find("tasks:") != std::string::npos
                ? ""
                : "tasks: { timeout: 2m, max_attempts: 1, backoff: { initial: 100ms, max: 500ms } }\n")
        << extra_yaml;
    cfg.close();
    snapshot_ = checkout_snapshot();
    main_ = git({"rev-parse", "main"}).out;
  }
  ~SandboxProject() {
    kill_marked(mark_);
    if (!::testing::Test::HasFailure()) std::filesystem::remove_all(root_);
    else std::cerr << "kept " << root_ << " for inspection\n";
  }

  const std::string& repo() const { return repo_; }
  const std::string& mark() const { return mark_; }
  std::string out() const { return (root_ / "out").string(); }
  std::string root() const { return root_.string(); }

  CommandResult drover(std::vector<std::string> args, std::map<std::string, std::string> env = {}) const {
    args.insert(args.begin(), drover_binary());
    env.emplace("NO_COLOR", "1");
    return run_command(args, repo_, env);
  }
  CommandResult git(std::vector<std::string> args) const {
    args.insert(args.begin(), "git");
    return run_command(args, repo_);
  }
  std::string add_task(const std::string& title) {
    auto r = drover({"add", title});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string id = r.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
  }

  // Every file of the user's checkout (not .git, not .drover) with its content.
  std::map<std::string, std::string> checkout_snapshot() const {
    std::map<std::string, std::string> files;
    for (auto it = std::filesystem::recursive_directory_iterator(repo_); it != std::filesystem::recursive_directory_iterator(); ++it) {
      const std::string rel = std::filesystem::relative(it->path(), repo_).string();
      if (rel == ".git" || rel == ".drover") {
        it.disable_recursion_pending();
        continue;
      }
      std::ifstream in(it->path(), std::ios::binary);
      std::stringstream s;
      if (it->is_regular_file()) s << in.rdbuf();
      files[rel] = it->is_symlink() ? "symlink" : it->is_directory() ? "dir" : s.str();
    }
    return files;
  }
  // The user's checkout and the target branch as they were before the run.
  void expect_checkout_unchanged() const {
    EXPECT_EQ(checkout_snapshot(), snapshot_) << "the agent changed the user's checkout";
    EXPECT_EQ(git({"rev-parse", "main"}).out, main_) << "the agent moved the target branch";
  }
  void expect_no_process_left() const {
    EXPECT_EQ(joined(processes_marked(mark_)), "") << "processes of the agent outlived its attempt";
  }

 private:
  std::filesystem::path root_;
  std::string repo_;
  std::string mark_ = fresh_mark();
  std::map<std::string, std::string> snapshot_;
  std::string main_;
};

}  // namespace drover::testing

#endif
