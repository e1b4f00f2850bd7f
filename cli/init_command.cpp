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

// .git may be a directory or (in a linked worktree) a file "gitdir: <path>";
// info/exclude lives in the common directory.
fs::path git_common_dir(const fs::path& root) {
  fs::path dotgit = root / ".git";
  if (fs::is_directory(dotgit)) return dotgit;
  std::ifstream in(dotgit);
  std::string line;
  std::getline(in, line);
  const std::string prefix = "gitdir: ";
  if (line.rfind(prefix, 0) != 0) return {};
  fs::path gitdir = line.substr(prefix.size());
  if (gitdir.is_relative()) gitdir = root / gitdir;
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
    bool wrote = false;
    if (!fs::exists(config)) {
      // The target branch: given, else the branch checked out now.
      std::string branch = *target;
      if (branch.empty()) {
        std::ifstream head(git_common_dir(root) / "HEAD");
        std::string line;
        std::getline(head, line);
        const std::string prefix = "ref: refs/heads/";
        if (line.rfind(prefix, 0) == 0) branch = line.substr(prefix.size());
      }
      if (branch.empty())
        fail(kExitUsage, "HEAD is detached, so the target branch is unknown; pass --target-branch <branch>");
      std::ofstream out(config);
      out << default_config_text(branch);
      if (!out) fail(kExitUsage, "cannot write " + config.string());
      wrote = true;
    }
    // .drover/ holds agent output and prompts: only its owner may enter it,
    // whatever the umask, also when an older drover created it 0755.
    const fs::path drover_dir = root / ".drover";
    if (int err = sdk::create_private_directories((drover_dir / "logs").string()); err != 0)
      fail(kExitUsage, "cannot create " + (drover_dir / "logs").string() + ": " + std::strerror(err) + "; check the permissions of " + root.string());
    fs::permissions(drover_dir, fs::perms::owner_all, fs::perm_options::replace);
    exclude_drover_dir(root);
    auto project = unwrap(Project::load(config.string()));
    auto store = project->store();
    check(store.status(), "creating the task store");
    auto workspace = project->workspace();
    check(workspace.status(), "opening the repository");
    std::cout << (wrote ? "wrote " + config.string() : config.string() + " already exists; left as it is") << "\n";
    auto d = store.value()->describe();
    std::cout << "store: " << (d.ok() ? d.value().location : "ready") << "\n";
    std::cout << "next: edit agents in drover.yaml, then `drover add \"<task>\"` and `drover run`\n";
  });
}

}  // namespace drover::cli
