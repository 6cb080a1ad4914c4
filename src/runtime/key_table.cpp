// SPDX-License-Identifier: Apache-2.0
#include "runtime/key_table.hpp"

#include <algorithm>

namespace eqlpp::runtime {

void StateBudget::charge(std::ptrdiff_t delta) noexcept {
  bytes_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(bytes_) + delta);
  peak_ = std::max<std::uint64_t>(peak_, bytes_);
}

void StateBudget::copy_to(EngineStats& s) const {
  s.state_bytes = bytes_;
  s.peak_state_bytes = peak_;
  s.partials_created = created_;
  s.partials_completed = completed_;
  s.partials_expired = expired_;
  s.partials_evicted = evicted_;
  s.partials_live = live_;
  s.keys_evicted = keys_evicted_;
}

KeyTable::KeyTable(StateBudget& budget, std::size_t max_keys, KeyState shape,
                   bool count_idle_evictions)
    : budget_(budget),
      max_keys_(max_keys),
      shape_(std::move(shape)),
      count_idle_evictions_(count_idle_evictions) {}

std::uint32_t KeyTable::find(const Key& k) const {
  auto it = index_.find(k);
  return it == index_.end() ? kNil : it->second;
}

void KeyTable::unlink(std::uint32_t s) {
  Slot& ks = slots_[s];
  if (ks.prev != kNil)
    slots_[ks.prev].next = ks.next;
  else
    lru_head_ = ks.next;
  if (ks.next != kNil)
    slots_[ks.next].prev = ks.prev;
  else
    lru_tail_ = ks.prev;
  ks.prev = ks.next = kNil;
}

void KeyTable::touch(std::uint32_t s) {
  if (lru_tail_ == s) return;
  unlink(s);
  Slot& ks = slots_[s];
  ks.prev = lru_tail_;
  if (lru_tail_ != kNil) slots_[lru_tail_].next = s;
  lru_tail_ = s;
  if (lru_head_ == kNil) lru_head_ = s;
}

std::uint32_t KeyTable::get_or_create(const Key& k) {
  std::uint32_t s = find(k);
  if (s != kNil) {
    touch(s);
    return s;
  }
  while (live_keys_ >= max_keys_ && evict_lru()) {
  }
  if (free_.empty()) {
    s = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    s = free_.back();
    free_.pop_back();
  }
  Slot& ks = slots_[s];
  ks.used = true;
  ks.st = shape_;
  auto [it, inserted] = index_.emplace(k, s);
  (void)inserted;
  ks.key = &it->first;
  ++live_keys_;
  // The slot, the index entry (node and bucket) and the key's own bytes.
  std::size_t key_bytes = sizeof(Slot) + 64 + (k.size() > 15 ? k.capacity() + 1 : 0);
  charge(s, static_cast<std::ptrdiff_t>(key_bytes));
  // Linked at the hot end directly: touch() expects a linked slot.
  ks.prev = lru_tail_;
  ks.next = kNil;
  if (lru_tail_ != kNil)
    slots_[lru_tail_].next = s;
  else
    lru_head_ = s;
  lru_tail_ = s;
  return s;
}

void KeyTable::begin_partial(std::uint32_t s) {
  ++slots_[s].st.live;
  ++live_partials_;
  ++budget_.created_;
  ++budget_.live_;
}

void KeyTable::end_partial(std::uint32_t s, PartialEnd why, std::size_t bytes) {
  if (bytes) charge(s, -static_cast<std::ptrdiff_t>(bytes));
  --slots_[s].st.live;
  --live_partials_;
  --budget_.live_;
  switch (why) {
    case PartialEnd::kCompleted: ++budget_.completed_; break;
    case PartialEnd::kExpired: ++budget_.expired_; break;
    case PartialEnd::kEvicted: ++budget_.evicted_; break;
  }
}

void KeyTable::charge(std::uint32_t s, std::ptrdiff_t delta) {
  KeyState& st = slots_[s].st;
  st.bytes = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(st.bytes) + delta);
  bytes_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(bytes_) + delta);
  budget_.charge(delta);
}

void KeyTable::free_slot(std::uint32_t s) {
  Slot& ks = slots_[s];
  charge(s, -static_cast<std::ptrdiff_t>(ks.st.bytes));
  unlink(s);
  index_.erase(*ks.key);
  ks.key = nullptr;
  ks.st = KeyState{};
  ks.used = false;
  ++ks.gen;
  free_.push_back(s);
  --live_keys_;
}

void KeyTable::release(std::uint32_t s) { free_slot(s); }

bool KeyTable::evict_lru() {
  if (lru_head_ == kNil) return false;
  const std::uint32_t s = lru_head_;
  const std::size_t dropped = slots_[s].st.live;
  if (hook_) hook_(hook_ctx_, *slots_[s].key, dropped);
  while (slots_[s].st.live > 0) end_partial(s, PartialEnd::kEvicted);
  if (dropped || count_idle_evictions_) ++budget_.keys_evicted_;
  free_slot(s);
  return true;
}

void KeyTable::clear(PartialEnd why) {
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    if (!slots_[s].used) continue;
    while (slots_[s].st.live > 0) end_partial(s, why);
    free_slot(s);
  }
}

}  // namespace eqlpp::runtime
