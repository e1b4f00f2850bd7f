// The conformance fixture: a fresh store per test, opened through the plugin
// ABI only (tests/support/abi_plugin.h), with helpers that call an operation
// with a JSON request and decode the JSON response.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "store_session.h"

namespace drover::storage_test {

class StorageTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  const Backend& backend() const { return GetParam(); }
  const drover_storage_vtable_v1& vtable() const { return storage_vtable(*plugin_); }
  const drover::testing::AbiPlugin& plugin() const { return *plugin_; }
  const StoreLocation& location() const { return location_; }
  StoreSession& store() { return *store_; }

  // Closes the test's store (e.g. before fork(), or to reopen it) and reopens it.
  void close_store() { store_.reset(); }
  void reopen_store();

  // Calls op; the test fails (non-fatally) if it does not succeed.
  Json ok(Op op, const Json& request);
  // Calls op and expects it to fail with `expected`; returns the error message.
  std::string fails(Op op, const Json& request, drover_status expected);
  std::string fails_text(Op op, const std::string& request, drover_status expected);

  // Shorthands for the common calls.
  Json create_task(const std::string& title, Json extra = Json::object());
  Json get_task(const std::string& id) { return ok(&drover_storage_vtable_v1::get_task, {{"id", id}}); }
  Json claim(const std::string& executor, int64_t now_ms, Json extra = Json::object());
  Json complete(const std::string& id, const std::string& executor, int64_t now_ms);
  Json list_tasks(Json request = Json::object()) { return ok(&drover_storage_vtable_v1::list_tasks, request); }
  static std::vector<std::string> ids_of(const Json& tasks);

  static constexpr int64_t kT0 = 1'700'000'000'000;  // a fixed "now" the tests advance by hand
  static constexpr int64_t kLeaseMs = 60'000;

 private:
  const drover::testing::AbiPlugin* plugin_ = nullptr;
  StoreLocation location_;
  std::unique_ptr<StoreSession> store_;
};

// Single-process conformance tests (fast).
class StorageConformance : public StorageTest {};
// Tests that fork processes sharing one store (labelled slow).
class StorageProcesses : public StorageTest {};

// gtest parameter names: the backend name.
std::string backend_test_name(const ::testing::TestParamInfo<Backend>& info);

}  // namespace drover::storage_test
