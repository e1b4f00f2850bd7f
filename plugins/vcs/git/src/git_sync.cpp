// GitVcs::sync_worktree: brings the target's tip into a task's worktree before
// the task lands again: a clean merge is committed on the task branch; a
// conflict is left in the worktree, mid-merge with standard markers, for the
// agent's resolution round (the next commit finishes the merge).
#include <git2.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "commit_message.h"
#include "git_vcs.h"
#include "repo_queries.h"
#include "request_json.h"
#include "stale_locks.h"
#include "task_id.h"

namespace drover::vcs_git {

namespace fs = std::filesystem;

namespace {

// How far back along the target's first parents a collision is looked for.
constexpr int kMaxCollisionWalk = 1000;

// Drover's merges on the target since `head` branched off that changed one of
// `paths`: whose landed work the task's change collides with.
json collisions(git_repository* repo, const git_oid& tip, const git_oid& head, const std::string& task_id,
                const std::vector<std::string>& paths) {
  json out = json::array();
  const std::set<std::string> wanted(paths.begin(), paths.end());
  CommitPtr c = lookup_commit(repo, tip);
  for (int i = 0; i < kMaxCollisionWalk && c; ++i) {
    if (reachable_from(repo, head, *git_commit_id(c.get()))) break;  // reached the branch point
    if (git_commit_parentcount(c.get()) == 0) break;
    git_commit* raw_parent = nullptr;
    if (git_commit_parent(&raw_parent, c.get(), 0) != 0) break;
    CommitPtr parent(raw_parent);
    const std::string other = trailer_value(git_commit_message(c.get()), "Drover-Task");
    if (!other.empty() && other != task_id) {
      TreePtr before = commit_tree(parent.get()), after = commit_tree(c.get());
      std::vector<std::string> hit;
      for (const auto& p : changed_paths(repo, before.get(), after.get()))
        if (wanted.count(p)) hit.push_back(p);
      if (!hit.empty())
        out.push_back(json{{"task_id", other},
                           {"commit", oid_hex(*git_commit_id(c.get()))},
                           {"summary", git_commit_summary(c.get()) ? git_commit_summary(c.get()) : ""},
                           {"paths", hit}});
    }
    c = std::move(parent);
  }
  return out;
}

// A sync that was cut short (drover killed) inside git_merge leaves the
// worktree mid-merge in any of its stages: MERGE_HEAD written but files half
// checked out and the index not yet written, or `<file>.lock` files of the
// conflict files it was writing. Committing that state would record a merge
// whose tree lacks the target's changes. The sync began on a clean worktree
// and no agent ran since (its step was not recorded), so everything that is
// not HEAD is the interrupted merge's: it is undone and the merge done again.
void undo_interrupted_sync(git_repository* wt, const git_oid& head, const git_oid& tip, const std::string& what) {
  CommitPtr head_commit = lookup_commit(wt, head), tip_commit = lookup_commit(wt, tip);
  TreePtr head_tree = commit_tree(head_commit.get()), tip_tree = commit_tree(tip_commit.get());
  // The only files the merge writes through a lock file are the ones it changes.
  const std::string root = git_repository_workdir(wt);
  for (const auto& p : changed_paths(wt, head_tree.get(), tip_tree.get())) {
    std::error_code ec;
    fs::remove(fs::path(root) / (p + ".lock"), ec);
  }
  git_checkout_options co;
  git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
  check(git_checkout_tree(wt, reinterpret_cast<git_object*>(head_commit.get()), &co),
        "vcs git: cannot undo the interrupted merge in the worktree of " + what);
  git_index* raw_index = nullptr;
  check(git_repository_index(&raw_index, wt), "vcs git: cannot open the index of " + what);
  IndexPtr index(raw_index);
  check(git_index_read_tree(index.get(), head_tree.get()), "vcs git: cannot reset the index of " + what);
  check(git_index_write(index.get()), "vcs git: cannot write the index of " + what);
  git_repository_state_cleanup(wt);
  sdk::log(DROVER_LOG_WARN, "vcs git: undid a merge of the target into the worktree of " + what +
                                " that a killed drover had left half done; merging again");
}

}  // namespace

std::string GitVcs::sync_worktree(std::string_view request) {
  const char* op = "sync_worktree";
  json req = parse_request(op, request);
  const std::string task_id = required_string(op, req, "task_id");
  validate_task_id(task_id);
  const std::string target = required_string(op, req, "target_branch");
  validate_branch_name(target);
  clear_task_locks(common_dir_, branch_name(task_id), admin_dir(task_id));
  const std::string what = "task " + quote_text(task_id);

  RepoPtr repo = open_main();
  const std::optional<git_oid> tip = current_target_tip(repo.get(), target);
  RepoPtr wt = open_task_worktree(repo.get(), task_id);
  const std::string branch_ref = "refs/heads/" + branch_name(task_id);
  git_reference* raw_head = nullptr;
  check(git_repository_head(&raw_head, wt.get()), "vcs git: cannot read HEAD of the worktree of " + what);
  RefPtr head_ref(raw_head);
  if (branch_ref != git_reference_name(head_ref.get()))
    throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree of " + what + " is not on branch " + branch_name(task_id) +
                                          " (someone switched it); switch it back");
  const git_oid head = *git_reference_target(head_ref.get());
  auto answer = [&](const char* result, const std::optional<git_oid>& commit, const std::vector<std::string>& paths) {
    return json{{"result", result},
                {"tip", oid_hex(*tip)},
                {"commit", commit ? json(oid_hex(*commit)) : json(nullptr)},
                {"paths", paths},
                {"collides_with", paths.empty() ? json::array() : collisions(repo.get(), *tip, head, task_id, paths)}}
        .dump();
  };

  git_index* raw_index = nullptr;
  check(git_repository_index(&raw_index, wt.get()), "vcs git: cannot open the index of " + what);
  IndexPtr index(raw_index);
  check(git_index_read(index.get(), 1), "vcs git: cannot read the index of " + what);
  const std::string conflicts_file = admin_dir(task_id) + "/drover-conflicts";
  auto remember_conflicts = [&](const std::vector<std::string>& paths) {
    // The next commit refuses while one of these still holds conflict markers.
    std::ofstream out(conflicts_file, std::ios::trunc);
    for (const auto& p : paths) out << p << "\n";
  };
  auto commit_merge = [&](const git_oid& parent2, const std::string& message) {
    git_oid tree_oid;
    check(git_index_write_tree(&tree_oid, index.get()), "vcs git: cannot write the merged tree of " + what);
    git_tree* raw_tree = nullptr;
    check(git_tree_lookup(&raw_tree, wt.get(), &tree_oid), "vcs git: cannot read the merged tree of " + what);
    TreePtr tree(raw_tree);
    CommitPtr ours = lookup_commit(wt.get(), head), theirs = lookup_commit(wt.get(), parent2);
    SignaturePtr sig = make_signature(wt.get(), config_, std::nullopt, std::nullopt);
    const git_commit* parents[] = {ours.get(), theirs.get()};
    git_oid merged;
    check(git_commit_create(&merged, wt.get(), "HEAD", sig.get(), sig.get(), nullptr, message.c_str(), tree.get(), 2, parents),
          "vcs git: cannot commit the merge of " + target + " into the worktree of " + what);
    git_repository_state_cleanup(wt.get());
    return merged;
  };
  const std::string message = optional_string(op, req, "message")
                                  .value_or("Merge " + target + " into " + branch_name(task_id) +
                                            "\n\nBrings task " + task_id + " up to date before it lands.\n");
  if (git_repository_state(wt.get()) == GIT_REPOSITORY_STATE_MERGE) {
    // A sync whose answer was lost or that was cut short (drover killed):
    // whatever stage it reached, it is done again from the clean HEAD.
    undo_interrupted_sync(wt.get(), head, *tip, what);
    check(git_index_read(index.get(), 1), "vcs git: cannot read the index of " + what);
  }
  if (git_repository_state(wt.get()) != GIT_REPOSITORY_STATE_NONE)
    throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree of " + what +
                                          " is in the middle of a merge, rebase or cherry-pick; commit or abort it first");
  if (std::vector<std::string> dirty = uncommitted_paths(wt.get()); !dirty.empty())
    throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree of " + what + " has uncommitted changes (" + dirty.front() +
                                          (dirty.size() > 1 ? " and " + std::to_string(dirty.size() - 1) + " more" : "") +
                                          "); commit them before bringing " + target + " in");
  if (reachable_from(wt.get(), head, *tip)) return answer("up_to_date", std::nullopt, {});

  CommitPtr tip_commit = lookup_commit(wt.get(), *tip);
  if (reachable_from(wt.get(), *tip, head)) {
    // The branch has nothing of its own: it simply moves to the tip.
    git_checkout_options co;
    git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
    co.checkout_strategy = GIT_CHECKOUT_SAFE;
    check(git_checkout_tree(wt.get(), reinterpret_cast<git_object*>(tip_commit.get()), &co),
          "vcs git: cannot check out " + target + " in the worktree of " + what);
    git_reference* raw_moved = nullptr;
    check(git_reference_set_target(&raw_moved, head_ref.get(), &*tip, "drover: bring the task up to date"),
          "vcs git: cannot move " + branch_ref);
    git_reference_free(raw_moved);
    return answer("merged", *tip, {});
  }

  git_annotated_commit* raw_ann = nullptr;
  check(git_annotated_commit_lookup(&raw_ann, wt.get(), &*tip), "vcs git: cannot read " + target + "'s tip");
  AnnotatedPtr ann(raw_ann);
  git_merge_options mo;
  git_merge_options_init(&mo, GIT_MERGE_OPTIONS_VERSION);
  git_checkout_options co;
  git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
  co.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_ALLOW_CONFLICTS;
  const git_annotated_commit* heads[] = {ann.get()};
  check(git_merge(wt.get(), heads, 1, &mo, &co), "vcs git: cannot merge " + target + " into the worktree of " + what);
  check(git_index_read(index.get(), 1), "vcs git: cannot read the index of " + what);
  if (git_index_has_conflicts(index.get())) {
    std::vector<std::string> paths = conflict_paths(index.get());
    remember_conflicts(paths);
    return answer("conflict", std::nullopt, paths);
  }
  return answer("merged", commit_merge(*tip, message), {});
}

}  // namespace drover::vcs_git
