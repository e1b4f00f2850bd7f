// drover init: sets up a repository for Drover.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli_support.h"
#include "drover/plugin/private_files.hpp"

namespace drover::cli {
namespace fs = std::filesystem;

namespace {

// The repository's top directory: the nearest directory upwards holding .git.
fs::path find_repo_root(fs::path dir) {
  dir = fs::absolute(dir).lexically_normal();
  while (true) {
    if (fs::exists(dir / ".git")) return dir;
    if (dir == dir.root_path()) return {};
    dir = dir.parent_path();
  }
}

// .git may be a directory or (in a linked worktree) a file "gitdir: <path>":
// the checkout's own git directory, which holds its HEAD.
fs::path git_dir(const fs::path& root) {
  fs::path dotgit = root / ".git";
  if (fs::is_directory(dotgit)) return dotgit;
  std::ifstream in(dotgit);
  std::string line;
  std::getline(in, line);
  const std::string prefix = "gitdir: ";
  if (line.rfind(prefix, 0) != 0) return {};
  fs::path gitdir = line.substr(prefix.size());
  return gitdir.is_relative() ? root / gitdir : gitdir;
}

// The directory shared by every worktree: branches and info/exclude live there.
fs::path git_common_dir(const fs::path& root) {
  fs::path gitdir = git_dir(root);
  if (gitdir.empty() || fs::path(root / ".git") == gitdir) return gitdir;
  std::ifstream common(gitdir / "commondir");
  std::string c;
  if (std::getline(common, c)) {
    fs::path cp = c;
    return cp.is_relative() ? (gitdir / cp).lexically_normal() : cp;
  }
  return gitdir;
}

void exclude_drover_dir(const fs::path& root) {
  fs::path common = git_common_dir(root);
  if (common.empty()) return;
  fs::path exclude = common / "info" / "exclude";
  fs::create_directories(exclude.parent_path());
  std::ifstream in(exclude);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string existing = ss.str();
  std::istringstream lines(existing);
  for (std::string l; std::getline(lines, l);)
    if (l == "/.drover/" || l == ".drover/" || l == "/.drover") return;
  std::ofstream out(exclude, std::ios::app);
  if (!existing.empty() && existing.back() != '\n') out << "\n";
  out << "# Drover's state, worktrees and logs\n/.drover/\n";
}

// True iff refs/heads/<branch> exists, loose or packed. A name git would
// refuse ("..", a leading '/' or '-') exists nowhere.
bool branch_exists(const fs::path& common, const std::string& branch) {
  if (branch.empty() || branch[0] == '/' || branch[0] == '-' || branch.find("..") != std::string::npos) return false;
  if (fs::is_regular_file(common / "refs" / "heads" / branch)) return true;
  std::ifstream packed(common / "packed-refs");
  const std::string ref = " refs/heads/" + branch;
  for (std::string line; std::getline(packed, line);)
    if (line.size() > ref.size() && line.compare(line.size() - ref.size(), ref.size(), ref) == 0) return true;
  return false;
}

// The branch HEAD names ("main"), or "" when HEAD is detached.
std::string head_branch(const fs::path& gitdir) {
  std::ifstream head(gitdir / "HEAD");
  std::string line;
  std::getline(head, line);
  const std::string prefix = "ref: refs/heads/";
  return line.rfind(prefix, 0) == 0 ? line.substr(prefix.size()) : "";
}

// What init created, removed again unless the init succeeds: a failed init
// leaves the repository as it found it.
class InitUndo {
 public:
  InitUndo(fs::path config, fs::path drover_dir, fs::path exclude)
      : config_(std::move(config)), drover_dir_(std::move(drover_dir)), exclude_(std::move(exclude)) {
    had_config_ = fs::exists(config_);
    had_drover_dir_ = fs::exists(drover_dir_);
    had_exclude_ = fs::exists(exclude_);
    if (had_exclude_) {
      std::ifstream in(exclude_, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      exclude_text_ = ss.str();
    }
  }
  ~InitUndo() {
    if (done_) return;
    std::error_code ec;
    if (!had_config_) fs::remove(config_, ec);
    if (!had_drover_dir_) fs::remove_all(drover_dir_, ec);
    if (!had_exclude_) {
      fs::remove(exclude_, ec);
    } else {
      std::ofstream out(exclude_, std::ios::binary | std::ios::trunc);
      out << exclude_text_;
    }
  }
  void keep() { done_ = true; }

 private:
  fs::path config_, drover_dir_, exclude_;
  bool had_config_ = false, had_drover_dir_ = false, had_exclude_ = false, done_ = false;
  std::string exclude_text_;
};

}  // namespace

void add_init_command(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("init", "Set up Drover in this git repository (drover.yaml, .drover/, the store)");
  auto* target = new std::string();
  cmd->add_option("--target-branch", *target, "branch finished tasks merge into (default: the current branch)");
  cmd->callback([&g, target] {
    fs::path root = find_repo_root(fs::current_path());
    if (root.empty())
      fail(kExitUsage, "not inside a git repository (" + fs::current_path().string() +
                           "); run `git init` first or cd into your project");
    fs::path config = g.config_path.empty() ? root / "drover.yaml" : fs::absolute(g.config_path);
    const fs::path common = git_common_dir(root);
    const std::string head = head_branch(git_dir(root));
    // Tasks branch off the target branch and merge into it: it must hold a commit.
    if (!head.empty() && !branch_exists(common, head) && target->empty())
      fail(kExitUsage, "the repository at " + root.string() + " has no commits yet, so tasks have nothing to start from; " +
                           "make a first commit (git commit --allow-empty -m \"Initial commit\") and run `drover init` again");
    if (!target->empty() && !branch_exists(common, *target))
      fail(kExitUsage, "--target-branch: there is no branch '" + *target + "' in " + root.string() +
                           "; create it first (git branch " + *target + ") or name an existing branch");
    if (!target->empty() && fs::exists(config)) {
      auto existing = load_config_file(config.string());
      const std::string current = existing.ok() ? existing.value().target_branch : "";
      if (current != *target)
        fail(kExitUsage, config.string() + " already exists" +
                             (current.empty() ? "" : " with target_branch: " + current) +
                             ", and --target-branch only applies to a new drover.yaml; set target_branch: " + *target +
                             " in it instead");
    }
    const fs::path drover_dir = root / ".drover";
    InitUndo undo(config, drover_dir, common.empty() ? fs::path() : common / "info" / "exclude");
    bool wrote = false;
    if (!fs::exists(config)) {
      // The target branch: given, else the branch checked out now.
      std::string branch = target->empty() ? head : *target;
      if (branch.empty())
        fail(kExitUsage, "HEAD is detached, so the target branch is unknown; pass --target-branch <branch>");
      std::ofstream out(config);
      out << default_config_text(branch);
      if (!out) fail(kExitUsage, "cannot write " + config.string() + "; check the permissions of its directory");
      wrote = true;
    }
    // .drover/ holds agent output and prompts: only its owner may enter it,
    // whatever the umask, also when an older drover created it 0755.
    if (int err = sdk::create_private_directories((drover_dir / "logs").string()); err != 0)
      fail(kExitUsage, "cannot create " + (drover_dir / "logs").string() + ": " + std::strerror(err) + "; check the permissions of " + root.string());
    fs::permissions(drover_dir, fs::perms::owner_all, fs::perm_options::replace);
    exclude_drover_dir(root);
    auto project = unwrap(Project::load(config.string()));
    auto store = project->store();
    check(store.status(), "creating the task store");
    auto workspace = project->workspace();
    check(workspace.status(), "opening the repository");
    undo.keep();
    std::cout << (wrote ? "wrote " + config.string() : config.string() + " already exists; left as it is") << "\n";
    auto d = store.value()->describe();
    std::cout << "store: " << (d.ok() ? d.value().location : "ready") << "\n";
    std::cout << "next: edit agents in drover.yaml, then `drover add \"<task>\"` and `drover run`\n";
  });
}

}  // namespace drover::cli
