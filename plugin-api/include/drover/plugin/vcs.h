/* Drover plugin ABI v1: version-control plugins.
 *
 * The VCS plugin owns every repository operation. Operations share one shape:
 *
 *   drover_status op(drover_vcs* vcs, drover_str request, drover_buffer* response,
 *                    drover_error* error);
 *
 * with JSON text in and out. Task ids are validated by the plugin before anything
 * touches the disk. The plugin never switches the user's checkout, never leaves
 * the repository mid-merge, and never deletes a worktree or branch holding work
 * that is not in the target branch (unless "force" is given).
 */
#ifndef DROVER_PLUGIN_VCS_H
#define DROVER_PLUGIN_VCS_H

#include "drover/plugin/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct drover_vcs drover_vcs;

/* The file a VCS plugin writes into the directory of task worktrees when it
 * creates that directory (or adopts an empty one). It marks the directory as
 * Drover's: the host refuses a configured worktree directory that already
 * holds files without it, and a plugin renames or deletes nothing in a
 * directory that lacks it. */
#define DROVER_WORKTREE_DIR_MARKER ".drover-worktrees"

typedef drover_status (*drover_vcs_op)(drover_vcs* vcs, drover_str request, drover_buffer* response,
                                       drover_error* error);

typedef struct drover_vcs_vtable_v1 {
  uint32_t struct_size;

  drover_status (*check_config)(drover_str config_yaml, drover_error* error);
  /* context is JSON: {"project_root": str, "drover_dir": str}. Fails with a clear
   * message if project_root is not inside a non-bare repository with commits. */
  drover_status (*open)(drover_str config_yaml, drover_str context, drover_vcs** out,
                        drover_error* error);
  void (*close)(drover_vcs* vcs);

  /* {} -> {"root": str, "head_branch": str|null (null when detached), "head_commit": str} */
  drover_vcs_op repo_info;

  /* {"task_id", "target_branch"} -> {"path", "branch", "base_commit", "head"?: str, "created": bool}
   * ("head", optional: the commit the worktree's HEAD is at, where the next attempt starts)
   * Creates .drover/worktrees/<task> on branch drover/<task> from the target's tip,
   * or reuses the existing one. */
  drover_vcs_op prepare_worktree;

  /* {"task_id", "message", "author_name"?, "author_email"?}
   * -> {"commit": str|null, "changed": bool, "files": int}. Stages everything
   * (respecting .gitignore) and commits; "changed": false and no commit when the
   * worktree has no change. If the branch already has commits ahead of its base
   * and nothing new changed, returns that head with "changed": false. */
  drover_vcs_op commit;

  /* {"task_id", "target_branch", "strategy": "merge"|"squash"|"rebase", "message"}
   * -> {"result": "merged"|"already_merged"|"conflict"|"local_changes"|"nothing_to_merge",
   *     "commit": str|null (the target's new tip / the existing merge),
   *     "paths": [str] (conflicting paths, or local modifications in the way)}
   * Never touches the user's working tree except to bring a checked-out target
   * along exactly as `git merge` would. */
  drover_vcs_op merge;

  /* {"task_id", "force"?: bool} -> {"removed": bool, "discarded": [str], "recycled"?: bool}
   * Removes the worktree and its branch only if the branch's commits are in the
   * target branch and the worktree has no uncommitted change, unless force.
   * ("recycled", optional: true when the plugin kept the worktree's files for
   * a later task instead of deleting them, as the git plugin's
   * reuse_worktrees does; hosts may ignore it.) */
  drover_vcs_op remove_worktree;

  /* {"target_branch"} -> [{"task_id", "path", "branch", "head": str, "merged": bool,
   *   "dirty": bool, "size_bytes": int}]; a task branch whose worktree is gone
   *   is listed with "path": "" so it can be cleaned up with remove_worktree. */
  drover_vcs_op list_worktrees;

  /* {"task_id", "target_branch"} -> {"files": int, "insertions": int, "deletions": int,
   *   "paths": [str]} for the task branch against its merge base. */
  drover_vcs_op diff_summary;

  /* ---- ABI 1.1: optional; the host checks struct_size before calling them. ---- */

  /* {"target_branch"} -> {"head_ref": str|null (e.g. "refs/heads/main"; null when
   *   detached), "head_commit": str|null, "target_tip": str|null,
   *   "entries": {path: signature}}
   * The user's checkout as `git status` sees it (staged, modified, deleted and
   * untracked paths, not ignored ones), each with an opaque signature of its
   * index entry and file that changes whenever either is written. Read-only.
   * The host compares two of them taken around an agent attempt. */
  drover_vcs_op checkout_state;

  /* {"task_id", "target_branch", "since": commit, "undo"?: bool}
   * -> {"tip": str|null, "rewound": bool, "commits": [{"commit", "summary",
   *     "drover_merge": bool, "by_task": bool}], "undone": bool, "kept_at": str|null}
   * The target's first-parent commits after `since`, newest first: Drover's own
   * merges, and which were made in the task's worktree. With "undo", a target
   * moved only by the task's own commits is put back to `since` (compare-and-
   * swap) and its commits kept under the ref named by "kept_at". */
  drover_vcs_op target_moves;

  /* {"task_id", "to": commit, "keep_ref": "refs/drover/..."}
   * -> {"reset": bool, "kept_at": str|null, "paths": [str]}
   * Restarts an interrupted attempt: every file of the worktree (uncommitted
   * changes, commits the agent made) is kept in a commit under keep_ref, then
   * the task branch is put at `to`, checked out, untracked files removed
   * (ignored ones stay). "reset": false when the worktree already is exactly
   * `to` (or there is no worktree); "paths" lists what the reset undid. */
  drover_vcs_op reset_worktree;

  /* ---- ABI 1.2: optional (the merge queue); without them the host lands
   * with `merge` and verifies the task's branch instead of the merged result. */

  /* {"target_branch", "tasks": [{"task_id", "message"}]}
   * -> {"tip": str (the target's tip the landing was built on),
   *     "commit": str|null (the last commit built; null when nothing is new),
   *     "tasks": [{"task_id", "result": "merged"|"already_merged"|"nothing_to_merge"|"conflict"|"error",
   *                "commit": str|null, "paths": [str], "error"?: str}]}
   * Builds, without moving any ref or touching any working tree, the commits
   * that land the tasks one after the other on the target's tip, in the order
   * given, by the configured strategy (one merge commit per task for "merge").
   * A task that conflicts with the tip or with a task before it is left out
   * ("paths": the conflicting files) and the chain goes on without it; so is
   * one that cannot be built at all ("error": why, e.g. it has no branch). */
  drover_vcs_op build_landing;

  /* {"target_branch", "expected_tip", "commit"}
   * -> {"result": "merged"|"moved"|"local_changes", "commit": str|null, "tip": str,
   *     "paths": [str]}
   * Moves the target from expected_tip to commit (built by build_landing,
   * so expected_tip is on its first-parent line) with a compare-and-swap:
   * "moved" (nothing done) when the target is no longer at expected_tip;
   * "local_changes" as for merge. A checked-out target is brought along. */
  drover_vcs_op publish_landing;

  /* {"task_id", "target_branch", "message"?}
   * -> {"result": "up_to_date"|"merged"|"conflict", "tip": str, "commit": str|null,
   *     "paths": [str] (conflicts), "collides_with": [{"task_id", "commit", "summary",
   *     "paths": [str]}]}
   * Merges the target's tip into the task's worktree (which must have no
   * uncommitted change). Clean: a merge commit on the task branch. Conflict:
   * the worktree is left mid-merge, with standard conflict markers in "paths",
   * for the agent to resolve; the next commit finishes the merge (two parents)
   * and refuses while a file still holds conflict markers. "collides_with":
   * Drover's merges on the target since the task branched that changed a
   * conflicting path. */
  drover_vcs_op sync_worktree;

  /* {"name": [a-z]+, "commit": str|null} -> {"path": str|null}
   * A scratch worktree, not a task's: created (or reused) with HEAD detached
   * at commit, tracked files as in commit, untracked files removed, ignored
   * files (build caches) kept; "commit": null removes it. Not listed by
   * list_worktrees. The host verifies merged results there. */
  drover_vcs_op scratch_worktree;

  /* ---- ABI 1.3: optional, probed by struct_size. ---- */

  /* {"commit": str} | {"task_id", "target_branch"}
   * -> {"patch": str, "files": int, "insertions": int, "deletions": int,
   *     "truncated": bool}
   * A unified diff (git's patch format) for people to read. With "commit":
   * what that commit changed against its first parent (a landed merge: what
   * the task brought in). With "task_id": the task's worktree against its
   * merge base with the target, committed and uncommitted changes alike,
   * untracked files included (ignored ones not); a task whose worktree is
   * gone is read from its branch. "truncated": the patch stopped at the
   * host's "max_bytes" (optional in the request; default 8 MiB). Read-only. */
  drover_vcs_op diff_patch;
} drover_vcs_vtable_v1;

/* The size of the ABI 1.0 vcs vtable: the least a plugin may provide. */
#define DROVER_VCS_VTABLE_V1_0_SIZE offsetof(drover_vcs_vtable_v1, checkout_state)
/* The size of the ABI 1.1 vcs vtable: a plugin of that size has no merge-queue ops. */
#define DROVER_VCS_VTABLE_V1_1_SIZE offsetof(drover_vcs_vtable_v1, build_landing)
/* The size of the ABI 1.2 vcs vtable: a plugin of that size has no diff_patch. */
#define DROVER_VCS_VTABLE_V1_2_SIZE offsetof(drover_vcs_vtable_v1, diff_patch)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DROVER_PLUGIN_VCS_H */
