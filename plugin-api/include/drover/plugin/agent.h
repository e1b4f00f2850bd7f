/* Drover plugin ABI v1: agent plugins.
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
 *    "round": "work"|"resolve"|"fix" (ABI 1.2; absent from older hosts: work)}
 * The host also sets DROVER_ROUND to the round in the agent's environment.
 * build_command response:
 *   {"argv": [str, ...],           argv[0] is looked up in PATH if it has no '/'
 *    "env": {name: value},         added to the host's allow-listed environment
 *    "stdin": "null"|"prompt",     /dev/null, or the prompt written then closed
 *    "cwd": str|null}              default: the worktree
 *
 * run_finish request:
 *   {"exit_code": int|null, "signal": int|null, "timed_out": bool,
 *    "inactive": bool (killed for producing no output), "duration_ms": int}
 * run_finish response (the attempt's result):
 *   {"outcome": "success"|"failure"|"blocked"|"quota"|"timeout"|"crashed",
 *    "reason": str, "summary": str, "session_id": str|null, "turns": int|null,
 *    "tokens_in": int|null, "tokens_out": int|null, "cost_usd": number|null,
 *    "reset_at_ms": int|null (quota: when the limit resets, if the agent said)}
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
} drover_agent_vtable_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DROVER_PLUGIN_AGENT_H */
