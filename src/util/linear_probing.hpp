// SPDX-License-Identifier: Apache-2.0
// The one growth step of this project's open-addressing tables (linear
// probing over a power of two of entries, an entry's home its hash & mask):
// the key table's index (runtime/key_table.*) and util::FlatStringMap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace eqlpp::util {

/// Doubles `table` (to at least `min_size` entries) and puts every entry
/// that `is_empty` does not reject at its new place. `Entry{}` is empty.
template <class Entry, class IsEmpty>
void grow_doubled(std::vector<Entry>& table, std::size_t min_size, IsEmpty is_empty) {
  std::vector<Entry> old = std::move(table);
  table.assign(std::max(min_size, 2 * old.size()), Entry{});
  const std::size_t mask = table.size() - 1;
  for (const Entry& e : old) {
    if (is_empty(e)) continue;
    std::size_t i = e.hash & mask;
    while (!is_empty(table[i])) i = (i + 1) & mask;
    table[i] = e;
  }
}

}  // namespace eqlpp::util
