// A minimal host for tests that drive a plugin through the raw C ABI only:
// dlopen the file, call drover_plugin_entry_v1 with a test host API, and call
// vtable operations with JSON text. Conformance suites use this (and nothing
// from core/) so a third party can run them against their own plugin file.
#ifndef DROVER_TESTS_SUPPORT_ABI_PLUGIN_H
#define DROVER_TESTS_SUPPORT_ABI_PLUGIN_H

#include <dlfcn.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "drover/plugin/abi.h"
#include "drover/plugin/agent.h"
#include "drover/plugin/storage.h"
#include "drover/plugin/vcs.h"

struct drover_error {
  std::string message;
};
struct drover_buffer {
  std::string data;
};

namespace drover::testing {

inline const drover_host_api* test_host_api() {
  static const drover_host_api api = {
      sizeof(drover_host_api),
      DROVER_PLUGIN_ABI_MAJOR,
      DROVER_PLUGIN_ABI_MINOR,
      [](drover_error* e, drover_str m) { e->message.assign(m.data == nullptr ? "" : m.data, m.size); },
      [](drover_buffer* b, drover_str d) {
        if (d.size > 0) b->data.append(d.data, d.size);
      },
      [](drover_log_level, drover_str, drover_str) {},
  };
  return &api;
}

inline drover_str to_str(std::string_view s) { return drover_str{s.data(), s.size()}; }

// The outcome of one vtable call.
struct CallResult {
  drover_status status = DROVER_OK;
  std::string output;  // response text on success
  std::string error;   // message on failure
  bool ok() const { return status == DROVER_OK; }
};

// A plugin file opened through the C ABI. Never unloaded (like the real host).
class AbiPlugin {
 public:
  explicit AbiPlugin(const std::string& path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
    auto entry = reinterpret_cast<drover_plugin_entry_fn>(dlsym(handle_, DROVER_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error(path + " does not export " DROVER_PLUGIN_ENTRY_SYMBOL);
    descriptor_ = entry(test_host_api());
    if (descriptor_ == nullptr) throw std::runtime_error(path + ": entry point returned NULL");
  }
  const drover_plugin_descriptor& descriptor() const { return *descriptor_; }
  template <class Vtable>
  const Vtable& vtable() const {
    return *static_cast<const Vtable*>(descriptor_->vtable);
  }

 private:
  void* handle_ = nullptr;
  const drover_plugin_descriptor* descriptor_ = nullptr;
};

// Calls any "handle, request, response, error" operation.
template <class Handle>
CallResult call_op(drover_status (*op)(Handle*, drover_str, drover_buffer*, drover_error*), Handle* handle,
                   std::string_view request) {
  drover_buffer out;
  drover_error err;
  CallResult r;
  r.status = op(handle, to_str(request), &out, &err);
  r.output = std::move(out.data);
  r.error = std::move(err.message);
  return r;
}

}  // namespace drover::testing

#endif
