// SPDX-License-Identifier: Apache-2.0
// Which event payloads the engine's state holds, each counted once.
//
// A partial keeps the events it matched by reference (AlertEvent::payload,
// a shared string): one event taken by partials of several rules, or carried
// from one stage's partial to the next, is one string in memory. The ledger
// counts, per payload, how many places in the state hold it, and the bytes
// of the payloads held at least once. The state estimate (StateBudget) adds
// these bytes to what the key tables hold, so an event is counted once
// however many partials share it (before, every partial counted the whole
// event: the estimate of all rules over a realistic stream was nearly twice
// the memory used, and max_state_bytes evicted that much too early).
//
// An open-addressing table (linear probing, at most half full, backward
// shift on erase) from the payload's address to its holder count. It
// shrinks again when mostly empty, so that its own memory follows the
// state's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace eqlpp::runtime {

class PayloadLedger {
 public:
  /// What a payload held by the state costs beyond its text: the shared
  /// string's allocation (control block and string, 64 bytes with glibc's
  /// header), the text's own allocation header and rounding (16), and the
  /// ledger's two entries (at most half full, 16 bytes each).
  static constexpr std::size_t kOverhead = 64 + 16 + 2 * 16;

  /// One more place holds `p` (null: nothing). Returns the bytes the state
  /// grew by: the payload's, when nothing held it before, else 0.
  std::size_t hold(const std::string* p);
  /// One place let go of `p`, which it held. Returns the bytes the state
  /// shrank by: the payload's, when that was its last holder, else 0.
  std::size_t drop(const std::string* p);

  /// Bytes of the payloads held (each once, with kOverhead).
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  /// Payloads held.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// How many places hold `p` (0 when none).
  [[nodiscard]] std::uint32_t holders(const std::string* p) const noexcept;

  /// The bytes one held payload counts.
  static std::size_t cost(const std::string& p) noexcept { return p.size() + kOverhead; }

 private:
  struct Entry {
    const std::string* p = nullptr;
    std::uint32_t holders = 0;
    std::uint32_t hash = 0;
  };
  static bool vacant(const Entry& e) noexcept { return e.p == nullptr; }
  static std::uint32_t hash_of(const std::string* p) noexcept;
  // The position of `p`'s entry, or of the empty entry where it would go.
  [[nodiscard]] std::size_t probe(const std::string* p, std::uint32_t h) const noexcept;
  void resize(std::size_t entries);

  std::vector<Entry> table_;  // empty, or a power of two entries
  // The payload held last and its entry's place (null after an erase or a
  // resize, which move entries).
  const std::string* last_ = nullptr;
  std::size_t last_at_ = 0;
  std::size_t size_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace eqlpp::runtime
