#include "drover/ports/task_store.h"

namespace drover {

std::string_view to_string(ResetMode mode) {
  switch (mode) {
    case ResetMode::kRetry: return "retry";
    case ResetMode::kReset: return "reset";
    case ResetMode::kCancel: return "cancel";
  }
  return "retry";
}

}  // namespace drover
