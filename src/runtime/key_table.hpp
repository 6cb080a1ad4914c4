// SPDX-License-Identifier: Apache-2.0
// The state of one rule by join key, and the engine-wide account of it.
//
// A KeyTable maps each join key of a sequence or sample rule to a slot (its
// KeyState), keeps the slots in least-recently-used order and evicts from the
// cold end when the rule holds too many keys or the engine too many bytes.
// The StateBudget is shared by every rule of an engine: bytes held now and at
// peak, and what became of every partial.
//
// This is the only code that changes byte and partial counts. A matcher says
// what happens to a partial (begin, end and why, grow) and the table keeps
// every counter in step, so that at every point
//
//   created == completed + expired + evicted + live
//
// (EngineStats, eql-semantics.md §7.3). A partial is a sequence that matched
// its first positive stage (and, with a trailing missing-event stage, stays
// live until its window passes), or a sample whose first filter took an event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/engine.hpp"
#include "runtime/payload_ledger.hpp"
#include "runtime/sequence_state.hpp"
#include "util/chunked_vector.hpp"

namespace eqlpp::state {
class Writer;
class Reader;
}  // namespace eqlpp::state

namespace eqlpp::runtime {

/// How a partial ended.
enum class PartialEnd : std::uint8_t {
  kCompleted,  ///< every positive stage matched (alerted, or suppressed by head / rate limit)
  kExpired,    ///< ended without completing: maxspan, `until`, a missing event, a newer
               ///< partial of the same key and stage, or the end of the stream
  kEvicted,    ///< dropped by a memory limit
};

/// Engine-wide state account (every rule's KeyTable reports here).
class StateBudget {
 public:
  explicit StateBudget(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  /// The state's estimated bytes: what the key tables hold (keys, partials,
  /// their event references) plus the event payloads they hold, each
  /// counted once (PayloadLedger).
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_ + payloads_.bytes(); }
  [[nodiscard]] bool over() const noexcept { return bytes() > max_bytes_; }
  [[nodiscard]] std::size_t max_bytes() const noexcept { return max_bytes_; }

  /// Copies the counters into `s` (partials_*, keys_evicted, state bytes).
  void copy_to(EngineStats& s) const;

  /// Snapshot: the counters (bytes and live partials are the tables').
  void save(state::Writer& w) const;
  /// Reads what save() wrote; `bytes` and `live` are what the restored
  /// tables hold (their payloads are in the ledger already: KeyTable::load
  /// holds them), `dropped` the live partials of rules whose state was not
  /// restored (counted as expired).
  void load(state::Reader& r, std::size_t bytes, std::uint64_t live, std::uint64_t dropped);

 private:
  friend class KeyTable;
  void charge(std::ptrdiff_t delta) noexcept;
  // An event entering or leaving the state (its payload, when it has one).
  void hold(const AlertEvent& e) {
    if (e.payload && payloads_.hold(e.payload.get()) != 0) note_peak();
  }
  void drop(const AlertEvent& e) {
    if (e.payload) payloads_.drop(e.payload.get());
  }
  void note_peak() noexcept;

  std::size_t max_bytes_;
  std::size_t bytes_ = 0;  // the tables' own bytes (payloads_ has the rest)
  PayloadLedger payloads_;
  std::uint64_t peak_ = 0;
  std::uint64_t created_ = 0, completed_ = 0, expired_ = 0, evicted_ = 0, keys_evicted_ = 0;
  std::uint64_t live_ = 0;
};

class KeyTable {
 public:
  static constexpr std::uint32_t kNil = UINT32_MAX;

  /// Called with a key about to be evicted (the rule's trace).
  using EvictHook = void (*)(void* ctx, const Key& key, std::size_t partials);

  /// `shape` is the state of a new key (its vectors sized for the rule).
  /// `count_idle_evictions`: an evicted key counts in keys_evicted even with
  /// no live partial (samples remember reported keys).
  KeyTable(StateBudget& budget, std::size_t max_keys, KeyState shape, bool count_idle_evictions);

  void set_evict_hook(EvictHook hook, void* ctx) noexcept {
    hook_ = hook;
    hook_ctx_ = ctx;
  }

  /// The slot of `key`, or kNil.
  [[nodiscard]] std::uint32_t find(const Key& key) const;
  /// The slot of `key`, made (evicting the least recently used keys past
  /// max_keys) when missing; either way the most recently used.
  std::uint32_t get_or_create(const Key& key);
  /// Marks slot `s` the most recently used.
  void touch(std::uint32_t s);

  [[nodiscard]] KeyState& state(std::uint32_t s) noexcept { return slots_[s].st; }
  [[nodiscard]] const KeyState& state(std::uint32_t s) const noexcept { return slots_[s].st; }
  /// Slot `s`'s key; valid until the next get_or_create().
  [[nodiscard]] const Key& key(std::uint32_t s) const noexcept { return slots_[s].key; }
  /// Whether slot `s` is in use by the key it held at generation `gen`.
  [[nodiscard]] bool holds(std::uint32_t s, std::uint32_t gen) const noexcept {
    return s < slots_.size() && slots_[s].used && slots_[s].gen == gen;
  }
  [[nodiscard]] std::uint32_t gen(std::uint32_t s) const noexcept { return slots_[s].gen; }
  [[nodiscard]] bool used(std::uint32_t s) const noexcept { return slots_[s].used; }
  [[nodiscard]] std::uint32_t slot_count() const noexcept {
    return static_cast<std::uint32_t>(slots_.size());
  }

  [[nodiscard]] std::size_t keys() const noexcept { return live_keys_; }
  [[nodiscard]] std::size_t live_partials() const noexcept { return live_partials_; }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] bool empty() const noexcept { return lru_head_ == kNil; }

  /// A new partial in key `s`.
  void begin_partial(std::uint32_t s);
  /// One of key `s`'s partials ended; its bytes were given back already
  /// (credit()), or go with the key (release(), evict_lru(), clear()).
  void end_partial(std::uint32_t s, PartialEnd why);
  /// One of key `s`'s partials ended: `p`, which leaves the key's state now,
  /// is credited (credit()).
  void end_partial(std::uint32_t s, PartialEnd why, const Partial& p);

  // What the state holds, and the bytes it counts: every event that key
  // `s`'s state keeps (a partial's, a completed sequence's, a sample
  // candidate) is charged when it enters the state and credited when it
  // leaves, so that the payloads it holds are counted (PayloadLedger).
  /// Partial `p` (p.bytes, its events) enters key `s`'s state.
  void charge(std::uint32_t s, const Partial& p);
  /// Partial `p`, charged before, leaves key `s`'s state.
  void credit(std::uint32_t s, const Partial& p);
  /// Event `e` (`bytes` of the key's own) enters key `s`'s state.
  void charge(std::uint32_t s, const AlertEvent& e, std::size_t bytes);
  /// Event `e`, charged with `bytes` before, leaves key `s`'s state.
  void credit(std::uint32_t s, const AlertEvent& e, std::size_t bytes);
  /// Key `s`'s own state grew by `delta` bytes (negative: shrank); no event
  /// payload enters or leaves.
  void charge(std::uint32_t s, std::ptrdiff_t delta);

  /// Frees slot `s`, which holds no live partial.
  void release(std::uint32_t s);
  /// Evicts the least recently used key and its partials; false when empty.
  bool evict_lru();
  /// Frees every key; live partials end as `why` (the end of the stream).
  void clear(PartialEnd why);

  /// Snapshot: every slot as it is (keys, state, LRU links, free list), so
  /// that slot numbers in the rule's expiry heap stay valid.
  void save(state::Writer& w) const;
  /// Reads what save() wrote into this empty table, checking that it is
  /// consistent (shapes, links, counts; `alias_count` values per partial's
  /// aliases). Charges nothing to the budget: the engine recounts it.
  /// False, with `r` failed, when it is not.
  bool load(state::Reader& r, std::size_t alias_count);

 private:
  struct Slot {
    std::uint32_t gen = 0;
    bool used = false;
    std::uint32_t prev = kNil, next = kNil;  // LRU list
    Key key;  // empty when free; its buffer (up to kKeptKeyBytes) kept for the next key
    KeyState st;
  };
  // The index from key to slot: open addressing with linear probing, at
  // most half full. An entry is a slot number and the low 32 bits of its
  // key's hash (the entry's home is hash & mask, and a probe compares keys
  // only when the hashes agree); erasing shifts the entries after it back,
  // so there are no tombstones. No node or key copy per key: the key lives
  // in its slot.
  struct Entry {
    std::uint32_t slot = kNil;
    std::uint32_t hash = 0;
  };
  static constexpr std::size_t kKeptKeyBytes = 128;
  static std::uint32_t hash_of(std::string_view k) noexcept {
    return static_cast<std::uint32_t>(util::hash64_fast(k));  // KeyHash's hash
  }
  // The position of `k`'s entry, or of the empty entry where it would go
  // (the index is never full; not empty).
  [[nodiscard]] std::size_t probe(std::string_view k, std::uint32_t h) const noexcept;
  // The slot of `k` (hash `h`), or kNil.
  [[nodiscard]] std::uint32_t slot_of(std::string_view k, std::uint32_t h) const noexcept;
  // Adds slot `s` (whose key is not in the index), growing the index first when needed.
  void index_insert(std::uint32_t s, std::uint32_t h);
  void index_erase(std::uint32_t s);
  void unlink(std::uint32_t s);
  void free_slot(std::uint32_t s);
  // Every payload key state `st` holds, held (load) or dropped (free_slot).
  template <class F>
  static void for_each_event(const KeyState& st, F&& f);

  StateBudget& budget_;
  std::size_t max_keys_;
  KeyState shape_;
  bool count_idle_evictions_;
  EvictHook hook_ = nullptr;
  void* hook_ctx_ = nullptr;
  std::vector<Entry> index_;  // empty, or a power of two entries
  // In chunks: no doubling slack or wholesale move as keys grow in number.
  util::ChunkedVector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint32_t lru_head_ = kNil, lru_tail_ = kNil;
  std::size_t live_keys_ = 0;
  std::size_t live_partials_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace eqlpp::runtime
