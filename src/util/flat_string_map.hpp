// SPDX-License-Identifier: Apache-2.0
// A map from strings to values for lookups on the hot path: built once, then
// read for every event (the rule index's exact-value tables,
// runtime/dispatcher.*). Open addressing with linear probing, at most half
// full; an entry is 16 bytes: 32 bits of the key's hash, the key's place in
// one byte arena and its value's number, so a probe touches one array and
// compares bytes only when the hashes agree. A value whose length no key has is a miss
// before any hashing (most values looked up are not keys: a command line, a
// path). No erase.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/hash.hpp"
#include "util/linear_probing.hpp"

namespace eqlpp::util {

template <class V>
class FlatStringMap {
 public:
  /// The value of `key`, or null.
  [[nodiscard]] const V* find(std::string_view key) const noexcept {
    if (!may_hold(key.size())) return nullptr;
    const std::size_t i = probe(key, hash32(key));
    return entries_[i].value == kEmpty ? nullptr : &values_[entries_[i].value];
  }
  [[nodiscard]] V* find(std::string_view key) noexcept {
    return const_cast<V*>(static_cast<const FlatStringMap&>(*this).find(key));
  }

  /// The value of `key`, made (value-initialised) when missing.
  V& operator[](std::string_view key) {
    if (V* v = find(key)) return *v;
    if (2 * (values_.size() + 1) > entries_.size()) grow();
    const std::uint32_t h = hash32(key);
    Entry& e = entries_[probe(key, h)];
    e.hash = h;
    e.at = static_cast<std::uint32_t>(arena_.size());  // (compiled sets: far below 4 GiB)
    e.size = static_cast<std::uint32_t>(key.size());
    e.value = static_cast<std::uint32_t>(values_.size());
    arena_.append(key);
    if (key.size() < kShortLengths)
      lengths_[key.size() / 64] |= std::uint64_t{1} << (key.size() % 64);
    else
      long_ = true;
    max_size_ = std::max(max_size_, key.size());
    return values_.emplace_back();
  }

  /// False when no key has `n` bytes (lengths past 255 are only bounded):
  /// a caller that would make the string to look up can ask first.
  [[nodiscard]] bool may_hold(std::size_t n) const noexcept {
    if (n < kShortLengths) return (lengths_[n / 64] >> (n % 64) & 1) != 0;
    return long_ && n <= max_size_;
  }

  [[nodiscard]] std::size_t size() const noexcept { return values_.size(); }
  [[nodiscard]] bool empty() const noexcept { return values_.empty(); }

  /// The keys, in the order they were added (valid until the next insertion).
  [[nodiscard]] std::vector<std::string_view> keys() const {
    std::vector<std::string_view> out(values_.size());
    for (const Entry& e : entries_)
      if (e.value != kEmpty) out[e.value] = std::string_view(arena_).substr(e.at, e.size);
    return out;
  }

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
  static constexpr std::size_t kShortLengths = 256;
  struct Entry {
    std::uint32_t hash = 0;
    std::uint32_t at = 0;  // the key's first byte in arena_
    std::uint32_t size = 0;
    std::uint32_t value = kEmpty;  // its value's number in values_, or kEmpty
  };
  static std::uint32_t hash32(std::string_view key) noexcept {
    return static_cast<std::uint32_t>(hash64_fast(key));
  }

  // The entry of `key`, or the empty entry where it would go.
  [[nodiscard]] std::size_t probe(std::string_view key, std::uint32_t h) const noexcept {
    if (entries_.empty()) return 0;  // only from find(), which may_hold() stopped
    const std::size_t mask = entries_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Entry& e = entries_[i];
      if (e.value == kEmpty) return i;
      if (e.hash == h && e.size == key.size() &&
          std::string_view(arena_).substr(e.at, e.size) == key)
        return i;
    }
  }

  void grow() {  // from 4 entries: small lists are many
    grow_doubled(entries_, 4, [](const Entry& e) { return e.value == kEmpty; });
  }

  std::vector<Entry> entries_;  // empty, or a power of two
  std::string arena_;
  std::vector<V> values_;
  std::array<std::uint64_t, kShortLengths / 64> lengths_{};
  bool long_ = false;
  std::size_t max_size_ = 0;
};

/// A set of strings on the same table (the compiled matchers' exact values
/// and `in` lists: read for every event, never changed once built).
class FlatStringSet {
 public:
  void insert(std::string_view key) { (void)map_[key]; }
  [[nodiscard]] bool contains(std::string_view key) const noexcept {
    return map_.find(key) != nullptr;
  }
  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
  [[nodiscard]] bool empty() const noexcept { return map_.empty(); }
  /// The members, in the order they were added (valid until the next insertion).
  [[nodiscard]] std::vector<std::string_view> keys() const { return map_.keys(); }

 private:
  FlatStringMap<char> map_;
};

}  // namespace eqlpp::util
