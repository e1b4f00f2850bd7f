#include "disjoint_tree_merge.h"

#include <set>
#include <string>
#include <vector>

namespace drover::vcs_git {

namespace {

DiffPtr diff_trees(git_repository* repo, git_tree* from, git_tree* to) {
  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  git_diff* raw = nullptr;
  check(git_diff_tree_to_tree(&raw, repo, from, to, &opts), "vcs git: cannot diff trees");
  return DiffPtr(raw);
}

std::string delta_path(const git_diff_delta* d) {
  return d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
}

// True iff some element of paths equals p or is a directory prefix of p, or p is
// a directory prefix of some element.
bool overlaps(const std::set<std::string>& paths, const std::string& p) {
  if (paths.count(p)) return true;
  for (std::size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1))
    if (paths.count(p.substr(0, slash))) return true;
  auto it = paths.lower_bound(p + "/");
  return it != paths.end() && it->compare(0, p.size() + 1, p + "/") == 0;
}

}  // namespace

std::optional<git_oid> merge_disjoint_trees(git_repository* repo, git_tree* base, git_tree* ours, git_tree* theirs) {
  DiffPtr ours_diff = diff_trees(repo, base, ours);
  DiffPtr theirs_diff = diff_trees(repo, base, theirs);

  std::set<std::string> ours_paths;
  for (size_t i = 0, n = git_diff_num_deltas(ours_diff.get()); i < n; ++i)
    ours_paths.insert(delta_path(git_diff_get_delta(ours_diff.get(), i)));

  std::set<std::string> theirs_paths;
  std::vector<git_tree_update> updates;
  const size_t n = git_diff_num_deltas(theirs_diff.get());
  updates.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(theirs_diff.get(), i);
    std::string path = delta_path(d);
    if (overlaps(ours_paths, path) || overlaps(theirs_paths, path)) return std::nullopt;
    theirs_paths.insert(path);
    git_tree_update u{};
    if (d->status == GIT_DELTA_DELETED) {
      u.action = GIT_TREE_UPDATE_REMOVE;
      u.path = d->old_file.path;
    } else {
      u.action = GIT_TREE_UPDATE_UPSERT;
      u.id = d->new_file.id;
      u.filemode = static_cast<git_filemode_t>(d->new_file.mode);
      u.path = d->new_file.path;
    }
    updates.push_back(u);
  }
  git_oid out;
  if (updates.empty()) {
    git_oid_cpy(&out, git_tree_id(ours));
    return out;
  }
  if (git_tree_create_updated(&out, repo, ours, updates.size(), updates.data()) < 0) return std::nullopt;
  return out;
}

}  // namespace drover::vcs_git
