// The sqlite plugin's configuration (its subtree of drover.yaml):
//
//   path: .drover/drover.db   # the database file; relative to the project root
#ifndef DROVER_STORAGE_SQLITE_STORE_CONFIG_H
#define DROVER_STORAGE_SQLITE_STORE_CONFIG_H

#include <string>
#include <string_view>

namespace drover::sqlite_storage {

struct StoreConfig {
  std::string path = ".drover/drover.db";
};

// Parses and validates the YAML text. Throws drover::sdk::Error with
// DROVER_INVALID_CONFIG naming the offending key.
StoreConfig parse_config(std::string_view yaml);

// Where and how to open the store, from the config and the open context.
struct StoreLocation {
  std::string path;        // config.path resolved against the context's project_root
  bool read_only = false;  // the context's "read_only" (drover export)
};
StoreLocation resolve_store(const StoreConfig& config, std::string_view context_json);

}  // namespace drover::sqlite_storage

#endif
