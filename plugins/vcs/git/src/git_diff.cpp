// GitVcs::diff_patch: a unified diff for people to read (`drover diff`): what
// a commit changed against its first parent, or a task's worktree against its
// merge base with the target (committed, uncommitted and untracked changes).
#include <git2.h>

#include <filesystem>

#include "git_vcs.h"
#include "repo_queries.h"
#include "request_json.h"
#include "task_id.h"

namespace drover::vcs_git {

namespace {

constexpr uint64_t kDefaultMaxBytes = uint64_t{8} << 20;

struct PatchText {
  std::string text;
  uint64_t max_bytes = kDefaultMaxBytes;
  bool truncated = false;
};

// git_diff_print's callback: each line with its origin marker, as `git diff` prints it.
int add_line(const git_diff_delta*, const git_diff_hunk*, const git_diff_line* line, void* payload) {
  auto* out = static_cast<PatchText*>(payload);
  if (out->truncated) return 0;
  std::string piece;
  if (line->origin == GIT_DIFF_LINE_CONTEXT || line->origin == GIT_DIFF_LINE_ADDITION ||
      line->origin == GIT_DIFF_LINE_DELETION)
    piece += line->origin;
  piece.append(line->content, line->content_len);
  if (line->origin == GIT_DIFF_LINE_CONTEXT_EOFNL || line->origin == GIT_DIFF_LINE_ADD_EOFNL ||
      line->origin == GIT_DIFF_LINE_DEL_EOFNL) {
    if (!piece.empty() && piece.back() != '\n') piece += '\n';
  }
  if (out->text.size() + piece.size() > out->max_bytes) {
    out->truncated = true;
    return 0;
  }
  out->text += piece;
  return 0;
}

git_diff_options diff_options(bool untracked) {
  git_diff_options opts;
  git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
  if (untracked)
    opts.flags |= GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS | GIT_DIFF_SHOW_UNTRACKED_CONTENT;
  return opts;
}

}  // namespace

std::string GitVcs::diff_patch(std::string_view request) {
  const char* op = "diff_patch";
  json req = parse_request(op, request);
  PatchText out;
  if (auto m = req.find("max_bytes"); m != req.end() && !m->is_null()) {
    if (!m->is_number_unsigned() || m->get<uint64_t>() == 0)
      throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: diff_patch: field 'max_bytes' must be a positive integer");
    out.max_bytes = m->get<uint64_t>();
  }
  RepoPtr repo = open_main();
  RepoPtr worktree;  // the task's worktree, when the diff reads its files
  git_diff* raw = nullptr;
  if (req.contains("commit")) {
    const std::string text = required_string(op, req, "commit");
    git_oid oid;
    if (text.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, text.c_str()) != 0)
      throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: diff_patch: '" + text.substr(0, 80) + "' is not a commit id");
    git_commit* found = nullptr;
    if (git_commit_lookup(&found, repo.get(), &oid) != 0)
      throw sdk::Error(DROVER_NOT_FOUND, "vcs git: commit " + text + " is not in the repository at " + root_);
    CommitPtr commit(found);
    TreePtr tree = commit_tree(commit.get());
    TreePtr parent_tree;
    if (git_commit_parentcount(commit.get()) > 0) {
      git_commit* parent = nullptr;
      check(git_commit_parent(&parent, commit.get(), 0), "vcs git: cannot read the parent of " + text);
      CommitPtr p(parent);
      parent_tree = commit_tree(p.get());
    }
    git_diff_options opts = diff_options(false);
    check(git_diff_tree_to_tree(&raw, repo.get(), parent_tree.get(), tree.get(), &opts), "vcs git: cannot diff " + text);
  } else {
    const std::string task_id = required_string(op, req, "task_id");
    validate_task_id(task_id);
    const std::string target = required_string(op, req, "target_branch");
    validate_branch_name(target);
    const TaskBase b = task_base(repo.get(), task_id, target);
    std::error_code ec;
    if (lookup_worktree(repo.get(), task_id) && std::filesystem::is_directory(worktree_path(task_id), ec)) {
      worktree = open_task_worktree(repo.get(), task_id);
      git_diff_options opts = diff_options(true);
      check(git_diff_tree_to_workdir_with_index(&raw, worktree.get(), b.base_tree.get(), &opts),
            "vcs git: cannot diff the worktree of task " + quote_text(task_id));
    } else {
      CommitPtr head_commit = lookup_commit(repo.get(), b.head);
      TreePtr head_tree = commit_tree(head_commit.get());
      git_diff_options opts = diff_options(false);
      check(git_diff_tree_to_tree(&raw, repo.get(), b.base_tree.get(), head_tree.get(), &opts),
            "vcs git: cannot diff task " + quote_text(task_id));
    }
  }
  DiffPtr diff(raw);
  git_diff_stats* raw_stats = nullptr;
  check(git_diff_get_stats(&raw_stats, diff.get()), "vcs git: cannot count the changes");
  DiffStatsPtr stats(raw_stats);
  check(git_diff_print(diff.get(), GIT_DIFF_FORMAT_PATCH, add_line, &out), "vcs git: cannot print the diff");
  return json{{"patch", out.text},
              {"files", git_diff_stats_files_changed(stats.get())},
              {"insertions", git_diff_stats_insertions(stats.get())},
              {"deletions", git_diff_stats_deletions(stats.get())},
              {"truncated", out.truncated}}
      .dump();
}

}  // namespace drover::vcs_git
