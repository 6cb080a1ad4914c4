// SPDX-License-Identifier: Apache-2.0
// ASCII case folding: the one helper every layer uses. Elasticsearch's
// case-insensitive EQL operators (`:`, `~`, `in~`) fold ASCII letters only
// (eql-semantics.md §3), and EQL keywords are ASCII.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace eqlpp::util {

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `in` with A-Z folded to a-z, into `out` (resized; reused by hot paths).
/// Eight bytes at a time: a byte gets 0x20 added exactly when it is in
/// 'A'..'Z' (bytes >= 0x80, UTF-8's, never change).
inline void ascii_fold(std::string_view in, std::string& out) {
  out.resize(in.size());
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const std::size_t n = in.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, in.data() + i, 8);
    const std::uint64_t low7 = x & ~kHigh;                   // each byte's low 7 bits
    const std::uint64_t ge_a = low7 + kOnes * (0x80 - 'A');  // high bit: low7 >= 'A'
    const std::uint64_t gt_z = low7 + kOnes * (0x7F - 'Z');  // high bit: low7 > 'Z'
    const std::uint64_t upper = ge_a & ~gt_z & ~x & kHigh;   // and the byte itself < 0x80
    x |= upper >> 2;                                         // 0x80 >> 2 = 0x20
    std::memcpy(out.data() + i, &x, 8);
  }
  for (; i < n; ++i) out[i] = ascii_lower(in[i]);
}

inline std::string ascii_fold(std::string_view in) {
  std::string out;
  ascii_fold(in, out);
  return out;
}

/// Whether every byte of `s` is ASCII (no byte of a UTF-8 sequence); eight
/// bytes at a time.
inline bool is_ascii(std::string_view s) noexcept {
  std::uint64_t high = 0;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    high |= x;
  }
  for (; i < s.size(); ++i) high |= static_cast<unsigned char>(s[i]);
  return (high & 0x8080808080808080ull) == 0;
}

/// Equal when ASCII-folded.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace eqlpp::util
