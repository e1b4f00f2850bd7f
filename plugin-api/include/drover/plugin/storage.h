/* Drover plugin ABI v1: storage plugins.
 *
 * A storage plugin is a state store, not a SQL pipe: it owns its schema and
 * offers the operations the engine needs, each one atomic (one transaction).
 * Every operation has the same shape:
 *
 *   drover_status op(drover_storage* store, drover_str request, drover_buffer* response,
 *                    drover_error* error);
 *
 * request is a JSON object (text), response receives one JSON value (text).
 * Times are integers in milliseconds since the Unix epoch, supplied by the host
 * as "now_ms" where an operation depends on the clock, so every executor sharing
 * a store agrees on lease expiry and tests can control time.
 *
 * The records (all JSON objects):
 *
 * task: {
 *   "id": "t12" | "t12.3",      assigned by the store: "t<N>" with N counting from 1
 *                               per store; sub-tasks "<parent>.<sequence>"
 *   "title": str, "description": str,
 *   "epic": str|null,           epic id
 *   "parent": str|null, "sequence": int (0 unless a sub-task),
 *   "priority": int,            higher runs first; ties: older (created_at, then id order) first
 *   "status": "ready"|"waiting"|"running"|"completed"|"failed"|"blocked"|"cancelled",
 *   "status_reason": str,       e.g. "blocked by failed task t3"
 *   "attempts": int, "max_attempts": int (0 = engine default),
 *   "agent": str|null,          agent name from drover.yaml (null = default agent)
 *   "timeout_ms": int (0 = engine default),
 *   "last_error": str, "result_summary": str, "session_id": str,
 *   "tokens_in": int, "tokens_out": int,
 *   "cost_usd": number|null,    null: no attempt reported a cost (a 1.0 store may say 0)
 *   "merge_commit": str,
 *   "generation": int,          incremented by reset/retry; part of the workflow id
 *   "not_before_ms": int,       not claimable before this time (backoff, quota pause)
 *   "wait": null | {            why a ready task waits, as release_task was told (see
 *     "kind": "backoff"|"quota"|"merge"|"interrupted"|"review" (1.3),   there); null unless status is
 *     "agent": str, "detail": str,                        "ready". Typed so nobody parses
 *     "paths": [str],                                     status_reason back. paths: files
 *     "until_ms": int           = not_before_ms           in the way (merge), else []
 *   },
 *   "lease_owner": str|null, "lease_expires_ms": int,
 *   "created_ms": int, "updated_ms": int, "started_ms": int, "completed_ms": int,
 *   "blocked_by": [task ids],   direct blockers (explicit dependencies + implicit
 *                               sub-task ordering, see create_task)
 *   "blocks": [task ids]        direct dependents
 *   -- ABI 1.2 (a host reads them as [] / false when absent):
 *   "touches": [str],           globs of the paths the task expects to edit, as
 *                               create_task or edit_task set them (the host's
 *                               path_glob rules; the store keeps them as given)
 *   "learned_touches": [str],   exact paths the engine learned it edits (update_task)
 *   "paused": bool              set_paused: not claimable while true
 *   -- ABI 1.3 (read as false when absent):
 *   "review": bool              a person approves the task's work before it lands
 *                               (create_task, edit_task)
 * }
 * epic: { "id": "e<N>", "title": str, "description": str, "created_ms": int }
 * workflow: { "id": str, "name": str, "input": any JSON, "status": "running"|"succeeded"|"failed"|"cancelled",
 *             "output": any JSON|null, "executor": str, "created_ms": int, "updated_ms": int }
 * step: { "workflow_id": str, "step": int (0-based), "name": str, "outcome": any JSON|null,
 *         "error": str|null, "created_ms": int }
 * event: { "id": int (increasing), "task_id": str|null, "kind": str, "message": str,
 *          "data": any JSON|null, "created_ms": int }
 *
 * Status rules the store enforces:
 *   - a task is "ready" iff none of its blockers is incomplete and it is not in a
 *     terminal or running state; "waiting" while a blocker is incomplete;
 *   - a sub-task of P is blocked by the previous sub-task of P (sequence order), and
 *     P is blocked by each of its sub-tasks; a sub-task cannot have sub-tasks;
 *   - dependency cycles are refused (DROVER_CONFLICT) with the cycle in the
 *     message, e.g. "dependency cycle: t1 -> t3 -> t1";
 *   - text fields are UTF-8; invalid UTF-8 or a title over 1,000 bytes or a
 *     description over 1 MiB is refused with DROVER_INVALID_ARGUMENT. (The
 *     bundled plugins apply one rule to every text they keep: no NUL, names,
 *     ids and titles up to 1,000 bytes, longer text up to 1 MiB.)
 */
#ifndef DROVER_PLUGIN_STORAGE_H
#define DROVER_PLUGIN_STORAGE_H

#include "drover/plugin/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct drover_storage drover_storage; /* a plugin-owned open store */

typedef drover_status (*drover_storage_op)(drover_storage* store, drover_str request,
                                           drover_buffer* response, drover_error* error);

typedef struct drover_storage_vtable_v1 {
  uint32_t struct_size;

  /* Validates the plugin's configuration (YAML text) without opening anything. */
  drover_status (*check_config)(drover_str config_yaml, drover_error* error);

  /* Opens (creating and migrating the schema as needed) the store.
   * context is JSON: {"project_root": str, "drover_dir": str, "read_only"?: bool};
   * relative paths in the config are resolved against project_root. A store
   * written by a newer schema is refused with DROVER_UNSUPPORTED and a message
   * naming the versions.
   * Damaged data: a plugin that finds its stored data damaged (at open or in any
   * later call) fails that call and every later one with DROVER_DATA_CORRUPT and
   * a message naming the store and how to recover, and writes nothing more.
   * read_only (drover export) asks for an open that creates, migrates and writes
   * nothing and, on damaged data, returns what can still be read (best effort)
   * instead of failing; a plugin without such a mode may ignore the key. */
  drover_status (*open)(drover_str config_yaml, drover_str context, drover_storage** out,
                        drover_error* error);
  void (*close)(drover_storage* store);

  /* {} -> {"backend": str, "schema_version": int, "location": str (no password)} */
  drover_storage_op describe;

  /* {"title","description"} -> epic */
  drover_storage_op create_epic;
  /* {} -> [ {epic fields..., "counts": {status: n}} ] in id order */
  drover_storage_op list_epics;

  /* {"title", "description"?, "epic"?, "parent"?, "priority"?, "agent"?,
   *  "max_attempts"?, "timeout_ms"?, "blocked_by"?: [ids], "touches"?: [str] (1.2),
   *  "now_ms"} -> task
   * Unknown epic, parent or blocker: DROVER_NOT_FOUND. A parent that is itself a
   * sub-task, or that is running/completed: DROVER_INVALID_ARGUMENT. */
  drover_storage_op create_task;
  /* {"id"} -> task, or DROVER_NOT_FOUND */
  drover_storage_op get_task;
  /* {"epic"?: str, "status"?: [str], "ids"?: [str]} -> [task] ordered by
   * priority desc, created_ms, numeric id */
  drover_storage_op list_tasks;
  /* {"task", "blocker", "now_ms"} -> task (the dependent). Refuses cycles. A blocker
   * that is incomplete turns a ready task into waiting. */
  drover_storage_op add_dependency;
  /* {"id", "now_ms", "fields": {...}, "quiet"?: bool (1.6)} -> task. Only these
   * fields may be set: attempts, last_error, result_summary, session_id,
   * tokens_in, tokens_out, cost_usd, merge_commit, status_reason, and (1.2)
   * learned_touches: [str], which replaces the list. Lifecycle changes go
   * through the dedicated operations below. (1.6) "quiet": true answers
   * {"id"} instead of the task (the caller knows what it set); an older
   * plugin ignores it and answers the task. */
  drover_storage_op update_task;

  /* {"executor", "lease_ms", "now_ms", "epic"?: str, "exclude_agents"?: [str],
   *  "default_agent": str, "exclude_ids"?: [task ids] (1.2)}
   * -> task (now "running", lease_owner = executor) or null when nothing is
   * claimable. Claimable: status "ready" with not_before_ms <= now_ms, or status
   * "running" whose lease expired (lease_expires_ms < now_ms): that one is
   * reclaimed and the response has "reclaimed": true. exclude_agents is matched
   * against the task's agent, or default_agent when the task has none. Atomic: two
   * callers never get the same task. Highest priority first. (1.2) A ready task
   * that is paused, or whose id is in exclude_ids, is not claimable; an expired
   * lease is reclaimed even when paused (its attempt finishes). */
  drover_storage_op claim_task;
  /* {"executor", "lease_ms", "now_ms"} -> {"renewed": int}: extends every lease the
   * executor holds. */
  drover_storage_op renew_leases;
  /* {"id", "executor", "now_ms", "not_before_ms"?: int, "last_error"?: str,
   *  "count_attempt"?: bool, "status_reason"?: str,
   *  "wait"?: {"kind": "backoff"|"quota"|"merge"|"interrupted"|"review", "agent"?: str,
   *            "detail"?: str, "paths"?: [str]}}
   * -> task: gives a running task back ("ready"), e.g. on drain, a quota pause or a
   * retry backoff. DROVER_CONFLICT if the executor does not hold the lease.
   * In the same transaction the task's wait becomes "wait" (none when absent) and
   * status_reason becomes "status_reason" ("" when absent; a task that ends up
   * blocked keeps the reason naming its blocker). Another kind, or a field of
   * another type, is DROVER_INVALID_ARGUMENT naming it (e.g. "wait.kind"). The
   * wait is dropped by claim_task, complete_task, fail_task, reset_task and
   * whenever the task leaves "ready". */
  drover_storage_op release_task;
  /* {"id", "executor", "now_ms", "result_summary"?, "merge_commit"?, "quiet"?: bool (1.6)}
   * -> {"task": task, "unblocked": [ids now ready]} ("quiet": true, 1.6: without
   * "task"; an older plugin ignores it). One transaction: the task
   * becomes completed, its lease is dropped, every dependent whose blockers are
   * all complete becomes ready, and a "completed" event is appended. Completing a
   * completed task is a no-op that returns "unblocked": []. DROVER_CONFLICT if
   * another executor holds the lease. */
  drover_storage_op complete_task;
  /* {"id", "executor", "now_ms", "error": str}
   * -> {"task": task, "blocked": [ids]}: the task becomes failed; every transitive
   * dependent that is not complete becomes "blocked" with status_reason
   * "blocked by failed task <id>". One transaction, with a "failed" event. */
  drover_storage_op fail_task;
  /* {"id", "now_ms", "mode": "retry"|"reset"|"cancel"}
   * -> {"task": task, "changed": [ids]}. retry: a failed/blocked/cancelled task
   * goes back to ready or waiting (by its blockers), attempts = 0, generation + 1,
   * and dependents blocked because of it go back to waiting. reset: any non-running
   * task likewise (a completed one too). cancel: status cancelled (a running one
   * keeps its lease until the executor lets go); dependents become blocked. */
  drover_storage_op reset_task;

  /* {"id", "name", "input", "executor", "now_ms"} -> workflow + {"created": bool}.
   * Starting an existing id returns the existing workflow unchanged (except that
   * its executor becomes the caller). */
  drover_storage_op start_workflow;
  /* {"id"} -> workflow + {"steps": [step]} or DROVER_NOT_FOUND */
  drover_storage_op get_workflow;
  /* {"id", "status", "output"?, "now_ms"} -> workflow */
  drover_storage_op finish_workflow;
  /* {"workflow_id", "step", "name", "outcome"?, "error"?, "now_ms", "quiet"?: bool (1.6)}
   * -> step + {"recorded": bool}.
   * If that step number is already recorded this is a no-op returning the
   * recorded step with "recorded": false. (1.6) "quiet": true answers just
   * {"recorded": true} when this call recorded the step (the caller knows
   * what it sent); the recorded step in full otherwise. */
  drover_storage_op record_step;

  /* {"task_id"?, "kind", "message", "data"?, "now_ms"} -> event */
  drover_storage_op append_event;
  /* {"task_id"?, "after_id"?: int, "limit"?: int} -> [event] ascending id */
  drover_storage_op list_events;

  /* {"epic"?} -> {"counts": {status: n}, "total": int, "cost_usd": number,
   *  "tokens_in": int, "tokens_out": int} */
  drover_storage_op summary;

  /* ---- ABI 1.2: optional; the host checks struct_size before calling them
   * (a plugin built for 1.0/1.1 ends above) and says the command needs a newer
   * plugin. Each is one transaction. ---- */

  /* {"id", "now_ms", "fields": {"title"?: str, "description"?: str, "priority"?: int,
   *  "agent"?: str|null (null: the default agent), "max_attempts"?: int >= 0,
   *  "touches"?: [str], "review"?: bool (1.3)}} -> task. For a task that is not running: a running one
   * is DROVER_CONFLICT (its attempt uses the old fields). Another field, or one of
   * another type, is DROVER_INVALID_ARGUMENT naming it. An "edited" event. */
  drover_storage_op edit_task;

  /* {"id", "now_ms", "cascade"?: bool} -> {"removed": [ids], the named task first}.
   * Removes the task with its sub-tasks, their dependency edges and their events
   * (a "removed" event without task_id is appended). DROVER_CONFLICT when one of
   * them is running, or when another task depends on one of them and cascade is
   * not true (the message names the dependents); with cascade, those dependents
   * are removed too, transitively. The edges of sub-task order do not count as
   * depending: removing a sub-task makes the next one wait for the previous one,
   * and its parent and siblings stay. Ids are never reused. */
  drover_storage_op remove_task;

  /* {"task", "blocker", "now_ms"} -> task (the dependent, its status re-derived:
   * a waiting task whose last incomplete blocker went becomes ready, a blocked one
   * no longer blocked by it waits or is ready). DROVER_NOT_FOUND when task does not
   * wait for blocker; DROVER_INVALID_ARGUMENT for an edge between a parent and its
   * sub-task or between two sub-tasks of one parent (sub-task order). */
  drover_storage_op remove_dependency;

  /* {"id", "paused": bool, "now_ms"} -> task. A paused task is not claimed; a running
   * one keeps its lease and finishes its attempt. A completed or cancelled task is
   * DROVER_CONFLICT. "paused"/"unpaused" events. */
  drover_storage_op set_paused;

  /* ---- ABI 1.3: optional, probed by struct_size like 1.2. ---- */

  /* {"id", "decision": "approve"|"reject", "message"?: str, "now_ms"} -> task.
   * For a task released with wait kind "review" (it waits for a person's
   * decision; release_task with that kind gives it a not_before_ms no clock
   * reaches): the wait is dropped and the task is claimable at once, and an
   * "approved" or "rejected" event is appended with data {"decision", "message",
   * "generation"} in the same transaction; the engine reads the decision from
   * that event. Any other task is DROVER_CONFLICT, naming its status. */
  drover_storage_op review_task;

  /* ---- ABI 1.4: optional, probed by struct_size like 1.2. Executors sharing a
   * store and agent output kept in it, so `drover executors` and `drover logs`
   * work from any machine. ---- */

  /* {"id": str, "host": str, "pid": int, "started_ms": int, "version": str,
   *  "workers": int, "lease_ms": int, "state": "running"|"stopping"|"stopped",
   *  "now_ms"} -> executor
   * Registers the executor (a `drover run`; id is its lease owner name) or
   * refreshes it: every field is replaced and last_beat_ms becomes the store's
   * own clock where it has one (PostgreSQL), else now_ms, so executors on
   * machines with drifting clocks are judged by one clock.
   * executor: {"id", "host", "pid", "started_ms", "version", "workers", "lease_ms",
   *            "state", "last_beat_ms", "first_beat_ms"} */
  drover_storage_op beat_executor;
  /* {"now_ms"} -> {"now_ms": int, "executors": [executor + {"tasks": [ids]}]}
   * Every executor ever beaten, most recent beat first; tasks are the running
   * tasks whose lease it holds (numeric id order). now_ms is the clock
   * last_beat_ms was written in (the store's, or the request's), to measure
   * ages against. Whether an executor is lost (no beat for longer than its
   * lease_ms) is the reader's judgement; the store keeps what was beaten. */
  drover_storage_op list_executors;

  /* {"task_id", "generation": int, "attempt": int >= 1, "round": int >= 1,
   *  "offset": int >= 0, "data": str, "final"?: bool, "max_bytes": int >= 0, "now_ms"}
   * -> {"size": int, "kept": int, "finished": bool}
   * Appends a chunk of one round's agent output. The log is a byte stream of
   * UTF-8 text (the host replaces invalid bytes and NUL before sending), and
   * offset is where data starts in it: data below the log's size was stored by
   * an earlier call (a retry after a lost reply) and is skipped; an offset past
   * the size leaves a gap (output the host could not send) that readers skip.
   * size = offset + bytes of data afterwards. max_bytes caps what is kept of
   * the log (0: no cap): past it the store keeps the chunks holding the first
   * max_bytes/2 and the last max_bytes/2 bytes and drops whole chunks between
   * (so it keeps up to two chunks more). "final" marks the log finished (the
   * round ended); appending to a finished log anything but what it holds is
   * DROVER_CONFLICT. Unknown task: DROVER_NOT_FOUND. data over 1 MiB:
   * DROVER_INVALID_ARGUMENT. */
  drover_storage_op append_log;
  /* {"task_id", "generation"?, "attempt"?, "round"?, "offset"?: int (0),
   *  "max_bytes"?: int (65536, at most 1 MiB)}
   * -> {"generation", "attempt", "round", "offset": where data starts,
   *     "data": str, "next_offset": int, "size": int, "finished": bool, "eof": bool}
   * Reads a round's log from offset. A left-out generation, attempt or round is
   * the latest that has a log (generation first, then attempt, then round).
   * offset in a part the cap dropped or in a gap: data starts at the next byte
   * kept ("offset" > the asked offset). data never splits a UTF-8 sequence.
   * eof: next_offset == size (more may come unless finished). Unknown task, or
   * no log for it (or for the asked round): DROVER_NOT_FOUND. */
  drover_storage_op read_log;

  /* ---- ABI 1.5: optional, probed by struct_size like 1.2. ---- */

  /* claim_task's request + {"limit": int, 1 to 1000}
   * -> [task]: up to limit tasks claimed in one transaction, each as claim_task
   * returns it ("reclaimed" included), in the order successive claim_task calls
   * would have returned them; [] when nothing is claimable. Lets a run with
   * several free workers fill them with one store round trip. A host facing a
   * plugin without it calls claim_task once per task. */
  drover_storage_op claim_tasks;

  /* ---- ABI 1.6: optional, probed by struct_size like 1.2. ---- */

  /* {"writes": [{"op": "record_step" | "update_task" | "append_event" |
   *              "finish_workflow", "request": {that operation's request}}, ...]}
   *   (1 to 64 writes)
   * -> {"results": [each operation's answer, in order]}
   * Applies the writes in order in one transaction: all of them or none. The
   * first that fails undoes the others, and its error is returned with
   * "apply_writes: writes[<i>] (<op>): " before its message, in its own code;
   * an op outside the four is DROVER_INVALID_ARGUMENT. Lets the host record a
   * step together with the task update and events it produced (one round
   * trip, and none of them without the others after a crash). A host facing a
   * plugin without it makes the calls one by one. */
  drover_storage_op apply_writes;
} drover_storage_vtable_v1;

/* The size of the ABI 1.0 storage vtable: the least a plugin may provide. */
#define DROVER_STORAGE_VTABLE_V1_0_SIZE offsetof(drover_storage_vtable_v1, edit_task)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DROVER_PLUGIN_STORAGE_H */
