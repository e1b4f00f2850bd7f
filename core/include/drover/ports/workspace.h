// Workspace: the version-control operations the engine and the CLI need,
// typed. The plugin host adapts a VCS plugin to it (plugin_workspace.h); the
// engine's unit tests use a scriptable fake. Worktrees are named by
// WorktreeKey (a task and its round); the key's text form exists only at the
// plugin edge.
#ifndef DROVER_PORTS_WORKSPACE_H
#define DROVER_PORTS_WORKSPACE_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drover/model/worktree_key.h"
#include "drover/status.h"

namespace drover {

struct RepoInfo {
  std::string root;
  std::optional<std::string> head_branch;  // nullopt when HEAD is detached
  std::string head_commit;
};

struct PreparedWorktree {
  std::string path;
  std::string branch;
  std::string base_commit;
  bool created = false;
  std::string head;  // the worktree's HEAD: where the attempt starts ("" if the VCS does not say)
};

struct WorktreeReset {
  bool reset = false;              // false: the worktree already was at the commit
  std::string kept_at;             // the ref holding what the reset undid
  std::vector<std::string> paths;  // what it undid
};

struct CommitRequest {
  std::string message;
  std::string author_name, author_email;  // "" = the repository's default
};

struct CommitResult {
  std::optional<std::string> commit;  // nullopt: nothing to commit
  bool changed = false;
  int files = 0;
};

enum class MergeKind {
  kMerged,
  kAlreadyMerged,
  kConflict,      // paths: the conflicting files; nothing was changed
  kLocalChanges,  // paths: the user's uncommitted files in the way; try again later
  kNothingToMerge,
};
// "merged", "already_merged", ... as the VCS ABI and recorded steps spell them.
std::string_view to_string(MergeKind kind);
std::optional<MergeKind> parse_merge_kind(std::string_view text);

struct MergeResult {
  MergeKind kind = MergeKind::kMerged;
  std::optional<std::string> commit;  // the target's new tip, or the existing merge
  std::vector<std::string> paths;
};

struct Removal {
  bool removed = false;
  std::vector<std::string> discarded;  // with force: what was thrown away
};

struct WorktreeInfo {
  std::string name;                 // the plugin's name for it
  std::optional<WorktreeKey> key;   // nullopt: not a name Drover formats
  std::string path;                 // "" when only the branch is left
  std::string branch;
  std::string head;                 // the worktree's own HEAD (the branch tip without a worktree)
  bool merged = false;              // HEAD and the branch are both in the target
  bool dirty = false;               // uncommitted changes (a damaged worktree's files count)
  bool broken = false;              // its `.git` link is gone: git cannot read it any more
  int64_t size_bytes = 0;
};

// The user's checkout, as the VCS sees it (see checkout_state in vcs.h): two
// states taken around an agent attempt differ where somebody wrote.
struct CheckoutState {
  std::optional<std::string> head_ref;  // "refs/heads/main"; nullopt when detached
  std::string head_commit;
  std::string target_tip;
  std::map<std::string, std::string> entries;  // path -> opaque signature
};

// The target branch's first-parent commits since an attempt began.
struct TargetCommit {
  std::string commit, summary;
  bool drover_merge = false;  // one of Drover's merges (any runner's)
  bool by_task = false;       // made in the task's worktree
};
struct TargetMoves {
  std::string tip;
  bool rewound = false;               // the earlier tip is no longer on the branch
  std::vector<TargetCommit> commits;  // newest first
  bool undone = false;                // the target was put back (undo requested)
  std::string kept_at;                // where the undone commits are kept
};

// The merge queue (ABI 1.2). A landing: the commits that bring tasks onto the
// target's tip, built but not published.
struct TaskLanding {
  std::string task;          // the task id (its worktree key's text)
  MergeKind kind = MergeKind::kMerged;  // kMerged, kAlreadyMerged, kNothingToMerge or kConflict
  std::optional<std::string> commit;    // the commit that brings it in
  std::vector<std::string> paths;       // kConflict: the conflicting files
  std::string error;                    // not "": this task could not be built (the others were)
};
struct BuiltLanding {
  std::string tip;                     // the target's tip it was built on
  std::optional<std::string> commit;   // the last commit built; nullopt: nothing new
  std::vector<TaskLanding> tasks;      // in the order asked
};
struct LandingToBuild {
  WorktreeKey key;
  std::string message;
};

enum class PublishKind { kMerged, kMoved, kLocalChanges };
struct Publication {
  PublishKind kind = PublishKind::kMerged;
  std::string tip;                 // the target's tip now
  std::vector<std::string> paths;  // kLocalChanges: the user's files in the way
};

// A landed task of another's that changed a path the sync found in conflict.
struct Collision {
  std::string task, commit, summary;
  std::vector<std::string> paths;
};
enum class SyncKind { kUpToDate, kMerged, kConflict };
struct WorktreeSync {
  SyncKind kind = SyncKind::kUpToDate;
  std::string tip;                     // the target's tip merged in
  std::vector<std::string> paths;      // kConflict: files left with conflict markers
  std::vector<Collision> collides_with;
};

// Work kept under the VCS's private refs instead of deleted: a round that did
// not land, an interrupted attempt, an agent's commits taken off the target.
struct KeptWork {
  std::string name;                // the worktree key's text it was kept for
  std::optional<WorktreeKey> key;  // nullopt: not a name Drover formats
  std::string ref, head, summary;
};

struct DiffSummary {
  int files = 0, insertions = 0, deletions = 0;
  std::vector<std::string> paths;
};

// A unified diff for people to read (`drover diff`).
struct DiffPatch {
  std::string patch;
  int files = 0, insertions = 0, deletions = 0;
  bool truncated = false;  // cut at the size asked for
};

class Workspace {
 public:
  virtual ~Workspace() = default;

  virtual Result<RepoInfo> repo_info() = 0;
  // Creates the key's worktree from the target's tip, or reuses it.
  virtual Result<PreparedWorktree> prepare(const WorktreeKey& key, const std::string& target_branch) = 0;
  virtual Result<CommitResult> commit(const WorktreeKey& key, const CommitRequest& request) = 0;
  virtual Result<MergeResult> merge(const WorktreeKey& key, const std::string& target_branch,
                                    const std::string& message) = 0;
  // Never removes unmerged or uncommitted work unless force.
  virtual Result<Removal> remove(const std::string& name, const std::string& target_branch, bool force) = 0;
  virtual Result<std::vector<WorktreeInfo>> list(const std::string& target_branch) = 0;
  virtual Result<DiffSummary> diff_summary(const WorktreeKey& key, const std::string& target_branch) = 0;
  // Puts the key's worktree back at commit `to` after keeping all its files
  // under keep_ref (a restarted interrupted attempt). kUnsupported: cannot.
  virtual Result<WorktreeReset> reset(const WorktreeKey& key, const std::string& to, const std::string& keep_ref) = 0;
  // kUnsupported when the VCS cannot tell (the engine then goes without).
  virtual Result<CheckoutState> checkout_state(const std::string& target_branch) = 0;
  // The target's moves since `since`; with undo, moves made only by the key's
  // agent are put back (their commits kept, see TargetMoves::kept_at).
  virtual Result<TargetMoves> target_moves(const WorktreeKey& key, const std::string& target_branch,
                                           const std::string& since, bool undo) = 0;

  // The merge queue; kUnsupported from a VCS without it (the engine then
  // lands with merge()).
  // Builds, publishing nothing, the commits landing the tasks in order on the
  // target's tip; a conflicting task is left out.
  virtual Result<BuiltLanding> build_landing(const std::string& target_branch,
                                             const std::vector<LandingToBuild>& tasks) = 0;
  // Moves the target from expected_tip to commit (compare-and-swap).
  virtual Result<Publication> publish_landing(const std::string& target_branch, const std::string& expected_tip,
                                              const std::string& commit) = 0;
  // Merges the target's tip into the key's worktree, leaving conflicts in
  // place for the agent (see sync_worktree in vcs.h).
  virtual Result<WorktreeSync> sync(const WorktreeKey& key, const std::string& target_branch) = 0;
  // Kept work (see KeptWork); empty from a VCS that keeps none.
  virtual Result<std::vector<KeptWork>> kept_work() = 0;
  // Deletes one kept ref (the user's `worktree prune --force`).
  virtual Result<Removal> drop_kept(const std::string& name, const std::string& ref) = 0;
  // A scratch worktree at commit (nullopt: removed); returns its path.
  virtual Result<std::string> scratch(const std::string& name, const std::optional<std::string>& commit) = 0;

  // Readable diffs (VCS ABI 1.3; kUnsupported from an older VCS plugin):
  // what a commit changed against its first parent (a landed merge: what its
  // task brought in), and the key's worktree against its merge base with the
  // target, committed, uncommitted and untracked changes alike.
  virtual Result<DiffPatch> diff_commit(const std::string& commit, uint64_t max_bytes);
  virtual Result<DiffPatch> diff_worktree(const WorktreeKey& key, const std::string& target_branch, uint64_t max_bytes);
};

}  // namespace drover

#endif
