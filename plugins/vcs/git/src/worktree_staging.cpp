#include "worktree_staging.h"

#include <vector>

#include "libgit2_handles.h"
#include "nested_repos.h"

namespace drover::vcs_git {

git_oid stage_everything(git_repository* worktree, git_index* index, const std::string& what) {
  std::vector<std::string> nested = find_nested_repositories(worktree, index);
  // add_all stages deletions as well (`git add -A`): one scan of the
  // worktree, not a second one by git_index_update_all.
  check(git_index_add_all(index, nullptr, GIT_INDEX_ADD_DEFAULT, skip_nested_repositories, &nested),
        "vcs git: cannot stage the changes of " + what);
  stage_nested_repository_files(worktree, index, nested);
  check(git_index_write(index), "vcs git: cannot write the index of " + what);
  git_oid tree_oid;
  check(git_index_write_tree(&tree_oid, index), "vcs git: cannot write the tree of " + what);
  return tree_oid;
}

}  // namespace drover::vcs_git
