#include "drover/plugin_host/plugin_clients.h"

#include "drover/plugin_host/abi_objects.h"

namespace drover {
namespace {

std::string label(const PluginInfo& info) { return kind_name(info.kind) + " plugin '" + info.name + "'"; }

template <class Handle>
Result<json> invoke(const PluginInfo& info, drover_status (*fn)(Handle*, drover_str, drover_buffer*, drover_error*),
                    Handle* handle, const char* op_name, const json& request) {
  if (fn == nullptr) return Status(StatusCode::kUnsupported, label(info) + " does not implement " + op_name);
  std::string req = request.dump(-1, ' ', false, json::error_handler_t::replace);
  drover_buffer out;
  drover_error err;
  drover_status st = fn(handle, to_abi(req), &out, &err);
  if (st != DROVER_OK) return status_from_abi(st, err.message);
  if (out.data.empty()) return json();
  try {
    return json::parse(out.data);
  } catch (const std::exception& e) {
    return Status::Error(label(info) + " returned malformed JSON from " + op_name + ": " + e.what());
  }
}

// An entry past the plugin's struct_size is one its ABI minor does not have.
template <class Vtable, class Entry>
bool has_entry(const Vtable& vt, Entry Vtable::*op, uint32_t struct_size) {
  const auto offset = static_cast<size_t>(reinterpret_cast<const char*>(&(vt.*op)) - reinterpret_cast<const char*>(&vt));
  return offset + sizeof(Entry) <= struct_size;
}

template <class Vtable, class Handle>
Result<Handle*> open_handle(const LoadedPlugin& plugin,
                            drover_status (*Vtable::*opener)(drover_str, drover_str, Handle**, drover_error*),
                            const std::string& config_yaml, const json& context) {
  const Vtable& vt = plugin.vtable<Vtable>();
  std::string ctx = context.dump();
  Handle* handle = nullptr;
  drover_error err;
  drover_status st = (vt.*opener)(to_abi(config_yaml), to_abi(ctx), &handle, &err);
  if (st != DROVER_OK) return status_from_abi(st, err.message).WithContext(label(plugin.info));
  if (handle == nullptr) return Status::Error(label(plugin.info) + " opened without returning a handle");
  return handle;
}

}  // namespace

Status check_plugin_config(const LoadedPlugin& plugin, const std::string& config_yaml) {
  drover_status (*check)(drover_str, drover_error*) = nullptr;
  switch (plugin.info.kind) {
    case DROVER_KIND_AGENT: check = plugin.vtable<drover_agent_vtable_v1>().check_config; break;
    case DROVER_KIND_STORAGE: check = plugin.vtable<drover_storage_vtable_v1>().check_config; break;
    case DROVER_KIND_VCS: check = plugin.vtable<drover_vcs_vtable_v1>().check_config; break;
    default: return Status::Error("unknown plugin kind");
  }
  if (check == nullptr) return Status::Ok();
  drover_error err;
  drover_status st = check(to_abi(config_yaml), &err);
  return status_from_abi(st, err.message);
}

Result<std::unique_ptr<StorageClient>> StorageClient::open(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                           const json& context) {
  auto h = open_handle(plugin, &drover_storage_vtable_v1::open, config_yaml, context);
  if (!h.ok()) return h.status();
  return std::unique_ptr<StorageClient>(new StorageClient(&plugin, h.value()));
}

StorageClient::~StorageClient() { plugin_->vtable<drover_storage_vtable_v1>().close(handle_); }

Result<json> StorageClient::call(Op op, const char* op_name, const json& request) const {
  const auto& vt = plugin_->vtable<drover_storage_vtable_v1>();
  if (!has_entry(vt, op, vt.struct_size))
    return Status(StatusCode::kUnsupported, label(plugin_->info) + " does not implement " + op_name +
                                                " (built for an older plugin ABI)");
  return invoke(plugin_->info, vt.*op, handle_, op_name, request);
}

Result<std::unique_ptr<VcsClient>> VcsClient::open(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                   const json& context) {
  auto h = open_handle(plugin, &drover_vcs_vtable_v1::open, config_yaml, context);
  if (!h.ok()) return h.status();
  return std::unique_ptr<VcsClient>(new VcsClient(&plugin, h.value()));
}

VcsClient::~VcsClient() { plugin_->vtable<drover_vcs_vtable_v1>().close(handle_); }

Result<json> VcsClient::call(Op op, const char* op_name, const json& request) const {
  const auto& vt = plugin_->vtable<drover_vcs_vtable_v1>();
  if (!has_entry(vt, op, vt.struct_size))
    return Status(StatusCode::kUnsupported, label(plugin_->info) + " does not implement " + op_name +
                                                " (built for an older plugin ABI)");
  return invoke(plugin_->info, vt.*op, handle_, op_name, request);
}

Result<std::unique_ptr<AgentClient>> AgentClient::create(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                         const json& context) {
  auto h = open_handle(plugin, &drover_agent_vtable_v1::create, config_yaml, context);
  if (!h.ok()) return h.status();
  return std::unique_ptr<AgentClient>(new AgentClient(&plugin, h.value()));
}

AgentClient::~AgentClient() { plugin_->vtable<drover_agent_vtable_v1>().destroy(handle_); }

}  // namespace drover
