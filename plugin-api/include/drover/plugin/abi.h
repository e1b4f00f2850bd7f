/* Drover plugin ABI, generation 1: the common part shared by every plugin kind.
 *
 * This header is plain C and is the whole contract between the drover host and a
 * plugin shared library. Rules (see docs/plugin-authoring.md):
 *   - a plugin exports exactly one symbol, drover_plugin_entry_v1;
 *   - every struct starts with its own size and only ever grows at the end;
 *   - nothing C++ crosses the boundary: strings are pointer + length, records
 *     are JSON text, errors are reported through the host's set_error;
 *   - whoever creates an object destroys it. Output text is copied into
 *     host-owned buffers with buffer_append, so a plugin never frees host memory
 *     and the host never frees plugin memory.
 */
#ifndef DROVER_PLUGIN_ABI_H
#define DROVER_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DROVER_PLUGIN_ABI_MAJOR 1
/* Minor versions add only optional vtable entries at the end (see each kind's
 * header); a host probes them against the plugin's struct_size.
 *   1.1  vcs: checkout_state, target_moves, reset_worktree
 *   1.2  vcs: build_landing, publish_landing, sync_worktree, scratch_worktree;
 *        agent: the build_command request's "round", run_should_stop, requirements;
 *        storage: edit_task, remove_task, remove_dependency, set_paused; task fields
 *        touches, learned_touches, paused; claim_task's exclude_ids
 *   1.3  storage: review_task; the task field review; the wait kind "review";
 *        vcs: diff_patch
 *   1.4  storage: beat_executor, list_executors, append_log, read_log
 *   1.5  storage: claim_tasks
 *   1.6  storage: apply_writes; "quiet" in the requests of update_task,
 *        complete_task and record_step */
#define DROVER_PLUGIN_ABI_MINOR 6

/* The name of the one exported symbol. The generation is part of the name so a
 * future incompatible ABI can coexist with this one. */
#define DROVER_PLUGIN_ENTRY_SYMBOL "drover_plugin_entry_v1"

#if defined(__GNUC__)
#define DROVER_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define DROVER_PLUGIN_EXPORT
#endif

/* A string that is not necessarily NUL-terminated. data may be NULL when size is 0. */
typedef struct drover_str {
  const char* data;
  size_t size;
} drover_str;

/* Result of every call that can fail. Anything other than DROVER_OK comes with a
 * message set through drover_host_api.set_error. */
typedef int32_t drover_status;
enum {
  DROVER_OK = 0,
  DROVER_ERROR = 1,           /* unexpected failure */
  DROVER_INVALID_ARGUMENT = 2,/* the request is malformed or violates a rule */
  DROVER_NOT_FOUND = 3,       /* a named record does not exist */
  DROVER_CONFLICT = 4,        /* the state changed underneath (e.g. lease lost, cycle) */
  DROVER_UNAVAILABLE = 5,     /* a backend cannot be reached; retrying may help */
  DROVER_UNSUPPORTED = 6,     /* the operation or a schema version is not supported */
  DROVER_INVALID_CONFIG = 7,  /* the plugin's configuration is wrong */
  DROVER_DATA_CORRUPT = 8     /* stored data is damaged; the plugin writes nothing more and the host stops
                                 (an older host reads an unknown code as DROVER_ERROR) */
};

typedef uint32_t drover_plugin_kind;
enum {
  DROVER_KIND_AGENT = 1,
  DROVER_KIND_STORAGE = 2,
  DROVER_KIND_VCS = 3
};

typedef int32_t drover_log_level;
enum {
  DROVER_LOG_TRACE = 0,
  DROVER_LOG_DEBUG = 1,
  DROVER_LOG_INFO = 2,
  DROVER_LOG_WARN = 3,
  DROVER_LOG_ERROR = 4
};

/* Opaque host objects. */
typedef struct drover_error drover_error;   /* receives one error message */
typedef struct drover_buffer drover_buffer; /* receives output text */

/* Services the host offers to plugins. Passed to the entry point; valid for the
 * life of the process. Append-only: check struct_size before using a field that
 * was added after 1.0. */
typedef struct drover_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  /* Records an error message (copied). A later call replaces an earlier one. */
  void (*set_error)(drover_error* error, drover_str message);
  /* Appends bytes (copied) to a host-owned output buffer. */
  void (*buffer_append)(drover_buffer* buffer, drover_str data);
  /* Writes a log line through the host's logger. plugin names the caller. */
  void (*log)(drover_log_level level, drover_str plugin, drover_str message);
} drover_host_api;

/* What the entry point returns: static data owned by the plugin. The host checks
 * struct_size, abi_major (equal), abi_minor (<= host), kind and vtable_size before
 * calling anything in the vtable. */
typedef struct drover_plugin_descriptor {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  drover_plugin_kind kind;
  uint32_t vtable_size;
  const char* name;          /* short name used in drover.yaml, e.g. "sqlite" */
  const char* version;       /* the plugin's own version, e.g. "1.2.0" */
  const char* build_info;    /* free text: compiler, date, SDK version */
  const char* config_schema; /* optional description of the config keys (may be NULL) */
  const void* vtable;        /* drover_agent_vtable_v1 / drover_storage_vtable_v1 / drover_vcs_vtable_v1 */
} drover_plugin_descriptor;

typedef const drover_plugin_descriptor* (*drover_plugin_entry_fn)(const drover_host_api* host);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DROVER_PLUGIN_ABI_H */
