// The storage backends the conformance suite runs against, and how each one
// gets a fresh, isolated store per test.
//
//   sqlite    always: a temporary directory per test holding the database file;
//   postgres  when libdrover-storage-postgres.so is in the plugin directory and
//             DROVER_TEST_POSTGRES_URL is set: that database, a schema per test.
//             Otherwise its tests are skipped, and with CI=true they fail. (Always
//             listed, so test names do not depend on the environment: ctest
//             caches the discovered list.)
//   custom    a third party's plugin: DROVER_CONFORMANCE_PLUGIN=/path/lib.so and
//             DROVER_CONFORMANCE_CONFIG (YAML; {unique} and {dir} are replaced).
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace drover::storage_test {

// A fresh store's coordinates: the plugin config and the open() context.
struct StoreLocation {
  std::string config_yaml;
  std::string context_json;
  std::string directory;  // a temporary directory owned by the test (removed after it)
};

struct Backend {
  std::string name;         // test-name suffix: sqlite, postgres, custom
  std::string plugin_path;  // the .so file
  // Set when the backend is required (CI) but cannot run: tests fail with it.
  std::string unavailable;
  // Set when the backend is optional and cannot run here: tests skip with it.
  std::string skip;
  // Processes racing in the multi-process tests.
  int concurrent_processes = 4;
  // Builds the location of a fresh store; `unique` is a lower-case identifier.
  std::function<StoreLocation(const std::string& unique, const std::string& directory)> make_location;
  // Marks the store as written by a newer schema (version), if the suite knows
  // how to for this backend; otherwise empty and the test is skipped.
  std::function<void(const StoreLocation&, int version)> bump_schema_version;
};

inline std::ostream& operator<<(std::ostream& os, const Backend& b) { return os << b.name; }

// The backends to run, by the rules above.
std::vector<Backend> conformance_backends();

// A new lower-case identifier unique across processes and runs.
std::string unique_name();

// A new temporary directory.
std::string make_temp_directory();

}  // namespace drover::storage_test
