// Lenient readers of JSON records written by someone else (a plugin, an
// agent, a step recorded by another drover version): a missing, null or
// mistyped field reads as absent instead of throwing. Used where core turns
// such JSON into typed records (the model, recorded steps, plugin responses,
// agent results).
#ifndef DROVER_COMMON_JSON_FIELDS_H
#define DROVER_COMMON_JSON_FIELDS_H

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace drover {

// T is std::string, bool, double, or an integer type (an integer field may be
// written as a JSON float; it is truncated).
template <class T>
std::optional<T> optional_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) {
    if (it->is_string()) return it->template get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (it->is_boolean()) return it->template get<bool>();
  } else if constexpr (std::is_same_v<T, double>) {
    if (it->is_number()) return it->template get<double>();
  } else {
    static_assert(std::is_integral_v<T>, "optional_field reads strings, booleans and numbers");
    if (it->is_number_integer()) return static_cast<T>(it->template get<int64_t>());
    if (it->is_number()) return static_cast<T>(it->template get<double>());
  }
  return std::nullopt;
}

template <class T>
T field_or(const nlohmann::json& j, const char* key, T fallback) {
  return optional_field<T>(j, key).value_or(std::move(fallback));
}

// The elements of an array field as strings (any that is not a string as its
// JSON text); empty when the field is missing or not an array.
inline std::vector<std::string> string_list(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

}  // namespace drover

#endif
