#ifndef DROVER_COMMON_BYTE_SIZE_H
#define DROVER_COMMON_BYTE_SIZE_H

#include <cstdint>
#include <string>

#include "drover/status.h"

namespace drover {

// Parses a size: a whole number of bytes with an optional unit, B, KiB, MiB,
// GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), e.g. "64MiB",
// "512 KiB", "1GB", "4096". Anything that does not fit in 63 bits is refused.
Result<uint64_t> parse_byte_size(const std::string& text);

}  // namespace drover

#endif
