// Owning handles for libgit2 objects and the one place libgit2 return codes
// become exceptions, so the rest of the plugin reads as straight-line code.
#ifndef DROVER_VCS_GIT_LIBGIT2_HANDLES_H
#define DROVER_VCS_GIT_LIBGIT2_HANDLES_H

#include <git2.h>

#include <memory>
#include <string>

#include "drover/plugin/sdk.hpp"

namespace drover::vcs_git {

template <class T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};

template <class T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepoPtr = GitPtr<git_repository, git_repository_free>;
using RefPtr = GitPtr<git_reference, git_reference_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using WorktreePtr = GitPtr<git_worktree, git_worktree_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;
using DiffPtr = GitPtr<git_diff, git_diff_free>;
using DiffStatsPtr = GitPtr<git_diff_stats, git_diff_stats_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using StatusListPtr = GitPtr<git_status_list, git_status_list_free>;
using ConfigPtr = GitPtr<git_config, git_config_free>;
using ConflictIterPtr = GitPtr<git_index_conflict_iterator, git_index_conflict_iterator_free>;
using BranchIterPtr = GitPtr<git_branch_iterator, git_branch_iterator_free>;
using AnnotatedPtr = GitPtr<git_annotated_commit, git_annotated_commit_free>;

// The last libgit2 error message, or a placeholder when libgit2 gave none.
inline std::string last_git_error() {
  const git_error* e = git_error_last();
  return (e != nullptr && e->message != nullptr) ? std::string(e->message) : std::string("unknown libgit2 error");
}

// Throws sdk::Error(status, "<what>: <libgit2 message>") when rc < 0.
inline void check(int rc, const std::string& what, drover_status status = DROVER_ERROR) {
  if (rc < 0) throw sdk::Error(status, what + ": " + last_git_error());
}

}  // namespace drover::vcs_git

#endif
