#ifndef DROVER_VERSION_H
#define DROVER_VERSION_H

#include <string>

namespace drover {
// "drover 0.1.0 (plugin ABI 1.0)"
std::string version_string();
}  // namespace drover

#endif
