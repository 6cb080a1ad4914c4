// SPDX-License-Identifier: Apache-2.0
// Hashes that must not change between builds, machines or runs: snapshot
// checksums, rule fingerprints and alert ids. xxHash (Debian's
// libxxhash-dev), header-only, so that the library links nothing more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
#include <xxhash.h>

namespace eqlpp::util {

/// XXH64 of `bytes` (seed 0).
inline std::uint64_t hash64(std::string_view bytes, std::uint64_t seed = 0) noexcept {
  return XXH64(bytes.data(), bytes.size(), seed);
}

/// XXH3 (64 bits) of `bytes`: for in-memory tables only (XXH64 above is
/// the one whose values are kept).
inline std::uint64_t hash64_fast(std::string_view bytes) noexcept {
  return XXH3_64bits(bytes.data(), bytes.size());
}

/// Incremental XXH64 (seed 0).
class Hash64 {
 public:
  Hash64() noexcept { XXH64_reset(&st_, 0); }
  void update(std::string_view bytes) noexcept { XXH64_update(&st_, bytes.data(), bytes.size()); }
  [[nodiscard]] std::uint64_t digest() const noexcept { return XXH64_digest(&st_); }

 private:
  XXH64_state_t st_{};
};

/// XXH3-128 of `bytes` as 32 lowercase hex digits.
inline std::string hash128_hex(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t w = i < 8 ? h.high64 : h.low64;
    const auto byte = static_cast<unsigned>((w >> (8 * (7 - (i % 8)))) & 0xffu);
    out[static_cast<std::size_t>(2 * i)] = kHex[byte >> 4];
    out[static_cast<std::size_t>(2 * i + 1)] = kHex[byte & 0xfu];
  }
  return out;
}

}  // namespace eqlpp::util
