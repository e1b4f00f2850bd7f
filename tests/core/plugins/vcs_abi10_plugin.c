/* A VCS plugin built for ABI 1.0: its vtable ends at diff_summary, so the
 * entries ABI 1.1 appended lie beyond its struct_size. The host must load it
 * and answer "unsupported" for them without reading past its vtable. Every
 * 1.0 operation answers an empty JSON object. */
#include <stdlib.h>
#include <string.h>

#include "drover/plugin/abi.h"
#include "drover/plugin/vcs.h"

static const drover_host_api* host_api;

static drover_status empty_object(drover_vcs* vcs, drover_str request, drover_buffer* response, drover_error* error) {
  (void)vcs;
  (void)request;
  (void)error;
  drover_str text = {"{}", 2};
  host_api->buffer_append(response, text);
  return DROVER_OK;
}

static drover_status open_vcs(drover_str config, drover_str context, drover_vcs** out, drover_error* error) {
  (void)config;
  (void)context;
  (void)error;
  *out = (drover_vcs*)malloc(1);
  return DROVER_OK;
}

static void close_vcs(drover_vcs* vcs) { free(vcs); }

/* Room for the whole current vtable, filled with a canary past the 1.0 part. */
static union {
  drover_vcs_vtable_v1 v;
  unsigned char bytes[sizeof(drover_vcs_vtable_v1)];
} table;
static drover_plugin_descriptor descriptor;

DROVER_PLUGIN_EXPORT const drover_plugin_descriptor* drover_plugin_entry_v1(const drover_host_api* host) {
  host_api = host;
  memset(table.bytes, 0xAB, sizeof table.bytes); /* a host reading past struct_size would call this */
  table.v.struct_size = (uint32_t)DROVER_VCS_VTABLE_V1_0_SIZE;
  table.v.check_config = NULL;
  table.v.open = open_vcs;
  table.v.close = close_vcs;
  table.v.repo_info = empty_object;
  table.v.prepare_worktree = empty_object;
  table.v.commit = empty_object;
  table.v.merge = empty_object;
  table.v.remove_worktree = empty_object;
  table.v.list_worktrees = empty_object;
  table.v.diff_summary = empty_object;
  descriptor.struct_size = sizeof descriptor;
  descriptor.abi_major = 1;
  descriptor.abi_minor = 0;
  descriptor.kind = DROVER_KIND_VCS;
  descriptor.vtable_size = (uint32_t)DROVER_VCS_VTABLE_V1_0_SIZE;
  descriptor.name = "abi10";
  descriptor.version = "1.0.0";
  descriptor.build_info = "test: a VCS plugin built for ABI 1.0";
  descriptor.config_schema = NULL;
  descriptor.vtable = &table.v;
  return &descriptor;
}
