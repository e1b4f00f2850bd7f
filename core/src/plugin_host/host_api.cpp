#include <spdlog/spdlog.h>

#include "drover/plugin_host/abi_objects.h"

namespace drover {
namespace {

void host_set_error(drover_error* error, drover_str message) {
  if (error == nullptr) return;
  error->message.assign(message.data == nullptr ? "" : message.data, message.size);
}

void host_buffer_append(drover_buffer* buffer, drover_str data) {
  if (buffer == nullptr || data.size == 0 || data.data == nullptr) return;
  buffer->data.append(data.data, data.size);
}

void host_log(drover_log_level level, drover_str plugin, drover_str message) {
  std::string_view who(plugin.data == nullptr ? "" : plugin.data, plugin.size);
  std::string_view text(message.data == nullptr ? "" : message.data, message.size);
  spdlog::level::level_enum l = spdlog::level::info;
  switch (level) {
    case DROVER_LOG_TRACE: l = spdlog::level::trace; break;
    case DROVER_LOG_DEBUG: l = spdlog::level::debug; break;
    case DROVER_LOG_INFO: l = spdlog::level::info; break;
    case DROVER_LOG_WARN: l = spdlog::level::warn; break;
    default: l = spdlog::level::err; break;
  }
  spdlog::log(l, "[{}] {}", who, text);
}

}  // namespace

const drover_host_api* host_api() {
  static const drover_host_api api = {
      sizeof(drover_host_api), DROVER_PLUGIN_ABI_MAJOR, DROVER_PLUGIN_ABI_MINOR,
      &host_set_error,         &host_buffer_append,     &host_log,
  };
  return &api;
}

Status status_from_abi(drover_status code, const std::string& message) {
  std::string m = message.empty() ? "plugin reported an error without a message" : message;
  switch (code) {
    case DROVER_OK: return Status::Ok();
    case DROVER_INVALID_ARGUMENT: return Status::InvalidArgument(m);
    case DROVER_NOT_FOUND: return Status::NotFound(m);
    case DROVER_CONFLICT: return Status::Conflict(m);
    case DROVER_UNAVAILABLE: return Status::Unavailable(m);
    case DROVER_UNSUPPORTED: return Status(StatusCode::kUnsupported, m);
    case DROVER_INVALID_CONFIG: return Status::InvalidConfig(m);
    case DROVER_DATA_CORRUPT: return Status::Corrupt(m);
    default: return Status::Error(m);
  }
}

}  // namespace drover
