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

/// a / b rounded toward negative infinity (b > 0): the unit a time falls in.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  return a / b - (a % b < 0 ? 1 : 0);
}

}  // namespace eqlpp::util
