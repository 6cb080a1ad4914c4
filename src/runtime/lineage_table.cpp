// SPDX-License-Identifier: Apache-2.0
// Lineage semantics of the Python reference engine (endgameinc/eql,
// eql/engine.py: _get_descendant_of, _get_child_of, _get_event_of): a source
// is a process with an event that matched the sub-query; a process that
// starts while its parent is a source (child of), or a source or descendant
// (descendant of), is derived; ended processes are purged at the next
// process event.
#include "runtime/lineage_table.hpp"

#include "state/snapshot_io.hpp"

namespace eqlpp::runtime {

LineageTable::Entry& LineageTable::entry(const Key& pid) {
  auto it = map_.find(pid);
  if (it != map_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  while (map_.size() >= max_) {
    const Key* oldest = lru_.back();
    lru_.pop_back();
    map_.erase(*oldest);
    ++evicted_;
  }
  auto [node, inserted] = map_.try_emplace(pid);
  Entry& e = node->second;
  e.bits.assign(words_, 0);
  lru_.push_front(&node->first);  // node keys keep their address across rehashing
  e.lru = lru_.begin();
  return e;
}

void LineageTable::process_event(const Key& pid, const Key* ppid, bool start, bool end) {
  for (const Key& k : ended_) {
    auto it = map_.find(k);
    if (it == map_.end()) continue;
    lru_.erase(it->second.lru);
    map_.erase(it);
  }
  ended_.clear();
  if (start && ppid) {
    auto parent = map_.find(*ppid);
    if (parent != map_.end()) {
      std::vector<std::size_t> inherit;
      for (std::size_t g = 0; g < kinds_.size(); ++g) {
        const bool source = bit(parent->second, 2 * g);
        const bool derived = bit(parent->second, 2 * g + 1);
        if ((kinds_[g] == LineageKind::kChild && source) ||
            (kinds_[g] == LineageKind::kDescendant && (source || derived)))
          inherit.push_back(2 * g + 1);
      }
      if (!inherit.empty()) {
        Entry& e = entry(pid);  // may evict the parent: its bits were read above
        for (std::size_t b : inherit) set_bit(e, b);
      }
    }
  }
  if (end) ended_.push_back(pid);
}

void LineageTable::set_source(const Key& pid, std::uint32_t g) { set_bit(entry(pid), 2 * g); }

bool LineageTable::test(const Key& pid, std::uint32_t g) const {
  auto it = map_.find(pid);
  if (it == map_.end() || g >= kinds_.size()) return false;
  return bit(it->second, kinds_[g] == LineageKind::kEvent ? 2 * g : 2 * g + 1);
}

// ---- Snapshot ----

void LineageTable::save(state::Writer& w) const {
  w.uvar(kinds_.size());
  w.uvar(map_.size());
  for (const Key* k : lru_) {
    w.str(*k);
    const Entry& e = map_.at(*k);
    w.uvar(e.bits.size());
    for (std::uint64_t word : e.bits) w.uvar(word);
  }
  w.uvar(ended_.size());
  for (const Key& k : ended_) w.str(k);
  w.uvar(evicted_);
}

bool LineageTable::load(state::Reader& r, const std::vector<std::int64_t>& remap) {
  if (r.uvar() != remap.size()) return r.fail("the lineage table does not fit the rules");
  const std::size_t n = r.count(2);
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    std::string key(r.str());
    const std::size_t words = r.count(1);
    std::vector<std::uint64_t> bits(words_, 0);
    for (std::size_t w = 0; w < words && r.ok(); ++w) {
      const std::uint64_t word = r.uvar();
      for (std::size_t b = 0; b < 64; ++b) {
        if (((word >> b) & 1u) == 0) continue;
        const std::size_t old = (w * 64 + b) / 2;
        if (old >= remap.size()) return r.fail("a lineage bit names no sub-query");
        if (remap[old] < 0) continue;
        const std::size_t nb = 2 * static_cast<std::size_t>(remap[old]) + (w * 64 + b) % 2;
        bits[nb / 64] |= std::uint64_t{1} << (nb % 64);
      }
    }
    if (map_.size() >= max_) {  // a smaller table now: the least recently used go
      ++evicted_;
      continue;
    }
    auto [node, inserted] = map_.try_emplace(std::move(key));
    if (!inserted) return r.fail("a process is in the lineage table twice");
    node->second.bits = std::move(bits);
    lru_.push_back(&node->first);
    node->second.lru = std::prev(lru_.end());
  }
  const std::size_t nended = r.count(1);
  for (std::size_t i = 0; i < nended && r.ok(); ++i) ended_.emplace_back(r.str());
  evicted_ += r.uvar();
  return r.ok();
}

}  // namespace eqlpp::runtime
