// GitVcs::merge: bring a task branch into its target branch.
//
// The merge is computed in memory (no MERGE_HEAD, no index or working-tree
// writes), committed as a dangling commit, and published by moving the target
// ref with a compare-and-swap. When the target is checked out in one of the
// user's worktrees (main or linked), the paths the merge changes are checked first and brought along
// afterwards; every other local modification is left exactly as it was.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "commit_message.h"
#include "disjoint_tree_merge.h"
#include "git_vcs.h"
#include "repo_lock.h"
#include "stale_locks.h"
#include "repo_queries.h"
#include "request_json.h"
#include "task_id.h"
#include "worktree_pool.h"

namespace drover::vcs_git {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxCasAttempts = 5;

// A merge result that is either a new (not yet published) commit or conflicts.
struct BuiltMerge {
  std::optional<git_oid> commit;
  std::vector<std::string> conflicts;
};

// Writes the merged index as a tree, or reports its conflicts.
std::optional<git_oid> write_merged_tree(git_repository* repo, git_index* index, BuiltMerge& out) {
  if (git_index_has_conflicts(index)) {
    out.conflicts = conflict_paths(index);
    return std::nullopt;
  }
  git_oid tree;
  check(git_index_write_tree_to(&tree, index, repo), "vcs git: cannot write the merged tree");
  return tree;
}

std::string drover_message(const std::string& message, const std::string& task_id, const std::string& head_hex) {
  return with_trailer(with_trailer(message, "Drover-Task", task_id), "Drover-Source", head_hex);
}

// The tree of merging `theirs` into `ours`: the cheap disjoint-paths merge when
// there is a single merge base and the changes do not overlap, else libgit2's
// full in-memory merge (which reports conflicts into out).
std::optional<git_oid> merged_tree(git_repository* repo, git_commit* ours, git_commit* theirs, git_commit* base,
                                   BuiltMerge& out) {
  if (base != nullptr) {
    TreePtr base_tree = commit_tree(base), ours_tree = commit_tree(ours), theirs_tree = commit_tree(theirs);
    if (auto fast = merge_disjoint_trees(repo, base_tree.get(), ours_tree.get(), theirs_tree.get())) return fast;
  }
  git_merge_options opts;
  git_merge_options_init(&opts, GIT_MERGE_OPTIONS_VERSION);
  git_index* raw = nullptr;
  check(git_merge_commits(&raw, repo, ours, theirs, &opts), "vcs git: cannot merge");
  IndexPtr index(raw);
  return write_merged_tree(repo, index.get(), out);
}

// The single merge base of two commits, or null (none, or a criss-cross with several).
CommitPtr single_merge_base(git_repository* repo, const git_oid& a, const git_oid& b) {
  git_oidarray bases{};
  if (git_merge_bases(&bases, repo, &a, &b) != 0) return nullptr;
  CommitPtr out = bases.count == 1 ? lookup_commit(repo, bases.ids[0]) : nullptr;
  git_oidarray_dispose(&bases);
  return out;
}

// merge (two parents, even when a fast-forward is possible) or squash (one parent).
BuiltMerge merge_or_squash(git_repository* repo, bool squash, git_commit* tip, git_commit* head,
                           const std::string& message, const git_signature* sig) {
  BuiltMerge out;
  CommitPtr base = single_merge_base(repo, *git_commit_id(tip), *git_commit_id(head));
  auto tree_oid = merged_tree(repo, tip, head, base.get(), out);
  if (!tree_oid) return out;
  git_tree* raw_tree = nullptr;
  check(git_tree_lookup(&raw_tree, repo, &*tree_oid), "vcs git: cannot read the merged tree");
  TreePtr tree(raw_tree);
  const git_commit* parents[] = {tip, head};
  git_oid oid;
  check(git_commit_create(&oid, repo, nullptr, sig, sig, nullptr, message.c_str(), tree.get(), squash ? 1 : 2,
                          parents),
        "vcs git: cannot create the merge commit");
  out.commit = oid;
  return out;
}

// rebase: replays the task's commits onto the target's tip, one by one, for a
// linear history. The last replayed commit carries the Drover trailers.
BuiltMerge rebase(git_repository* repo, git_commit* tip, const git_oid& head, const std::string& task_id,
                  const git_signature* sig) {
  BuiltMerge out;
  git_revwalk* raw_walk = nullptr;
  check(git_revwalk_new(&raw_walk, repo), "vcs git: cannot walk history");
  RevwalkPtr walk(raw_walk);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  check(git_revwalk_push(walk.get(), &head), "vcs git: cannot walk the task branch");
  check(git_revwalk_hide(walk.get(), git_commit_id(tip)), "vcs git: cannot walk the task branch");
  std::vector<git_oid> todo;
  for (git_oid oid; git_revwalk_next(&oid, walk.get()) == 0;) todo.push_back(oid);
  if (todo.empty()) return out;

  CommitPtr onto;  // empty while onto is tip
  for (std::size_t i = 0; i < todo.size(); ++i) {
    CommitPtr pick = lookup_commit(repo, todo[i]);
    git_commit* base = onto ? onto.get() : tip;
    std::optional<git_oid> tree_oid;
    if (git_commit_parentcount(pick.get()) == 1) {
      // A cherry-pick is a three-way merge with the picked commit's parent as base.
      git_commit* raw_parent = nullptr;
      check(git_commit_parent(&raw_parent, pick.get(), 0), "vcs git: cannot read the parent of " + oid_hex(todo[i]));
      CommitPtr parent(raw_parent);
      TreePtr parent_tree = commit_tree(parent.get()), onto_tree = commit_tree(base), pick_tree = commit_tree(pick.get());
      tree_oid = merge_disjoint_trees(repo, parent_tree.get(), onto_tree.get(), pick_tree.get());
    }
    if (!tree_oid) {
      git_merge_options opts;
      git_merge_options_init(&opts, GIT_MERGE_OPTIONS_VERSION);
      unsigned mainline = git_commit_parentcount(pick.get()) > 1 ? 1 : 0;
      git_index* raw = nullptr;
      check(git_cherrypick_commit(&raw, repo, pick.get(), base, mainline, &opts),
            "vcs git: cannot replay commit " + oid_hex(todo[i]));
      IndexPtr index(raw);
      tree_oid = write_merged_tree(repo, index.get(), out);
      if (!tree_oid) return out;
    }
    git_tree* raw_tree = nullptr;
    check(git_tree_lookup(&raw_tree, repo, &*tree_oid), "vcs git: cannot read the replayed tree");
    TreePtr tree(raw_tree);
    std::string message = git_commit_message(pick.get());
    if (i + 1 == todo.size()) message = drover_message(message, task_id, oid_hex(head));
    const git_commit* parents[] = {base};
    git_oid oid;
    check(git_commit_create(&oid, repo, nullptr, git_commit_author(pick.get()), sig,
                            git_commit_message_encoding(pick.get()), message.c_str(), tree.get(), 1, parents),
          "vcs git: cannot create the replayed commit");
    onto = lookup_commit(repo, oid);
  }
  out.commit = *git_commit_id(onto.get());
  return out;
}

bool head_points_to(git_repository* repo, const std::string& full_ref) {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, "HEAD") != 0) return false;
  RefPtr head(raw);
  return git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC &&
         full_ref == git_reference_symbolic_target(head.get());
}

// A working tree whose HEAD is the target branch: the main worktree or a linked
// one the user made. Task worktrees are never on a target branch.
struct Checkout {
  RepoPtr repo;
  std::string root;  // no trailing slash
};

std::optional<Checkout> checkout_of(const std::string& common_dir, const std::string& full_ref) {
  std::vector<RepoPtr> candidates;
  git_repository* raw = nullptr;
  if (git_repository_open(&raw, common_dir.c_str()) != 0) return std::nullopt;
  RepoPtr main(raw);
  git_strarray names{};
  if (!git_repository_is_bare(main.get()) && head_points_to(main.get(), full_ref)) {
    std::string root = git_repository_workdir(main.get());
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    return Checkout{std::move(main), root};
  }
  if (git_worktree_list(&names, main.get()) != 0) return std::nullopt;
  std::optional<Checkout> found;
  for (size_t i = 0; i < names.count && !found; ++i) {
    git_worktree* raw_wt = nullptr;
    if (git_worktree_lookup(&raw_wt, main.get(), names.strings[i]) != 0) continue;
    WorktreePtr wt(raw_wt);
    raw = nullptr;
    if (git_worktree_validate(wt.get()) != 0 || git_repository_open_from_worktree(&raw, wt.get()) != 0) continue;
    RepoPtr repo(raw);
    if (head_points_to(repo.get(), full_ref)) {
      std::string root = git_repository_workdir(repo.get());
      while (root.size() > 1 && root.back() == '/') root.pop_back();
      found = Checkout{std::move(repo), root};
    }
  }
  git_strarray_dispose(&names);
  return found;
}

// Paths among `changed` where the user's index or working tree differs from the
// old tip (modified, staged, deleted, untracked or ignored files in the way, or
// a file/directory standing where the merge needs the other).
std::vector<std::string> paths_in_the_way(git_repository* repo, const std::string& root,
                                          const std::vector<std::string>& changed) {
  std::set<std::string> in_the_way;
  std::set<std::string> changed_set(changed.begin(), changed.end());
  for (const std::string& p : changed) {
    unsigned int flags = 0;
    int rc = git_status_file(&flags, repo, p.c_str());
    if (rc == 0 && flags != GIT_STATUS_CURRENT) in_the_way.insert(p);
    if (rc < 0 && rc != GIT_ENOTFOUND) in_the_way.insert(p);
    struct stat st;
    if (::lstat((root + "/" + p).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) in_the_way.insert(p);
    for (std::size_t slash = p.find('/'); slash != std::string::npos; slash = p.find('/', slash + 1)) {
      std::string prefix = p.substr(0, slash);
      if (changed_set.count(prefix)) continue;
      if (::lstat((root + "/" + prefix).c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) in_the_way.insert(prefix);
    }
  }
  return {in_the_way.begin(), in_the_way.end()};
}

// Brings the checked-out working tree and index from old_tip to new_tip for
// exactly the changed paths. Returns the libgit2 error text on failure. (The
// commits are looked up again: checkout needs objects of the repository handle
// it works on.)
std::optional<std::string> bring_checkout_along(git_repository* repo, const git_oid& old_tip, const git_oid& new_tip,
                                                const std::vector<std::string>& changed) {
  git_commit* raw_old = nullptr;
  git_commit* raw_new = nullptr;
  if (git_commit_lookup(&raw_old, repo, &old_tip) < 0) return last_git_error();
  CommitPtr old_commit(raw_old);
  if (git_commit_lookup(&raw_new, repo, &new_tip) < 0) return last_git_error();
  CommitPtr new_commit(raw_new);
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, old_commit.get()) < 0) return last_git_error();
  TreePtr old_tree(raw_tree);

  std::vector<char*> ptrs;
  for (const std::string& p : changed) ptrs.push_back(const_cast<char*>(p.c_str()));
  git_checkout_options opts;
  git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
  opts.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
  opts.baseline = old_tree.get();
  opts.paths.strings = ptrs.data();
  opts.paths.count = ptrs.size();
  if (git_checkout_tree(repo, reinterpret_cast<const git_object*>(new_commit.get()), &opts) < 0)
    return last_git_error();
  return std::nullopt;
}

// Waits up to ~2 s for the checkout's index.lock to disappear; true iff it did.
bool index_unlocked(git_repository* repo) {
  const std::string lock = std::string(git_repository_path(repo)) + "index.lock";
  for (int i = 0; i < 40; ++i) {
    struct stat st;
    if (::lstat(lock.c_str(), &st) != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Moving the target ref and bringing the user's checkout along are two writes;
// a process killed between them would leave the checkout behind its branch
// (files and index at the old tip: `git status` shows the merge as reverted).
// So before moving the ref we write "<old tip> <new tip>" to a marker next to
// the merge lock, remove it once the checkout is updated, and whoever takes
// the merge lock next finishes the job if the marker is still there.
std::string pending_checkout_path(const std::string& merge_lock_path) { return merge_lock_path + ".checkout"; }

void write_pending_checkout(const std::string& marker, const git_oid& old_tip, const git_oid& new_tip) {
  std::ofstream out(marker, std::ios::trunc);
  out << oid_hex(old_tip) << " " << oid_hex(new_tip) << "\n";
  if (!out) throw sdk::Error(DROVER_ERROR, "vcs git: cannot write " + marker);
}

// A checkout killed after writing a file but before writing the index leaves
// the index behind the files (`git status` shows the task's file as deleted
// and untracked at once); one killed while writing a file leaves it
// truncated. For each path the interrupted merge changed: a file modified
// after the marker was written is the dead checkout's own (the merge checked
// that the user had nothing in the way before writing the marker), so it is
// rewritten with the new tip's content; where the file has the new tip's
// content, the index takes that entry; where the new tip and the file both
// lack it, the index drops it. A file the user changed otherwise is left alone.
// `remaining` receives the paths still not at the new tip (for the checkout).
std::optional<std::string> sync_index_with_files(git_repository* wrepo, const std::string& root, git_tree* new_tree,
                                                 const std::vector<std::string>& paths, fs::file_time_type marker_time,
                                                 std::vector<std::string>& remaining) {
  git_index* raw_index = nullptr;
  if (git_repository_index(&raw_index, wrepo) < 0) return last_git_error();
  IndexPtr index(raw_index);
  if (git_index_read(index.get(), 1) < 0) return last_git_error();
  bool changed = false;
  for (const std::string& path : paths) {
    std::error_code ec;
    const fs::path file = fs::path(root) / path;
    const bool on_disk = fs::is_regular_file(fs::symlink_status(file, ec));
    git_tree_entry* raw_entry = nullptr;
    if (git_tree_entry_bypath(&raw_entry, new_tree, path.c_str()) == GIT_ENOTFOUND) {
      if (fs::exists(fs::symlink_status(file, ec))) {
        remaining.push_back(path);
      } else if (git_index_get_bypath(index.get(), path.c_str(), 0) != nullptr) {
        if (git_index_remove_bypath(index.get(), path.c_str()) < 0) return last_git_error();
        changed = true;
      }
      continue;
    }
    std::unique_ptr<git_tree_entry, void (*)(git_tree_entry*)> entry(raw_entry, git_tree_entry_free);
    if (!on_disk || git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB ||
        git_tree_entry_filemode(entry.get()) == GIT_FILEMODE_LINK) {
      remaining.push_back(path);
      continue;
    }
    git_oid on_disk_id;
    if (git_odb_hashfile(&on_disk_id, file.c_str(), GIT_OBJECT_BLOB) < 0) {
      remaining.push_back(path);
      continue;
    }
    if (!git_oid_equal(&on_disk_id, git_tree_entry_id(entry.get()))) {
      auto written = fs::last_write_time(file, ec);
      if (ec || written < marker_time) {  // the user's: leave it to the checkout (which will not overwrite it)
        remaining.push_back(path);
        continue;
      }
      git_blob* raw_blob = nullptr;
      if (git_blob_lookup(&raw_blob, wrepo, git_tree_entry_id(entry.get())) < 0) return last_git_error();
      std::unique_ptr<git_blob, void (*)(git_blob*)> blob(raw_blob, git_blob_free);
      errno = 0;
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out.write(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                static_cast<std::streamsize>(git_blob_rawsize(blob.get())));
      out.close();
      if (!out) return "cannot rewrite " + file.string() + (errno != 0 ? std::string(": ") + std::strerror(errno) : "");
      sdk::log(DROVER_LOG_WARN, "rewrote " + file.string() + ", left half-written by a drover process killed mid-checkout");
      on_disk_id = *git_tree_entry_id(entry.get());
    }
    const git_index_entry* current = git_index_get_bypath(index.get(), path.c_str(), 0);
    if (current != nullptr && git_oid_equal(&current->id, &on_disk_id)) continue;
    if (git_index_add_bypath(index.get(), path.c_str()) < 0) return last_git_error();
    changed = true;
  }
  if (changed && git_index_write(index.get()) < 0) return last_git_error();
  return std::nullopt;
}

// An update of the user's checkout that failed for lack of space is not the
// user's changes in the way: it is reported as an error naming the cause (the
// engine then waits for space), and the record is kept for the next try.
void cannot_finish_for_lack_of_space(const std::string& error, const std::string& root) {
  if (error.find("No space left on device") == std::string::npos) return;
  throw sdk::Error(DROVER_ERROR, "vcs git: the update of the checkout in " + root +
                                     " that an earlier merge began cannot be finished yet: " + error);
}

// Returns the paths still in the way when the interrupted checkout cannot be
// finished now (the marker is kept and no other merge may overwrite it).
std::vector<std::string> finish_pending_checkout(git_repository* repo, const std::string& common_dir,
                                                 const std::string& marker, const std::string& target_ref_name) {
  std::ifstream in(marker);
  std::string old_hex, new_hex;
  if (!(in >> old_hex >> new_hex)) {
    std::remove(marker.c_str());
    return {};
  }
  git_oid old_tip, new_tip;
  if (git_oid_fromstr(&old_tip, old_hex.c_str()) < 0 || git_oid_fromstr(&new_tip, new_hex.c_str()) < 0) {
    std::remove(marker.c_str());
    return {};
  }
  std::error_code marker_ec;
  const fs::file_time_type marker_time = fs::last_write_time(marker, marker_ec);
  git_reference* raw_ref = nullptr;
  if (git_reference_lookup(&raw_ref, repo, target_ref_name.c_str()) == 0) {
    RefPtr ref(raw_ref);
    const git_oid* now = git_reference_target(ref.get());
    std::optional<Checkout> checkout = checkout_of(common_dir, target_ref_name);
    if (now != nullptr && git_oid_equal(now, &new_tip) && checkout) {
      // An index.lock written after the marker is the dead process's own.
      std::error_code ec;
      const fs::path lock = fs::path(git_repository_path(checkout->repo.get())) / "index.lock";
      auto lock_time = fs::last_write_time(lock, ec);
      if (!ec && lock_time >= fs::last_write_time(marker, ec) && !ec && fs::remove(lock, ec))
        sdk::log(DROVER_LOG_WARN, "removed " + lock.string() + ", left by a drover process killed mid-checkout");
      CommitPtr old_commit = lookup_commit(repo, old_tip);
      CommitPtr new_commit = lookup_commit(repo, new_tip);
      TreePtr old_tree = commit_tree(old_commit.get());
      TreePtr new_tree = commit_tree(new_commit.get());
      std::vector<std::string> changed = changed_paths(repo, old_tree.get(), new_tree.get());
      std::vector<std::string> remaining;
      if (auto err = sync_index_with_files(checkout->repo.get(), checkout->root, new_tree.get(), changed,
                                           marker_ec ? fs::file_time_type::max() : marker_time, remaining)) {
        cannot_finish_for_lack_of_space(*err, checkout->root);
        sdk::log(DROVER_LOG_WARN, "could not finish updating the index of " + checkout->root +
                                      " after an interrupted merge: " + *err);
        return changed;  // keep the marker: the next merge tries again
      }
      if (!remaining.empty()) {
        if (auto err = bring_checkout_along(checkout->repo.get(), old_tip, new_tip, remaining)) {
          cannot_finish_for_lack_of_space(*err, checkout->root);
          sdk::log(DROVER_LOG_WARN, "could not finish updating the checkout of " + target_ref_name + " in " +
                                        checkout->root + " after an interrupted merge: " + *err);
          return remaining;  // keep the marker: the next merge tries again
        }
      }
      sdk::log(DROVER_LOG_INFO, "finished updating the checkout of " + target_ref_name + " after an interrupted merge");
    }
  }
  std::remove(marker.c_str());
  return {};
}

json result(const char* what, const std::optional<git_oid>& commit, const std::vector<std::string>& paths = {}) {
  return json{{"result", what}, {"commit", commit ? json(oid_hex(*commit)) : json(nullptr)}, {"paths", paths}};
}

}  // namespace

void GitVcs::finish_interrupted_checkout(git_repository* repo, const std::string& target) const {
  const std::string lock_path = RepoLock::merge_lock_path(common_dir_, target);
  const std::string pending = pending_checkout_path(lock_path);
  std::error_code ec;
  if (!fs::exists(pending, ec)) return;
  RepoLock lock(lock_path);
  std::vector<std::string> stuck = finish_pending_checkout(repo, common_dir_, pending, "refs/heads/" + target);
  if (!stuck.empty())
    sdk::log(DROVER_LOG_WARN, "the update of the checkout of " + target + " in " + root_ +
                                  " that a merge began is still not finished (" + std::to_string(stuck.size()) +
                                  " paths); the next merge tries again");
}

namespace {

// Where publishing a built commit on the target ended.
struct Published {
  enum Kind { kMerged, kMoved, kLocalChanges } kind = kMerged;
  std::vector<std::string> paths;  // kLocalChanges: in the way; kMerged with a warning: changed
  std::string warning;             // the ref moved but the checkout could not all be brought along
};

// Moves target_ref from tip to new_commit with a compare-and-swap, bringing a
// checked-out target along (checked first: the user's files in the way stop
// it). Called under the target's merge lock, after finish_pending_checkout.
Published publish(git_repository* repo, const std::string& common_dir, git_reference* target_ref, const std::string& target, const git_oid& tip,
                  const git_oid& new_commit_id, const std::string& reflog, const std::string& pending) {
  Published out;
  CommitPtr tip_commit = lookup_commit(repo, tip);
  CommitPtr new_commit = lookup_commit(repo, new_commit_id);
  TreePtr old_tree = commit_tree(tip_commit.get());
  TreePtr new_tree = commit_tree(new_commit.get());
  std::vector<std::string> changed = changed_paths(repo, old_tree.get(), new_tree.get());

  // The user's checkout of the target moves with the ref, so check it first.
  std::optional<Checkout> checkout = checkout_of(common_dir, git_reference_name(target_ref));
  if (checkout) {
    std::vector<std::string> blocking = paths_in_the_way(checkout->repo.get(), checkout->root, changed);
    if (blocking.empty() && git_repository_state(checkout->repo.get()) != GIT_REPOSITORY_STATE_NONE) blocking = changed;
    if (!blocking.empty()) return Published{Published::kLocalChanges, blocking, ""};
    // A git command of the user's holds the index: wait briefly, then report it
    // rather than move the ref and fail to bring the checkout along.
    if (!index_unlocked(checkout->repo.get()))
      return Published{Published::kLocalChanges, {std::string(git_repository_path(checkout->repo.get())) + "index.lock"}, ""};
  }

  git_reference* raw_moved = nullptr;
  if (checkout) write_pending_checkout(pending, tip, new_commit_id);
  int rc = git_reference_set_target(&raw_moved, target_ref, &new_commit_id, reflog.c_str());
  if (rc != 0) std::remove(pending.c_str());
  if (rc == GIT_EMODIFIED) return Published{Published::kMoved, {}, ""};  // moved by someone outside drover
  check(rc, "vcs git: cannot update target branch " + quote_text(target));
  RefPtr moved(raw_moved);
  if (checkout) {
    // Done: the record goes. Not done (a full disk): the record stays, and
    // the next merge or worktree preparation finishes the update first.
    if (auto err = bring_checkout_along(checkout->repo.get(), tip, new_commit_id, changed)) {
      out.warning = "branch " + target + " moved to " + oid_hex(new_commit_id) + " but the files checked out in " +
                    checkout->root + " could not all be updated (" + *err +
                    "); drover finishes the update before its next merge or task";
      sdk::log(DROVER_LOG_WARN, out.warning);
      out.paths = changed;
    } else {
      std::remove(pending.c_str());
    }
  }
  return out;
}

// The target's ref, which must exist and be direct.
RefPtr target_reference(git_repository* repo, const std::string& target, const std::string& root) {
  git_reference* raw_ref = nullptr;
  int rc = git_reference_lookup(&raw_ref, repo, ("refs/heads/" + target).c_str());
  if (rc == GIT_ENOTFOUND)
    throw sdk::Error(DROVER_NOT_FOUND, "vcs git: target branch " + quote_text(target) + " does not exist in " + root);
  check(rc, "vcs git: cannot read target branch " + quote_text(target));
  RefPtr ref(raw_ref);
  if (git_reference_type(ref.get()) != GIT_REFERENCE_DIRECT)
    throw sdk::Error(DROVER_UNSUPPORTED, "vcs git: target branch " + quote_text(target) + " is a symbolic reference");
  return ref;
}

// The commit that brings head (task_id's branch tip) onto `onto`.
BuiltMerge build_task_merge(git_repository* repo, MergeStrategy strategy, git_commit* onto, const git_oid& head,
                            const std::string& task_id, const std::string& message, const git_signature* sig) {
  if (strategy == MergeStrategy::kRebase) return rebase(repo, onto, head, task_id, sig);
  CommitPtr head_commit = lookup_commit(repo, head);
  return merge_or_squash(repo, strategy == MergeStrategy::kSquash, onto, head_commit.get(),
                         drover_message(message, task_id, oid_hex(head)), sig);
}

std::string checked_message(const std::optional<std::string>& given, const std::string& task_id,
                            const std::string& target, MergeStrategy strategy) {
  if (given && given->find('\0') != std::string::npos)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: merge of task " + quote_text(task_id) + ": message contains a NUL byte");
  if (given && !given->empty()) return *given;
  return (strategy == MergeStrategy::kMerge ? "Merge drover task " : "Drover task ") + task_id + " into " + target + "\n";
}

// The tasks a landing brought in: the Drover-Task trailers on the first-parent
// line from commit down to (not including) base.
std::vector<std::string> landed_tasks(git_repository* repo, const git_oid& base, const git_oid& commit) {
  std::vector<std::string> out;
  for (CommitPtr c = lookup_commit(repo, commit); c && !git_oid_equal(git_commit_id(c.get()), &base);) {
    std::string task = trailer_value(git_commit_message(c.get()), "Drover-Task");
    if (!task.empty() && std::find(out.begin(), out.end(), task) == out.end()) out.push_back(task);
    git_commit* raw_parent = nullptr;
    if (git_commit_parentcount(c.get()) == 0 || git_commit_parent(&raw_parent, c.get(), 0) != 0) break;
    c.reset(raw_parent);
  }
  return out;
}

}  // namespace

void GitVcs::bring_local_target_along(git_repository* repo, const std::string& target, const git_oid& landed) const {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, ("refs/heads/" + target).c_str()) != 0) return;  // a clone without it
  RefPtr ref(raw);
  if (git_reference_type(ref.get()) != GIT_REFERENCE_DIRECT) return;
  const git_oid local = *git_reference_target(ref.get());
  if (git_oid_equal(&local, &landed)) return;
  const std::string follow = "`git pull " + remote_->name() + " " + target + "` brings it up to date";
  if (!reachable_from(repo, landed, local)) {
    sdk::log(DROVER_LOG_INFO, "vcs git: the local branch " + target + " has commits that are not on " + remote_->name() +
                                  "/" + target + "; Drover leaves it as it is (" + follow + ")");
    return;
  }
  const std::string pending = pending_checkout_path(RepoLock::merge_lock_path(common_dir_, target));
  if (std::vector<std::string> stuck = finish_pending_checkout(repo, common_dir_, pending, "refs/heads/" + target);
      !stuck.empty())
    return;
  Published p = publish(repo, common_dir_, ref.get(), target, local, landed,
                        "drover: follow " + remote_->name() + "/" + target, pending);
  if (p.kind == Published::kLocalChanges)
    sdk::log(DROVER_LOG_WARN, "vcs git: landed on " + remote_->name() + "/" + target + "; the local branch " + target +
                                  " stays at " + oid_hex(local) + " because files in " + root_ +
                                  " are in the way (" + (p.paths.empty() ? std::string("?") : p.paths.front()) +
                                  (p.paths.size() > 1 ? " and " + std::to_string(p.paths.size() - 1) + " more" : "") +
                                  "); " + follow);
}

std::string GitVcs::merge(std::string_view request) {
  const char* op = "merge";
  json req = parse_request(op, request);
  std::string task_id = required_string(op, req, "task_id");
  validate_task_id(task_id);
  std::string target = required_string(op, req, "target_branch");
  validate_branch_name(target);
  MergeStrategy strategy = config_.merge_strategy;
  if (auto s = optional_string(op, req, "strategy")) {
    auto parsed = parse_strategy(*s);
    if (!parsed)
      throw sdk::Error(DROVER_INVALID_ARGUMENT,
                       "vcs git: merge of task " + quote_text(task_id) + ": strategy " + quote_text(*s) +
                           " is not merge, squash or rebase");
    strategy = *parsed;
  }
  const std::string message = checked_message(optional_string(op, req, "message"), task_id, target, strategy);
  auto author_name = optional_string(op, req, "author_name");
  auto author_email = optional_string(op, req, "author_email");

  RepoPtr repo = open_main();
  const std::string branch = branch_name(task_id);
  if (!branch_tip(repo.get(), branch))
    throw sdk::Error(DROVER_NOT_FOUND, "vcs git: task " + quote_text(task_id) + " has no branch " + branch +
                                           "; call prepare_worktree and commit first");
  SignaturePtr sig = make_signature(repo.get(), config_, author_name, author_email);
  const std::string reflog = "drover: " + std::string(strategy_name(strategy)) + " task " + task_id;

  // The task's merge onto tip: the commit to publish, or the answer when
  // there is nothing to publish.
  struct Built {
    std::optional<git_oid> commit;
    std::string answer;
  };
  auto build_on = [&](const git_oid& tip) -> Built {
    const git_oid head = *branch_tip(repo.get(), branch);
    MergeLookup found = find_merge(repo.get(), tip, head, task_id);
    if (found.state == MergeLookup::kMerged) return {std::nullopt, result("already_merged", found.commit).dump()};
    if (found.state == MergeLookup::kNothingToMerge) return {std::nullopt, result("nothing_to_merge", std::nullopt).dump()};
    CommitPtr tip_commit = lookup_commit(repo.get(), tip);
    BuiltMerge built = build_task_merge(repo.get(), strategy, tip_commit.get(), head, task_id, message, sig.get());
    if (!built.conflicts.empty()) return {std::nullopt, result("conflict", std::nullopt, built.conflicts).dump()};
    if (!built.commit) return {std::nullopt, result("nothing_to_merge", std::nullopt).dump()};
    return {built.commit, ""};
  };

  RepoLock lock(RepoLock::merge_lock_path(common_dir_, target));
  if (remote_) {
    // Built on the remote's tip just fetched, pushed only if it is still there.
    for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
      const git_oid tip = remote_->fetch_target(repo.get(), target);
      const Built built = build_on(tip);
      if (!built.commit) return built.answer;
      if (remote_->push_target(repo.get(), target, tip, *built.commit) == TargetRemote::Pushed::kMoved) continue;
      remote_->forget_tasks(repo.get(), {task_id});
      bring_local_target_along(repo.get(), target, *built.commit);
      mark_landed({task_id});
      return result("merged", built.commit).dump();
    }
    throw sdk::Error(DROVER_CONFLICT, "vcs git: " + remote_->name() + "/" + target + " kept moving while merging task " +
                                          quote_text(task_id) + "; retry the merge");
  }
  // Under the merge lock no other drover writes the target; a lock file on it
  // (or on this task's branch) is a leftover of a process killed mid-write.
  clear_shared_locks(common_dir_, target);
  clear_task_locks(common_dir_, branch_name(task_id), admin_dir(task_id));
  const std::string pending = pending_checkout_path(RepoLock::merge_lock_path(common_dir_, target));
  // An earlier merge's checkout that a crash cut short is finished first; if
  // it cannot be, this merge waits rather than overwrite the record of it.
  if (std::vector<std::string> stuck = finish_pending_checkout(repo.get(), common_dir_, pending, "refs/heads/" + target);
      !stuck.empty())
    return result("local_changes", std::nullopt, stuck).dump();
  for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
    RefPtr target_ref = target_reference(repo.get(), target, root_);
    const git_oid tip = *git_reference_target(target_ref.get());
    const Built built = build_on(tip);
    if (!built.commit) return built.answer;

    Published p = publish(repo.get(), common_dir_, target_ref.get(), target, tip, *built.commit, reflog, pending);
    if (p.kind == Published::kMoved) continue;  // recompute on the new tip
    if (p.kind == Published::kLocalChanges) return result("local_changes", std::nullopt, p.paths).dump();
    mark_landed({task_id});
    json out = result("merged", built.commit);
    if (!p.warning.empty()) {
      out["warning"] = p.warning;
      out["paths"] = p.paths;
    }
    return out.dump();
  }
  throw sdk::Error(DROVER_CONFLICT, "vcs git: target branch " + quote_text(target) +
                                        " kept moving while merging task " + quote_text(task_id) + "; retry the merge");
}

std::string GitVcs::build_landing(std::string_view request) {
  const char* op = "build_landing";
  json req = parse_request(op, request);
  std::string target = required_string(op, req, "target_branch");
  validate_branch_name(target);
  if (!req.contains("tasks") || !req["tasks"].is_array())
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: build_landing: \"tasks\" must be a list");
  RepoPtr repo = open_main();
  SignaturePtr sig = make_signature(repo.get(), config_, std::nullopt, std::nullopt);
  // With a remote: its tip, fetched now (publish_landing pushes onto it).
  const git_oid tip = remote_ ? remote_->fetch_target(repo.get(), target)
                              : *git_reference_target(target_reference(repo.get(), target, root_).get());
  CommitPtr onto = lookup_commit(repo.get(), tip);
  json tasks = json::array();
  for (const auto& t : req["tasks"]) {
    if (!t.is_object()) throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: build_landing: each task must be an object");
    const std::string task_id = required_string(op, t, "task_id");
    validate_task_id(task_id);
    try {
      const std::string message = checked_message(optional_string(op, t, "message"), task_id, target, config_.merge_strategy);
      const std::string branch = branch_name(task_id);
      auto head = branch_tip(repo.get(), branch);
      if (!head)
        throw sdk::Error(DROVER_NOT_FOUND, "vcs git: task " + quote_text(task_id) + " has no branch " + branch +
                                               "; call prepare_worktree and commit first");
      MergeLookup found = find_merge(repo.get(), tip, *head, task_id);
      if (found.state == MergeLookup::kMerged) {
        tasks.push_back(json{{"task_id", task_id}, {"result", "already_merged"}, {"commit", oid_hex(*found.commit)}, {"paths", json::array()}});
        continue;
      }
      if (found.state == MergeLookup::kNothingToMerge) {
        tasks.push_back(json{{"task_id", task_id}, {"result", "nothing_to_merge"}, {"commit", nullptr}, {"paths", json::array()}});
        continue;
      }
      BuiltMerge built = build_task_merge(repo.get(), config_.merge_strategy, onto.get(), *head, task_id, message, sig.get());
      if (!built.conflicts.empty()) {
        tasks.push_back(json{{"task_id", task_id}, {"result", "conflict"}, {"commit", nullptr}, {"paths", built.conflicts}});
        continue;
      }
      if (!built.commit) {
        tasks.push_back(json{{"task_id", task_id}, {"result", "nothing_to_merge"}, {"commit", nullptr}, {"paths", json::array()}});
        continue;
      }
      onto = lookup_commit(repo.get(), *built.commit);
      tasks.push_back(json{{"task_id", task_id}, {"result", "merged"}, {"commit", oid_hex(*built.commit)}, {"paths", json::array()}});
    } catch (const sdk::Error& e) {
      // This task alone: the chain goes on without it.
      tasks.push_back(json{{"task_id", task_id}, {"result", "error"}, {"error", e.what()}, {"commit", nullptr}, {"paths", json::array()}});
    }
  }
  const git_oid end = *git_commit_id(onto.get());
  return json{{"tip", oid_hex(tip)}, {"commit", git_oid_equal(&end, &tip) ? json(nullptr) : json(oid_hex(end))}, {"tasks", tasks}}
      .dump();
}

std::string GitVcs::publish_landing(std::string_view request) {
  const char* op = "publish_landing";
  json req = parse_request(op, request);
  std::string target = required_string(op, req, "target_branch");
  validate_branch_name(target);
  git_oid expected, commit;
  if (git_oid_fromstr(&expected, required_string(op, req, "expected_tip").c_str()) != 0 ||
      git_oid_fromstr(&commit, required_string(op, req, "commit").c_str()) != 0)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: publish_landing: expected_tip and commit must be commit ids");
  RepoPtr repo = open_main();
  // Only a commit built on the expected tip may replace it: the target never loses history.
  for (CommitPtr c = lookup_commit(repo.get(), commit);;) {
    if (git_oid_equal(git_commit_id(c.get()), &expected)) break;
    git_commit* raw_parent = nullptr;
    if (git_commit_parentcount(c.get()) == 0 || git_commit_parent(&raw_parent, c.get(), 0) != 0)
      throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: publish_landing: " + oid_hex(commit) +
                                                    " does not descend from " + oid_hex(expected) + " by first parents");
    c.reset(raw_parent);
  }
  RepoLock lock(RepoLock::merge_lock_path(common_dir_, target));
  clear_shared_locks(common_dir_, target);
  const std::string pending = pending_checkout_path(RepoLock::merge_lock_path(common_dir_, target));
  auto answer = [&](const char* what, const git_oid& tip, const std::vector<std::string>& paths) {
    return json{{"result", what}, {"commit", std::string(what) == "merged" ? json(oid_hex(commit)) : json(nullptr)},
                {"tip", oid_hex(tip)}, {"paths", paths}};
  };
  if (remote_) {
    // A compare-and-swap on the remote: a fast-forward from expected_tip.
    // Moved, the commit may be there anyway: a push whose reply was lost (or
    // a drover killed after it) landed it before; that counts as published.
    auto landed = [&] {
      const std::vector<std::string> tasks = landed_tasks(repo.get(), expected, commit);
      remote_->forget_tasks(repo.get(), tasks);
      bring_local_target_along(repo.get(), target, commit);
      mark_landed(tasks);
      return answer("merged", commit, {}).dump();
    };
    if (remote_->push_target(repo.get(), target, expected, commit) == TargetRemote::Pushed::kPushed) return landed();
    const git_oid now = *target_tip(repo.get(), target);
    if (reachable_from(repo.get(), now, commit)) return landed();
    return answer("moved", now, {}).dump();
  }
  RefPtr target_ref = target_reference(repo.get(), target, root_);
  const git_oid tip = *git_reference_target(target_ref.get());
  if (std::vector<std::string> stuck = finish_pending_checkout(repo.get(), common_dir_, pending, "refs/heads/" + target);
      !stuck.empty())
    return answer("local_changes", tip, stuck).dump();
  if (git_oid_equal(&tip, &commit)) return answer("merged", tip, {}).dump();  // a replay: already published
  if (!git_oid_equal(&tip, &expected)) return answer("moved", tip, {}).dump();
  Published p = publish(repo.get(), common_dir_, target_ref.get(), target, tip, commit, "drover: land", pending);
  if (p.kind == Published::kMoved) {
    auto now = branch_tip(repo.get(), target);
    return answer("moved", now ? *now : tip, {}).dump();
  }
  if (p.kind == Published::kLocalChanges) return answer("local_changes", tip, p.paths).dump();
  mark_landed(landed_tasks(repo.get(), expected, commit));
  json out = answer("merged", commit, {});
  if (!p.warning.empty()) out["warning"] = p.warning;
  return out.dump();
}

}  // namespace drover::vcs_git
