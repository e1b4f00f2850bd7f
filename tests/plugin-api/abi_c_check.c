/* Compiles the ABI headers as C: they are the contract for plugins in any language. */
#include "drover/plugin/abi.h"
#include "drover/plugin/agent.h"
#include "drover/plugin/storage.h"
#include "drover/plugin/vcs.h"

int drover_abi_c_check(void) { return (int)sizeof(drover_storage_vtable_v1) + (int)sizeof(drover_plugin_descriptor); }
