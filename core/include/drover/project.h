// Project: one drover.yaml with its plugins opened. The CLI builds one per
// command; the engine borrows its store, VCS and agents.
#ifndef DROVER_PROJECT_H
#define DROVER_PROJECT_H

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drover/config/config.h"
#include "drover/plugin_host/plugin_clients.h"
#include "drover/plugin_host/plugin_host.h"
#include "drover/plugin_host/plugin_task_store.h"
#include "drover/plugin_host/plugin_workspace.h"
#include "drover/status.h"

namespace drover {

class Project {
 public:
  // Loads the config and the plugin host; opens nothing yet.
  static Result<std::unique_ptr<Project>> load(const std::string& config_path);

  const Config& config() const { return config_; }
  Config& mutable_config() { return config_; }
  PluginHost& host() { return host_; }

  // How the store is opened. kReadOnly (drover export) passes "read_only" in
  // the open context: nothing is written and a damaged store yields what can
  // still be read.
  enum class StoreAccess { kReadWrite, kReadOnly };

  // Opened on first use and kept: the storage plugin as a TaskStore (access
  // applies to that first use), the VCS plugin as a Workspace, an agent plugin
  // instance by its drover.yaml name.
  Result<TaskStore*> store(StoreAccess access = StoreAccess::kReadWrite);
  Result<Workspace*> workspace();
  Result<AgentClient*> agent(const std::string& name);

  // The JSON context handed to storage and VCS plugins.
  json plugin_context() const;

  // Loads every configured plugin and asks each to check its config; returns
  // one message per problem (empty when all is well).
  std::vector<std::string> check();

 private:
  explicit Project(Config c);
  Config config_;
  PluginHost host_;
  std::mutex mu_;
  std::unique_ptr<PluginTaskStore> store_;
  std::unique_ptr<PluginWorkspace> workspace_;
  std::map<std::string, std::unique_ptr<AgentClient>> agents_;
};

}  // namespace drover

#endif
