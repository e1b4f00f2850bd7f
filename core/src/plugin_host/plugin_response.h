// Reading a plugin's JSON response into a typed record, for the port adapters
// (plugin_task_store.cpp, plugin_workspace.cpp). A response of the wrong
// shape is the plugin's bug: it becomes an error naming the plugin kind, never
// an exception thrown through the engine.
#ifndef DROVER_PLUGIN_HOST_PLUGIN_RESPONSE_H
#define DROVER_PLUGIN_HOST_PLUGIN_RESPONSE_H

#include <nlohmann/json.hpp>
#include <string>

#include "common/json_fields.h"
#include "drover/status.h"

namespace drover {

template <class T, class F>
Result<T> read_response(Result<nlohmann::json> r, const char* plugin_kind, F&& convert) {
  if (!r.ok()) return r.status();
  try {
    return convert(r.value());
  } catch (const nlohmann::json::exception& e) {
    return Status::Error(std::string("the ") + plugin_kind + " plugin returned a response of the wrong shape: " + e.what());
  }
}

}  // namespace drover

#endif
