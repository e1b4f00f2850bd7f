// The host side of the opaque ABI objects: the error sink and output buffer
// that plugins fill through drover_host_api.set_error / buffer_append, and the
// host API table itself. (tests/support/abi_plugin.h carries the same two
// struct definitions for tests that use no core code.)
#ifndef DROVER_PLUGIN_HOST_ABI_OBJECTS_H
#define DROVER_PLUGIN_HOST_ABI_OBJECTS_H

#include <string>
#include <string_view>

#include "drover/plugin/abi.h"
#include "drover/status.h"

struct drover_error {
  std::string message;
};
struct drover_buffer {
  std::string data;
};

namespace drover {

// The host API handed to every plugin's entry point (logging goes to spdlog).
const drover_host_api* host_api();

inline drover_str to_abi(std::string_view s) { return drover_str{s.data(), s.size()}; }

// Converts a plugin's status code and error message into a Status.
Status status_from_abi(drover_status code, const std::string& message);

}  // namespace drover

#endif
