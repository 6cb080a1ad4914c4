// SPDX-License-Identifier: Apache-2.0
// The growth and erase steps of this project's open-addressing tables
// (linear probing over a power of two of entries, an entry's home its hash &
// mask): the key table's index (runtime/key_table.*), util::FlatStringMap
// (growth only) and the payload ledger (runtime/payload_ledger.*), which
// also shrinks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace eqlpp::util {

/// Makes `table` `entries` entries (a power of two, more than it holds)
/// and puts every entry that `is_empty` does not reject at its new place.
/// `Entry{}` is empty.
template <class Entry, class IsEmpty>
void rehash_to(std::vector<Entry>& table, std::size_t entries, IsEmpty is_empty) {
  std::vector<Entry> old = std::move(table);
  table.assign(entries, Entry{});
  const std::size_t mask = table.size() - 1;
  for (const Entry& e : old) {
    if (is_empty(e)) continue;
    std::size_t i = e.hash & mask;
    while (!is_empty(table[i])) i = (i + 1) & mask;
    table[i] = e;
  }
}

/// Doubles `table` (to at least `min_size` entries): rehash_to().
template <class Entry, class IsEmpty>
void grow_doubled(std::vector<Entry>& table, std::size_t min_size, IsEmpty is_empty) {
  rehash_to(table, std::max(min_size, 2 * table.size()), is_empty);
}

/// Empties entry `i` without a tombstone (backward shift): each entry of
/// the run after `i` that may live at `i` (its home is not cyclically within
/// (i, j]) moves there, and its place becomes the hole.
template <class Entry, class IsEmpty>
void erase_at(std::vector<Entry>& table, std::size_t i, IsEmpty is_empty) {
  const std::size_t mask = table.size() - 1;
  for (std::size_t j = (i + 1) & mask; !is_empty(table[j]); j = (j + 1) & mask) {
    const std::size_t home = table[j].hash & mask;
    if (((j - home) & mask) < ((j - i) & mask)) continue;  // home within (i, j]: it stays
    table[i] = table[j];
    i = j;
  }
  table[i] = Entry{};
}

}  // namespace eqlpp::util
