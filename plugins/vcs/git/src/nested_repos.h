// Git repositories an agent creates inside a task worktree (a directory with
// its own .git, e.g. from `git init nested` or a `git clone`). libgit2's
// git_index_add_all refuses such a directory ("invalid path: 'nested/'") and
// its working-tree walk does not look inside it, so the task would fail at
// commit after its agent ran. Instead commit takes their files as plain files
// of the task's tree, leaving out every .git; the nested history is not kept.
// Submodules the project registered (gitlinks in the index) are not touched.
#ifndef DROVER_VCS_GIT_NESTED_REPOS_H
#define DROVER_VCS_GIT_NESTED_REPOS_H

#include <git2.h>

#include <string>
#include <vector>

namespace drover::vcs_git {

// The nested repositories in repo's working tree: relative paths without a
// trailing slash, outermost only, not ignored, not gitlinks in index.
std::vector<std::string> find_nested_repositories(git_repository* repo, git_index* index);

// A git_index_matched_path_cb for git_index_add_all/update_all: skips every
// path in or under the std::vector<std::string> of nested repositories given
// as payload (stage_nested_repository_files stages those).
int skip_nested_repositories(const char* path, const char* matched_pathspec, void* payload);

// Makes index hold exactly the current files under each nested repository as
// plain files (not ignored, nothing under a .git), and logs each one once.
void stage_nested_repository_files(git_repository* repo, git_index* index, const std::vector<std::string>& dirs);

}  // namespace drover::vcs_git

#endif
