#include "repo_queries.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "commit_message.h"

namespace drover::vcs_git {

std::string oid_hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

namespace {

bool head_file_names(const std::filesystem::path& head, const std::string& ref) {
  std::ifstream in(head, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return false;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  return line == "ref: " + ref;
}

}  // namespace

bool branch_checked_out(git_repository* repo, const std::string& common_dir, const std::string& branch) {
  namespace fs = std::filesystem;
  const std::string ref = "refs/heads/" + branch;
  if (!git_repository_is_bare(repo) && head_file_names(fs::path(common_dir) / "HEAD", ref)) return true;
  std::error_code ec;
  for (fs::directory_iterator it(fs::path(common_dir) / "worktrees", ec), end; !ec && it != end; it.increment(ec))
    if (head_file_names(it->path() / "HEAD", ref)) return true;
  return false;
}

std::optional<git_oid> branch_tip(git_repository* repo, const std::string& branch) {
  git_reference* raw = nullptr;
  int rc = git_branch_lookup(&raw, repo, branch.c_str(), GIT_BRANCH_LOCAL);
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) return std::nullopt;
  check(rc, "vcs git: cannot read branch '" + branch + "'");
  RefPtr ref(raw);
  git_reference* resolved_raw = nullptr;
  rc = git_reference_resolve(&resolved_raw, ref.get());
  if (rc == GIT_ENOTFOUND) return std::nullopt;
  check(rc, "vcs git: cannot resolve branch '" + branch + "'");
  RefPtr resolved(resolved_raw);
  const git_oid* target = git_reference_target(resolved.get());
  if (target == nullptr) return std::nullopt;
  return *target;
}

bool reachable_from(git_repository* repo, const git_oid& tip, const git_oid& commit) {
  if (git_oid_equal(&tip, &commit)) return true;
  int rc = git_graph_descendant_of(repo, &tip, &commit);
  check(rc, "vcs git: cannot compare commits " + oid_hex(tip) + " and " + oid_hex(commit));
  return rc == 1;
}

namespace {

constexpr int kMaxWalk = 200000;  // bounds history scans on huge repositories

bool carries_task_source(git_commit* c, const std::string& task_id, const std::string& head_hex) {
  const char* msg = git_commit_message(c);
  return has_trailer(msg, "Drover-Source", head_hex) && has_trailer(msg, "Drover-Task", task_id);
}

}  // namespace

MergeLookup find_merge(git_repository* repo, const git_oid& target_tip, const git_oid& head,
                       const std::string& task_id) {
  const std::string head_hex = oid_hex(head);
  MergeLookup out;
  if (reachable_from(repo, target_tip, head)) {
    // Walk the target's first-parent line down to the commit that brought head in.
    git_oid cur = target_tip;
    for (int i = 0; i < kMaxWalk; ++i) {
      CommitPtr c = lookup_commit(repo, cur);
      if (git_oid_equal(&cur, &head)) {
        bool task_commit = has_trailer(git_commit_message(c.get()), "Drover-Task", task_id);
        out.state = task_commit ? MergeLookup::kMerged : MergeLookup::kNothingToMerge;
        out.commit = cur;
        return out;
      }
      if (carries_task_source(c.get(), task_id, head_hex) || git_commit_parentcount(c.get()) == 0 ||
          !reachable_from(repo, *git_commit_parent_id(c.get(), 0), head)) {
        out.state = MergeLookup::kMerged;
        out.commit = cur;
        return out;
      }
      cur = *git_commit_parent_id(c.get(), 0);
    }
    out.state = MergeLookup::kMerged;
    out.commit = target_tip;
    return out;
  }

  // Not an ancestor: look for a squash/rebase commit made from this head since the fork point.
  git_revwalk* raw_walk = nullptr;
  check(git_revwalk_new(&raw_walk, repo), "vcs git: cannot walk history");
  RevwalkPtr walk(raw_walk);
  check(git_revwalk_push(walk.get(), &target_tip), "vcs git: cannot walk history");
  git_oid base;
  if (git_merge_base(&base, repo, &target_tip, &head) == 0) git_revwalk_hide(walk.get(), &base);
  git_oid oid;
  for (int i = 0; i < kMaxWalk && git_revwalk_next(&oid, walk.get()) == 0; ++i) {
    CommitPtr c = lookup_commit(repo, oid);
    if (carries_task_source(c.get(), task_id, head_hex)) {
      out.state = MergeLookup::kMerged;
      out.commit = oid;
      return out;
    }
  }
  return out;
}

WorktreeScan scan_worktree(git_repository* worktree_repo, bool with_ignored) {
  git_status_options opts;
  git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
               GIT_STATUS_OPT_EXCLUDE_SUBMODULES | (with_ignored ? GIT_STATUS_OPT_INCLUDE_IGNORED : 0);
  git_status_list* raw = nullptr;
  check(git_status_list_new(&raw, worktree_repo, &opts), "vcs git: cannot read worktree status");
  StatusListPtr list(raw);
  std::set<std::string> paths;
  WorktreeScan out;
  for (size_t i = 0, n = git_status_list_entrycount(list.get()); i < n; ++i) {
    const git_status_entry* e = git_status_byindex(list.get(), i);
    if (e->status == GIT_STATUS_CURRENT) continue;
    const git_diff_delta* d = e->index_to_workdir != nullptr ? e->index_to_workdir : e->head_to_index;
    if (d == nullptr) continue;
    if (e->status & GIT_STATUS_IGNORED) {
      if (const char* p = d->new_file.path ? d->new_file.path : d->old_file.path) out.ignored.push_back(p);
      continue;
    }
    if (d->new_file.path != nullptr) paths.insert(d->new_file.path);
    if (d->old_file.path != nullptr) paths.insert(d->old_file.path);
  }
  out.uncommitted.assign(paths.begin(), paths.end());
  return out;
}

std::vector<std::string> uncommitted_paths(git_repository* worktree_repo) {
  return scan_worktree(worktree_repo, false).uncommitted;
}

SignaturePtr make_signature(git_repository* repo, const GitConfig& config, const std::optional<std::string>& name,
                            const std::optional<std::string>& email) {
  git_signature* raw = nullptr;
  std::optional<std::string> n = name ? name : config.author_name;
  std::optional<std::string> e = email ? email : config.author_email;
  if (!n || !e) {
    if (git_signature_default(&raw, repo) == 0) {
      SignaturePtr repo_sig(raw);
      if (!n) n = repo_sig->name;
      if (!e) e = repo_sig->email;
    }
  }
  if (!n) n = "Drover";
  if (!e) e = "drover@localhost";
  raw = nullptr;
  check(git_signature_now(&raw, n->c_str(), e->c_str()),
        "vcs git: author '" + *n + " <" + *e + ">' is not a valid signature", DROVER_INVALID_ARGUMENT);
  return SignaturePtr(raw);
}

std::vector<std::string> changed_paths(git_repository* repo, git_tree* from, git_tree* to) {
  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  opts.flags |= GIT_DIFF_IGNORE_SUBMODULES;
  git_diff* raw = nullptr;
  check(git_diff_tree_to_tree(&raw, repo, from, to, &opts), "vcs git: cannot diff trees");
  DiffPtr diff(raw);
  std::set<std::string> paths;
  for (size_t i = 0, n = git_diff_num_deltas(diff.get()); i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    if (d->old_file.path != nullptr) paths.insert(d->old_file.path);
    if (d->new_file.path != nullptr) paths.insert(d->new_file.path);
  }
  return {paths.begin(), paths.end()};
}

CommitPtr lookup_commit(git_repository* repo, const git_oid& oid) {
  git_commit* raw = nullptr;
  check(git_commit_lookup(&raw, repo, &oid), "vcs git: cannot read commit " + oid_hex(oid));
  return CommitPtr(raw);
}

TreePtr commit_tree(git_commit* c) {
  git_tree* raw = nullptr;
  check(git_commit_tree(&raw, c), "vcs git: cannot read the tree of commit " + oid_hex(*git_commit_id(c)));
  return TreePtr(raw);
}

std::vector<std::string> conflict_paths(git_index* index) {
  git_index_conflict_iterator* raw = nullptr;
  check(git_index_conflict_iterator_new(&raw, index), "vcs git: cannot list merge conflicts");
  ConflictIterPtr it(raw);
  std::set<std::string> paths;
  const git_index_entry *ancestor = nullptr, *ours = nullptr, *theirs = nullptr;
  while (git_index_conflict_next(&ancestor, &ours, &theirs, it.get()) == 0) {
    for (const git_index_entry* e : {ancestor, ours, theirs})
      if (e != nullptr && e->path != nullptr) paths.insert(e->path);
  }
  return {paths.begin(), paths.end()};
}

std::vector<git_oid> merge_heads(git_repository* repo) {
  std::vector<git_oid> heads;
  git_repository_mergehead_foreach(
      repo,
      [](const git_oid* id, void* payload) {
        static_cast<std::vector<git_oid>*>(payload)->push_back(*id);
        return 0;
      },
      &heads);
  return heads;
}

}  // namespace drover::vcs_git
