/* A hand-written plugin whose descriptor is bent by compile definitions, so the
 * host's refusals can be tested one by one:
 *   VARIANT_MAJOR / VARIANT_MINOR   ABI version it claims
 *   VARIANT_KIND                    kind it claims
 *   VARIANT_VTABLE_SIZE             vtable size it claims
 *   VARIANT_NEEDS_MISSING_SYMBOL    references a symbol nothing defines
 * Its vtable functions are never called by these tests. */
#include <string.h>

#include "drover/plugin/abi.h"
#include "drover/plugin/storage.h"

#ifndef VARIANT_MAJOR
#define VARIANT_MAJOR DROVER_PLUGIN_ABI_MAJOR
#endif
#ifndef VARIANT_MINOR
#define VARIANT_MINOR DROVER_PLUGIN_ABI_MINOR
#endif
#ifndef VARIANT_KIND
#define VARIANT_KIND DROVER_KIND_STORAGE
#endif
#ifndef VARIANT_VTABLE_SIZE
#define VARIANT_VTABLE_SIZE sizeof(drover_storage_vtable_v1)
#endif
#ifndef VARIANT_NAME
#define VARIANT_NAME "variant"
#endif

#ifdef VARIANT_NEEDS_MISSING_SYMBOL
extern int drover_test_symbol_that_does_not_exist(void);
int variant_uses_missing(void) { return drover_test_symbol_that_does_not_exist(); }
#endif

static drover_storage_vtable_v1 vtable;
static drover_plugin_descriptor descriptor;

DROVER_PLUGIN_EXPORT const drover_plugin_descriptor* drover_plugin_entry_v1(const drover_host_api* host) {
  (void)host;
  memset(&vtable, 0, sizeof vtable);
  vtable.struct_size = (uint32_t)VARIANT_VTABLE_SIZE;
  descriptor.struct_size = sizeof descriptor;
  descriptor.abi_major = VARIANT_MAJOR;
  descriptor.abi_minor = VARIANT_MINOR;
  descriptor.kind = VARIANT_KIND;
  descriptor.vtable_size = (uint32_t)VARIANT_VTABLE_SIZE;
  descriptor.name = VARIANT_NAME;
  descriptor.version = "9.9.9";
  descriptor.build_info = "test variant";
  descriptor.config_schema = NULL;
  descriptor.vtable = &vtable;
  return &descriptor;
}
