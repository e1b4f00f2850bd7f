// The text rules of storage.h, the same in every backend: text is UTF-8
// without NUL characters (PostgreSQL cannot store them), names and titles are
// at most 1,000 bytes, long text (descriptions, errors, messages) 1 MiB.
#ifndef DROVER_STORAGE_COMMON_TEXT_RULES_H
#define DROVER_STORAGE_COMMON_TEXT_RULES_H

#include <cstddef>
#include <string_view>

namespace drover::storage {

constexpr size_t kMaxNameBytes = 1000;
constexpr size_t kMaxTextBytes = 1024 * 1024;

// The offset of the first byte that is not valid UTF-8, or npos.
size_t invalid_utf8_offset(std::string_view text);

// Throws DROVER_INVALID_ARGUMENT "<operation>: field '<field>' ..." unless text
// is valid UTF-8, has no NUL and is at most max_bytes long.
void check_text(std::string_view operation, std::string_view field, std::string_view text, size_t max_bytes);

}  // namespace drover::storage

#endif
