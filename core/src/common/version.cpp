#include "drover/version.h"

#include "drover/plugin/abi.h"

namespace drover {

std::string version_string() {
  return std::string("drover ") + DROVER_VERSION + " (plugin ABI " + std::to_string(DROVER_PLUGIN_ABI_MAJOR) + "." +
         std::to_string(DROVER_PLUGIN_ABI_MINOR) + ")";
}

}  // namespace drover
