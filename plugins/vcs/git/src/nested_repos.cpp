#include "nested_repos.h"

#include <filesystem>

#include "drover/plugin/sdk.hpp"
#include "libgit2_handles.h"

namespace drover::vcs_git {

namespace fs = std::filesystem;

namespace {

bool ignored(git_repository* repo, const std::string& rel) {
  int is_ignored = 0;
  return git_ignore_path_is_ignored(&is_ignored, repo, rel.c_str()) == 0 && is_ignored == 1;
}

bool is_gitlink(git_index* index, const std::string& rel) {
  const git_index_entry* e = git_index_get_bypath(index, rel.c_str(), 0);
  return e != nullptr && e->mode == GIT_FILEMODE_COMMIT;
}

// Calls visit(relative path, entry, is_dir) for everything below dir that is
// not a .git and not ignored (files are only checked when with_files: finding
// directories needs no per-file lookup); visit returns false to not descend.
template <class Visit>
void walk(git_repository* repo, const fs::path& workdir, const fs::path& dir, bool with_files, Visit visit) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code st;
    const bool is_dir = it->is_directory(st) && !it->is_symlink(st);
    if (!is_dir && !with_files) continue;
    const std::string rel = it->path().lexically_relative(workdir).generic_string();
    if (it->path().filename() == ".git" || ignored(repo, is_dir ? rel + "/" : rel) || !visit(rel, *it, is_dir)) {
      if (is_dir) it.disable_recursion_pending();
    }
  }
}

}  // namespace

std::vector<std::string> find_nested_repositories(git_repository* repo, git_index* index) {
  const fs::path workdir = git_repository_workdir(repo);
  std::vector<std::string> found;
  walk(repo, workdir, workdir, false, [&](const std::string& rel, const fs::directory_entry& e, bool is_dir) {
    std::error_code ec;
    if (!is_dir || !fs::exists(fs::symlink_status(e.path() / ".git", ec))) return true;
    if (!is_gitlink(index, rel)) found.push_back(rel);
    return false;  // its contents are staged (or, for a submodule, left) as a whole
  });
  return found;
}

int skip_nested_repositories(const char* path, const char* /*matched_pathspec*/, void* payload) {
  const std::string p = path;
  for (const auto& dir : *static_cast<const std::vector<std::string>*>(payload))
    if (p == dir || p.compare(0, dir.size() + 1, dir + "/") == 0) return 1;
  return 0;
}

void stage_nested_repository_files(git_repository* repo, git_index* index, const std::vector<std::string>& dirs) {
  const fs::path workdir = git_repository_workdir(repo);
  for (const auto& dir : dirs) {
    check(git_index_remove_directory(index, dir.c_str(), 0), "vcs git: cannot unstage " + dir);
    walk(repo, workdir, workdir / dir, true, [&](const std::string& rel, const fs::directory_entry&, bool is_dir) {
      if (!is_dir) check(git_index_add_bypath(index, rel.c_str()), "vcs git: cannot stage " + rel);
      return true;
    });
    sdk::log(DROVER_LOG_INFO, "vcs git: " + dir + " is a git repository of its own inside the task's worktree; its files "
                                  "are committed as plain files, without its .git");
  }
}

}  // namespace drover::vcs_git
