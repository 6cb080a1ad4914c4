// SPDX-License-Identifier: Apache-2.0
// The process lineage table (EngineOptions::lineage): per process, one bit
// per lineage sub-query of the rule set that it matched ("source") and one
// that it inherited at its start ("derived": a descendant or child of a
// source). Bits are copied to a child when it starts, so an ancestor's entry
// is never needed again once the child exists: a process is forgotten at
// the first process event after its end. Bounded by an LRU.
#pragma once

#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

#include "compile/plan.hpp"
#include "runtime/sequence_state.hpp"

namespace eqlpp::state {
class Writer;
class Reader;
}  // namespace eqlpp::state

namespace eqlpp::runtime {

using compiler::LineageKind;

class LineageTable {
 public:
  explicit LineageTable(std::size_t max_entries) : max_(max_entries < 1 ? 1 : max_entries) {}

  /// Registers sub-query `kind` and returns its global index.
  std::uint32_t add_subquery(LineageKind kind) {
    kinds_.push_back(kind);
    words_ = (2 * kinds_.size() + 63) / 64;
    return static_cast<std::uint32_t>(kinds_.size() - 1);
  }
  [[nodiscard]] bool empty() const noexcept { return kinds_.empty(); }

  /// A process event of `pid` (parent `ppid`, null when the event has none):
  /// forgets the processes that ended before it; a start gives `pid` the
  /// bits its parent passes on; an end marks `pid` to be forgotten.
  void process_event(const Key& pid, const Key* ppid, bool start, bool end);
  /// `pid`'s event matched sub-query `g`.
  void set_source(const Key& pid, std::uint32_t g);
  /// Whether `pid` satisfies sub-query `g` (its kind decides which bit).
  [[nodiscard]] bool test(const Key& pid, std::uint32_t g) const;

  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
  [[nodiscard]] std::uint64_t evicted() const noexcept { return evicted_; }
  [[nodiscard]] std::size_t subqueries() const noexcept { return kinds_.size(); }

  /// Snapshot: the processes in LRU order with their bits, and the ended ones.
  void save(state::Writer& w) const;
  /// Reads what save() wrote into this empty table. `remap[g]` is the new
  /// index of the snapshot's sub-query g, or -1 for a rule whose state is
  /// dropped (its bits go); false (`r` failed) when invalid.
  bool load(state::Reader& r, const std::vector<std::int64_t>& remap);

 private:
  struct Entry {
    std::vector<std::uint64_t> bits;      // bit 2g: source of g; bit 2g+1: derived for g
    std::list<const Key*>::iterator lru;  // the list holds the map node's own key
  };
  Entry& entry(const Key& pid);  // found or made, most recently used
  static bool bit(const Entry& e, std::size_t b) noexcept {
    return b / 64 < e.bits.size() && ((e.bits[b / 64] >> (b % 64)) & 1u) != 0;
  }
  static void set_bit(Entry& e, std::size_t b) { e.bits[b / 64] |= std::uint64_t{1} << (b % 64); }

  std::size_t max_;
  std::vector<LineageKind> kinds_;
  std::size_t words_ = 0;
  std::unordered_map<Key, Entry, KeyHash> map_;
  std::list<const Key*> lru_;  // front: most recently used (keys live in map_'s nodes)
  std::vector<Key> ended_;
  std::uint64_t evicted_ = 0;
};

}  // namespace eqlpp::runtime
