// One table of (value, stored name) pairs per enum, and the two lookups on it,
// so each enum's spelling in the store and the ABI is written once.
#ifndef DROVER_COMMON_ENUM_NAMES_H
#define DROVER_COMMON_ENUM_NAMES_H

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace drover {

template <class E, std::size_t N>
using EnumNames = std::array<std::pair<E, std::string_view>, N>;

// The name of value (the first entry's name if the table lacks it).
template <class E, std::size_t N>
std::string_view name_of(const EnumNames<E, N>& names, E value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return names[0].second;
}

// The value named text, or nullopt.
template <class E, std::size_t N>
std::optional<E> value_named(const EnumNames<E, N>& names, std::string_view text) {
  for (const auto& [v, name] : names)
    if (name == text) return v;
  return std::nullopt;
}

}  // namespace drover

#endif
