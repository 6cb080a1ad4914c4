// SPDX-License-Identifier: Apache-2.0
// Saturating int64 arithmetic for event time: a deadline `first + maxspan`
// past the end of int64 is "never" (INT64_MAX), not a wrapped negative time.
#pragma once

#include <cstdint>
#include <limits>

namespace eqlpp::util {

constexpr std::int64_t sat_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  return r;
}

constexpr std::int64_t sat_sub(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r))
    return b < 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  return r;
}

}  // namespace eqlpp::util
