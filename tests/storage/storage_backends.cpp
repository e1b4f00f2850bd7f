#include "storage_backends.h"

#include "command.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>

namespace drover::storage_test {

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string plugin_dir() {
  std::string dir = env("DROVER_TEST_PLUGIN_DIR");
  return dir.empty() ? std::string(DROVER_TEST_PLUGIN_DIR) : dir;
}

// A YAML double-quoted scalar (JSON string syntax is valid YAML).
std::string yaml_quote(const std::string& text) { return nlohmann::json(text).dump(); }

std::string context_for(const std::string& directory) {
  return nlohmann::json{{"project_root", directory}, {"drover_dir", directory + "/.drover"}}.dump();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

Backend sqlite_backend() {
  Backend b;
  b.name = "sqlite";
  b.plugin_path = plugin_dir() + "/libdrover-storage-sqlite.so";
  b.concurrent_processes = 4;
  b.make_location = [](const std::string&, const std::string& directory) {
    return StoreLocation{"path: " + yaml_quote(directory + "/store.db") + "\n", context_for(directory), directory};
  };
  // The version lives in PRAGMA user_version (and a history table); the test
  // writes the header field directly, as an older drover meeting a newer store would see it.
  b.bump_schema_version = [](const StoreLocation& location, int version) {
    sqlite3* db = nullptr;
    std::string path = location.directory + "/store.db";
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
    std::string sql = "PRAGMA user_version = " + std::to_string(version);
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error("cannot bump schema version of " + path + ": " + message);
  };
  return b;
}

Backend postgres_backend(const std::string& url, const std::string& unavailable) {
  Backend b;
  b.name = "postgres";
  b.plugin_path = plugin_dir() + "/libdrover-storage-postgres.so";
  b.unavailable = unavailable;
  b.concurrent_processes = 8;
  b.make_location = [url](const std::string& unique, const std::string& directory) {
    // The schema name is also kept in a file, for bump_schema_version below.
    std::ofstream(directory + "/postgres-schema") << unique;
    return StoreLocation{"url: " + yaml_quote(url) + "\nschema: " + yaml_quote(unique) + "\n", context_for(directory),
                         directory};
  };
  // Records a newer version in the plugin's schema_version table with psql, as
  // a newer drover would have left it.
  b.bump_schema_version = [url](const StoreLocation& location, int version) {
    std::ifstream in(location.directory + "/postgres-schema");
    std::string schema;
    std::getline(in, schema);
    if (schema.empty()) throw std::runtime_error("no schema name recorded for " + location.directory);
    auto r = drover::testing::run_command({"psql", url, "-v", "ON_ERROR_STOP=1", "-qc",
                                           "INSERT INTO \"" + schema + "\".schema_version (version) VALUES (" +
                                               std::to_string(version) + ")"});
    if (r.exit_code != 0) throw std::runtime_error("psql could not bump the schema version: " + r.err);
  };
  return b;
}

Backend custom_backend(const std::string& path, const std::string& config_template) {
  Backend b;
  b.name = "custom";
  b.plugin_path = path;
  b.concurrent_processes = 4;
  if (config_template.empty()) b.unavailable = "DROVER_CONFORMANCE_PLUGIN is set but DROVER_CONFORMANCE_CONFIG is not";
  b.make_location = [config_template](const std::string& unique, const std::string& directory) {
    std::string yaml = replace_all(replace_all(config_template, "{unique}", unique), "{dir}", directory);
    return StoreLocation{yaml, context_for(directory), directory};
  };
  return b;
}

}  // namespace

std::vector<Backend> conformance_backends() {
  std::vector<Backend> backends;
  backends.push_back(sqlite_backend());

  std::string url = env("DROVER_TEST_POSTGRES_URL");
  bool ci = env("CI") == "true";
  std::string postgres_plugin = plugin_dir() + "/libdrover-storage-postgres.so";
  bool postgres_built = std::filesystem::exists(postgres_plugin);
  if (!url.empty() && postgres_built) {
    backends.push_back(postgres_backend(url, ""));
  } else {
    std::string why = url.empty() ? "DROVER_TEST_POSTGRES_URL is not set; point it at a PostgreSQL database "
                                    "(e.g. postgresql://drover@localhost/drover_test)"
                                  : postgres_plugin + " was not built";
    // In CI the PostgreSQL run is part of the contract: a missing database or
    // plugin must fail loudly instead of silently shrinking coverage.
    Backend b = postgres_backend(url, ci ? "CI=true but " + why : "");
    if (!ci) b.skip = why;
    backends.push_back(b);
  }

  std::string custom = env("DROVER_CONFORMANCE_PLUGIN");
  if (!custom.empty()) backends.push_back(custom_backend(custom, env("DROVER_CONFORMANCE_CONFIG")));
  return backends;
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  static const uint32_t salt = std::random_device{}();
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  char buffer[96];
  snprintf(buffer, sizeof buffer, "drover_t%ld_%d_%08x_%llx", static_cast<long>(getpid()), counter++, salt,
           static_cast<unsigned long long>(now) & 0xffffffULL);
  return buffer;
}

std::string make_temp_directory() {
  std::string base = (std::filesystem::temp_directory_path() / "drover-storage-test-XXXXXX").string();
  if (mkdtemp(base.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + base);
  return base;
}

}  // namespace drover::storage_test
