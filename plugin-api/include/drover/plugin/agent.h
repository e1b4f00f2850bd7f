/* Drover plugin ABI v1: agent plugins (1.2 adds the optional run_should_stop and
 * requirements entries and the "permanent" outcome).
 *
 * An agent plugin never starts a process. The host's process runner does that
 * (own process group, timeout, log capture, clean environment). The plugin:
 *   1. describes the command for one attempt (build_command),
 *   2. parses the agent's output line by line (run_begin / run_line),
 *   3. classifies the finished run (run_finish).
 *
 * build_command request:
 *   {"task_id", "attempt": int, "prompt": str, "prompt_file": str (the prompt
 *    written to a file), "worktree": str, "session_id": str|null (the previous
 *    attempt's session, for resume), "log_file": str,
 *    "round": "work"|"resolve"|"fix"|"continue" (ABI 1.2; absent from older
 *    hosts: work; "continue": the previous run stopped at its turn limit)}
 * The host also sets DROVER_ROUND to the round in the agent's environment.
 * build_command response:
 *   {"argv": [str, ...],           argv[0] is looked up in PATH if it has no '/'
 *    "env": {name: value},         added to the host's allow-listed environment
 *    "stdin": "null"|"prompt",     /dev/null, or the prompt written then closed
 *    "cwd": str|null}              default: the worktree
 *
 * run_finish request:
 *   {"exit_code": int|null, "signal": int|null, "timed_out": bool,
 *    "inactive": bool (killed for producing no output), "duration_ms": int,
 *    "stop_requested": bool (ABI 1.2: stopped because run_should_stop asked)}
 * run_finish response (the attempt's result):
 *   {"outcome": "success"|"failure"|"blocked"|"quota"|"timeout"|"crashed"
 *               |"permanent" (ABI 1.2),
 *    "reason": str, "summary": str, "session_id": str|null, "turns": int|null,
 *    "tokens_in": int|null, "tokens_out": int|null, "cost_usd": number|null
 *    (null when the agent reports no cost; never 0 for "unknown"),
 *    "reset_at_ms": int|null (quota: when the limit resets, if the agent said),
 *    "stop_reason": str|null (ABI 1.2, informative: "max_turns" when the agent
 *    stopped at its turn limit)}
 * Outcomes: failure is retried with the reason in the next prompt; blocked
 * (the agent lacks something it needs) and permanent (an error that a retry
 * cannot change: HTTP 400/401/403/404 from the model API, an unknown model,
 * the agent's own "not retryable" flag) fail the task at once with the reason;
 * quota pauses the agent without using an attempt.
 */
#ifndef DROVER_PLUGIN_AGENT_H
#define DROVER_PLUGIN_AGENT_H

#include "drover/plugin/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct drover_agent drover_agent;         /* one configured agent */
typedef struct drover_agent_run drover_agent_run; /* parser state of one run */

typedef struct drover_agent_vtable_v1 {
  uint32_t struct_size;

  /* Validates the agent's configuration (YAML text) without starting anything. */
  drover_status (*check_config)(drover_str config_yaml, drover_error* error);
  /* context is JSON: {"project_root": str, "agent_name": str}. */
  drover_status (*create)(drover_str config_yaml, drover_str context, drover_agent** out,
                          drover_error* error);
  void (*destroy)(drover_agent* agent);

  drover_status (*build_command)(drover_agent* agent, drover_str request, drover_buffer* response,
                                 drover_error* error);

  /* request: the same JSON as build_command. */
  drover_status (*run_begin)(drover_agent* agent, drover_str request, drover_agent_run** out,
                             drover_error* error);
  /* One line of the agent's standard output or error, without the newline. A
   * line the parser does not understand is not an error. stream: 1 stdout, 2 stderr. */
  drover_status (*run_line)(drover_agent_run* run, int32_t stream, drover_str line,
                            drover_error* error);
  drover_status (*run_finish)(drover_agent_run* run, drover_str request, drover_buffer* response,
                              drover_error* error);
  void (*run_end)(drover_agent_run* run);

  /* ---- ABI 1.2: optional; the host checks struct_size and NULL before calling them. ---- */

  /* Asked after every run_line: nonzero means the plugin has seen enough and
   * the run should be stopped now (e.g. the agent announced it will sleep a
   * long time on a rate limit). The host terminates the process group as for
   * a cancel, then calls run_finish with "stop_requested": true; the plugin
   * classifies the run as usual. Never called concurrently with run_line. */
  int32_t (*run_should_stop)(drover_agent_run* run);

  /* What the agent needs to start, for preflight (`drover config check`, the
   * start of `drover run`); nothing is started. request: {} ->
   *   {"binary": str         argv[0] of its commands (looked up in PATH when it
   *                          has no '/'), or null when it runs no fixed program,
   *    "version_args": [str] optional: arguments that make the binary print its
   *                          version and exit quickly (the host may run it with
   *                          a short timeout),
   *    "install_hint": str   optional: how a user installs the binary, e.g.
   *                          "npm install -g @anthropic-ai/claude-code"} */
  drover_status (*requirements)(drover_agent* agent, drover_str request, drover_buffer* response,
                                drover_error* error);
} drover_agent_vtable_v1;

/* The size of the ABI 1.0 agent vtable: the least a plugin may provide. */
#define DROVER_AGENT_VTABLE_V1_0_SIZE offsetof(drover_agent_vtable_v1, run_should_stop)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DROVER_PLUGIN_AGENT_H */
