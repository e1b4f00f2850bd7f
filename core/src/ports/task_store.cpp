#include "drover/ports/task_store.h"

#include "drover/common/enum_names.h"

namespace drover {
namespace {

constexpr EnumNames<ResetMode, 3> kResetNames{{
    {ResetMode::kRetry, "retry"},
    {ResetMode::kReset, "reset"},
    {ResetMode::kCancel, "cancel"},
}};

}  // namespace

std::string_view to_string(ResetMode mode) { return name_of(kResetNames, mode); }

}  // namespace drover
