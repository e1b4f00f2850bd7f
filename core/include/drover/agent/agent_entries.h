// The optional entries of an agent plugin's vtable (ABI 1.2 and later), read
// only when the plugin's struct_size covers them: a plugin built for an older
// minor has a shorter vtable, and reading past it would read foreign memory.
#ifndef DROVER_AGENT_AGENT_ENTRIES_H
#define DROVER_AGENT_AGENT_ENTRIES_H

#include <cstddef>

#include "drover/plugin/agent.h"

namespace drover {

// The plugin's run_should_stop, or null when it has none.
inline decltype(drover_agent_vtable_v1::run_should_stop) run_should_stop_entry(const drover_agent_vtable_v1& v) {
  return v.struct_size >= offsetof(drover_agent_vtable_v1, run_should_stop) + sizeof(v.run_should_stop)
             ? v.run_should_stop
             : nullptr;
}

// The plugin's requirements, or null when it has none.
inline decltype(drover_agent_vtable_v1::requirements) requirements_entry(const drover_agent_vtable_v1& v) {
  return v.struct_size >= offsetof(drover_agent_vtable_v1, requirements) + sizeof(v.requirements) ? v.requirements
                                                                                                     : nullptr;
}

}  // namespace drover

#endif
