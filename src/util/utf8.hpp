// SPDX-License-Identifier: Apache-2.0
// UTF-8 helpers shared by the matchers.
#pragma once

#include <cstddef>

namespace eqlpp::util {

/// Bytes of the UTF-8 sequence that lead byte `c` starts (a stray
/// continuation byte counts as one "character", as Lucene treats it).
constexpr std::size_t utf8_sequence_length(unsigned char c) noexcept {
  if (c < 0x80) return 1;
  if (c >= 0xF0) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

}  // namespace eqlpp::util
