#include "storage_fixture.h"

#include <filesystem>

namespace drover::storage_test {

void StorageTest::SetUp() {
  if (!backend().unavailable.empty()) {
    FAIL() << backend().name << " backend required but unavailable: " << backend().unavailable;
  }
  if (!backend().skip.empty()) GTEST_SKIP() << backend().name << " backend not available: " << backend().skip;
  ASSERT_TRUE(std::filesystem::exists(backend().plugin_path)) << "plugin file missing: " << backend().plugin_path;
  plugin_ = &load_plugin(backend());
  std::string directory = make_temp_directory();
  location_ = backend().make_location(unique_name(), directory);
  reopen_store();
  ASSERT_TRUE(store_->is_open()) << "open failed with " << status_name(store_->open_result().status) << ": "
                                 << store_->open_result().error << "\nconfig:\n" << location_.config_yaml;
}

void StorageTest::TearDown() {
  store_.reset();
  if (!location_.directory.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(location_.directory, ignored);
  }
}

void StorageTest::reopen_store() {
  store_.reset();
  store_ = std::make_unique<StoreSession>(*plugin_, location_);
}

Json StorageTest::ok(Op op, const Json& request) {
  CallResult r = store_->call(op, request);
  EXPECT_EQ(r.status, DROVER_OK) << status_name(r.status) << ": " << r.error << "\nrequest: " << request.dump();
  if (!r.ok()) return Json();
  Json parsed = Json::parse(r.output, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << "response is not JSON: " << r.output;
  return parsed.is_discarded() ? Json() : parsed;
}

std::string StorageTest::fails(Op op, const Json& request, drover_status expected) {
  return fails_text(op, request.dump(), expected);
}

std::string StorageTest::fails_text(Op op, const std::string& request, drover_status expected) {
  CallResult r = store_->call_text(op, request);
  EXPECT_EQ(status_name(r.status), status_name(expected))
      << "message: " << r.error << "\nresponse: " << r.output.substr(0, 500) << "\nrequest: " << request.substr(0, 500);
  if (!r.ok()) {
    EXPECT_FALSE(r.error.empty()) << "a failure must come with a message";
  }
  return r.error;
}

Json StorageTest::create_task(const std::string& title, Json extra) {
  extra["title"] = title;
  if (!extra.contains("now_ms")) extra["now_ms"] = kT0;
  return ok(&drover_storage_vtable_v1::create_task, extra);
}

Json StorageTest::claim(const std::string& executor, int64_t now_ms, Json extra) {
  extra["executor"] = executor;
  extra["now_ms"] = now_ms;
  if (!extra.contains("lease_ms")) extra["lease_ms"] = kLeaseMs;
  if (!extra.contains("default_agent")) extra["default_agent"] = "claude";
  return ok(&drover_storage_vtable_v1::claim_task, extra);
}

Json StorageTest::complete(const std::string& id, const std::string& executor, int64_t now_ms) {
  return ok(&drover_storage_vtable_v1::complete_task, {{"id", id}, {"executor", executor}, {"now_ms", now_ms}});
}

std::vector<std::string> StorageTest::ids_of(const Json& tasks) {
  std::vector<std::string> ids;
  if (!tasks.is_array()) return ids;
  for (const Json& t : tasks) ids.push_back(t.value("id", ""));
  return ids;
}

std::string backend_test_name(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

}  // namespace drover::storage_test
