// Typed C++ handles over plugin instances: they own the plugin-side object
// (open/close, create/destroy), call vtable operations with JSON, and turn a
// plugin's status + message (or a malformed response) into a Status.
#ifndef DROVER_PLUGIN_HOST_PLUGIN_CLIENTS_H
#define DROVER_PLUGIN_HOST_PLUGIN_CLIENTS_H

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "drover/plugin/agent.h"
#include "drover/plugin/storage.h"
#include "drover/plugin/vcs.h"
#include "drover/plugin_host/plugin_host.h"
#include "drover/status.h"

namespace drover {

using json = nlohmann::json;

// Asks a plugin of any kind to validate its configuration text.
Status check_plugin_config(const LoadedPlugin& plugin, const std::string& config_yaml);

class StorageClient {
 public:
  using Op = drover_storage_op drover_storage_vtable_v1::*;
  static Result<std::unique_ptr<StorageClient>> open(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                     const json& context);
  ~StorageClient();
  StorageClient(const StorageClient&) = delete;
  StorageClient& operator=(const StorageClient&) = delete;

  // Calls one operation; op_name is used in error messages.
  Result<json> call(Op op, const char* op_name, const json& request) const;
  const PluginInfo& info() const { return plugin_->info; }

 private:
  StorageClient(const LoadedPlugin* p, drover_storage* h) : plugin_(p), handle_(h) {}
  const LoadedPlugin* plugin_;
  drover_storage* handle_;
};

class VcsClient {
 public:
  using Op = drover_vcs_op drover_vcs_vtable_v1::*;
  static Result<std::unique_ptr<VcsClient>> open(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                 const json& context);
  ~VcsClient();
  VcsClient(const VcsClient&) = delete;
  VcsClient& operator=(const VcsClient&) = delete;

  Result<json> call(Op op, const char* op_name, const json& request) const;
  const PluginInfo& info() const { return plugin_->info; }

 private:
  VcsClient(const LoadedPlugin* p, drover_vcs* h) : plugin_(p), handle_(h) {}
  const LoadedPlugin* plugin_;
  drover_vcs* handle_;
};

class AgentClient {
 public:
  static Result<std::unique_ptr<AgentClient>> create(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                     const json& context);
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  const drover_agent_vtable_v1& vtable() const { return plugin_->vtable<drover_agent_vtable_v1>(); }
  drover_agent* handle() const { return handle_; }
  const PluginInfo& info() const { return plugin_->info; }

 private:
  AgentClient(const LoadedPlugin* p, drover_agent* h) : plugin_(p), handle_(h) {}
  const LoadedPlugin* plugin_;
  drover_agent* handle_;
};

}  // namespace drover

#endif
