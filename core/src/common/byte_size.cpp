#include "drover/common/byte_size.h"

#include <cctype>
#include <cstdint>
#include <limits>
#include <utility>

namespace drover {

Result<uint64_t> parse_byte_size(const std::string& text) {
  const std::string bad = "'" + text + "' is not a size; write it like 4096, 512KiB, 64MiB or 1GB";
  size_t i = 0;
  uint64_t n = 0;
  constexpr uint64_t kLimit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    n = n * 10 + static_cast<uint64_t>(text[i++] - '0');
    if (n > kLimit) return Status::InvalidArgument(bad + " (too large)");
  }
  if (i == 0) return Status::InvalidArgument(bad);
  while (i < text.size() && text[i] == ' ') ++i;
  const std::string unit = text.substr(i);
  static const std::pair<const char*, uint64_t> kUnits[] = {
      {"", 1},  {"B", 1},
      {"KiB", uint64_t{1} << 10}, {"MiB", uint64_t{1} << 20}, {"GiB", uint64_t{1} << 30}, {"TiB", uint64_t{1} << 40},
      {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"TB", uint64_t{1000} * 1000 * 1000 * 1000}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (n > kLimit / factor) return Status::InvalidArgument(bad + " (too large)");
    return n * factor;
  }
  return Status::InvalidArgument(bad);
}

}  // namespace drover
