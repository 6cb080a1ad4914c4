// SPDX-License-Identifier: Apache-2.0
// ASCII case folding: the one helper every layer uses. Elasticsearch's
// case-insensitive EQL operators (`:`, `~`, `in~`) fold ASCII letters only
// (eql-semantics.md §3), and EQL keywords are ASCII.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eqlpp::util {

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `in` with A-Z folded to a-z, into `out` (resized; reused by hot paths).
inline void ascii_fold(std::string_view in, std::string& out) {
  out.resize(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = ascii_lower(in[i]);
}

inline std::string ascii_fold(std::string_view in) {
  std::string out;
  ascii_fold(in, out);
  return out;
}

/// Equal when ASCII-folded.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace eqlpp::util
