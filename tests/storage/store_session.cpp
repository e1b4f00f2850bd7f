#include "store_session.h"

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace drover::storage_test {

using drover::testing::AbiPlugin;

const AbiPlugin& load_plugin(const Backend& backend) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<AbiPlugin>> loaded;  // never unloaded, like the host
  std::lock_guard lock(mutex);
  auto& slot = loaded[backend.plugin_path];
  if (!slot) slot = std::make_unique<AbiPlugin>(backend.plugin_path);
  return *slot;
}

const AbiPlugin& load_plugin_in_child(const Backend& backend) {
  return *new AbiPlugin(backend.plugin_path);  // never unloaded, like the host
}

const drover_storage_vtable_v1& storage_vtable(const AbiPlugin& plugin) {
  const drover_plugin_descriptor& d = plugin.descriptor();
  if (d.kind != DROVER_KIND_STORAGE) throw std::runtime_error("plugin is not a storage plugin");
  if (d.abi_major != DROVER_PLUGIN_ABI_MAJOR) throw std::runtime_error("plugin ABI major differs");
  if (d.vtable_size < sizeof(drover_storage_vtable_v1)) throw std::runtime_error("storage vtable too small");
  return plugin.vtable<drover_storage_vtable_v1>();
}

std::string status_name(drover_status status) {
  switch (status) {
    case DROVER_OK: return "DROVER_OK";
    case DROVER_ERROR: return "DROVER_ERROR";
    case DROVER_INVALID_ARGUMENT: return "DROVER_INVALID_ARGUMENT";
    case DROVER_NOT_FOUND: return "DROVER_NOT_FOUND";
    case DROVER_CONFLICT: return "DROVER_CONFLICT";
    case DROVER_UNAVAILABLE: return "DROVER_UNAVAILABLE";
    case DROVER_UNSUPPORTED: return "DROVER_UNSUPPORTED";
    case DROVER_INVALID_CONFIG: return "DROVER_INVALID_CONFIG";
    default: return "status " + std::to_string(status);
  }
}

StoreSession::StoreSession(const AbiPlugin& plugin, const StoreLocation& location)
    : vtable_(&storage_vtable(plugin)) {
  drover_error error;
  open_result_.status = vtable_->open(drover::testing::to_str(location.config_yaml),
                                      drover::testing::to_str(location.context_json), &store_, &error);
  open_result_.error = error.message;
  if (open_result_.status != DROVER_OK) store_ = nullptr;
}

StoreSession::~StoreSession() {
  if (store_ != nullptr) vtable_->close(store_);
}

CallResult StoreSession::call_text(Op op, const std::string& request) const {
  if (store_ == nullptr) {
    return CallResult{DROVER_ERROR, "", "store is not open: " + open_result_.error};
  }
  return drover::testing::call_op(vtable_->*op, store_, request);
}

CallResult StoreSession::call(Op op, const Json& request) const { return call_text(op, request.dump()); }

Json StoreSession::must(Op op, const Json& request) const {
  CallResult r = call(op, request);
  if (!r.ok()) throw std::runtime_error(status_name(r.status) + ": " + r.error + " (request " + request.dump() + ")");
  return Json::parse(r.output);
}

}  // namespace drover::storage_test
