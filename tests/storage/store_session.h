// One store opened through the plugin ABI (tests/support/abi_plugin.h), used
// by the conformance tests, their child processes and the benchmark.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "abi_plugin.h"
#include "storage_backends.h"

namespace drover::storage_test {

using Json = nlohmann::json;
using Op = drover_storage_op drover_storage_vtable_v1::*;
using drover::testing::CallResult;

// One open store. Closed on destruction.
class StoreSession {
 public:
  StoreSession(const drover::testing::AbiPlugin& plugin, const StoreLocation& location);
  StoreSession(const StoreSession&) = delete;
  StoreSession& operator=(const StoreSession&) = delete;
  ~StoreSession();

  // The result of open() (a session that failed to open has no store).
  const CallResult& open_result() const { return open_result_; }
  bool is_open() const { return store_ != nullptr; }

  CallResult call(Op op, const Json& request) const;
  CallResult call_text(Op op, const std::string& request) const;
  // Calls op and returns the decoded response; throws std::runtime_error with
  // the status and message when the call fails (safe in child processes).
  Json must(Op op, const Json& request) const;

 private:
  const drover_storage_vtable_v1* vtable_;
  drover_storage* store_ = nullptr;
  CallResult open_result_;
};

// Loads the backend's plugin once per process.
const drover::testing::AbiPlugin& load_plugin(const Backend& backend);
// Loads the plugin afresh (dlopen + entry point), for a forked child process
// that opens its own store the way a separate drover process would.
const drover::testing::AbiPlugin& load_plugin_in_child(const Backend& backend);
const drover_storage_vtable_v1& storage_vtable(const drover::testing::AbiPlugin& plugin);

std::string status_name(drover_status status);

}  // namespace drover::storage_test
