// SPDX-License-Identifier: Apache-2.0
#include "runtime/key_table.hpp"

#include <algorithm>
#include <type_traits>

#include "state/snapshot_io.hpp"
#include "util/linear_probing.hpp"

namespace eqlpp::runtime {

void StateBudget::charge(std::ptrdiff_t delta) noexcept {
  bytes_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(bytes_) + delta);
  peak_ = std::max<std::uint64_t>(peak_, bytes());
}

void StateBudget::note_peak() noexcept { peak_ = std::max<std::uint64_t>(peak_, bytes()); }

void StateBudget::copy_to(EngineStats& s) const {
  s.state_bytes = bytes();
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

// Slots move, not copy, when slots_'s first chunk grows.
static_assert(std::is_nothrow_move_constructible_v<KeyState>);

std::size_t KeyTable::probe(std::string_view k, std::uint32_t h) const noexcept {
  const std::size_t mask = index_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    const Entry& e = index_[i];
    if (e.slot == kNil || (e.hash == h && slots_[e.slot].key == k)) return i;
  }
}

std::uint32_t KeyTable::slot_of(std::string_view k, std::uint32_t h) const noexcept {
  return index_.empty() ? kNil : index_[probe(k, h)].slot;
}

std::uint32_t KeyTable::find(const Key& k) const { return slot_of(k, hash_of(k)); }

void KeyTable::index_insert(std::uint32_t s, std::uint32_t h) {
  if (2 * (live_keys_ + 1) > index_.size())
    util::grow_doubled(index_, 16, [](const Entry& e) { return e.slot == kNil; });
  index_[probe(slots_[s].key, h)] = Entry{s, h};
}

void KeyTable::index_erase(std::uint32_t s) {
  util::erase_at(index_, probe(slots_[s].key, hash_of(slots_[s].key)),
                 [](const Entry& e) { return e.slot == kNil; });
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
  const std::uint32_t h = hash_of(k);
  std::uint32_t s = slot_of(k, h);
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
  // A freed slot of this table keeps its emptied per-stage array
  // (free_slot): only a new slot, or a shape with extra state, is copied.
  if (ks.st.at.size() != shape_.at.size() || shape_.extra) ks.st = shape_;
  ks.key.assign(k);
  index_insert(s, h);
  ++live_keys_;
  // The slot, its share of the index (two entries: at most half full), the
  // key's own bytes and the rule's extra state (KeyExtra) when it has one.
  std::size_t key_bytes =
      sizeof(Slot) + 2 * sizeof(Entry) + (k.size() > 15 ? ks.key.capacity() + 1 : 0);
  if (const KeyExtra* x = ks.st.extra.get())
    key_bytes += sizeof(KeyExtra) + x->missing.capacity() * sizeof(Mark) +
                 x->sample.capacity() * sizeof(std::vector<AlertEvent>);
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

void KeyTable::end_partial(std::uint32_t s, PartialEnd why, const Partial& p) {
  credit(s, p);
  end_partial(s, why);
}

void KeyTable::end_partial(std::uint32_t s, PartialEnd why) {
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

void KeyTable::charge(std::uint32_t s, const Partial& p) {
  charge(s, static_cast<std::ptrdiff_t>(p.bytes));
  for (const AlertEvent& e : p.events) budget_.hold(e);
}

void KeyTable::credit(std::uint32_t s, const Partial& p) {
  charge(s, -static_cast<std::ptrdiff_t>(p.bytes));
  for (const AlertEvent& e : p.events) budget_.drop(e);
}

void KeyTable::charge(std::uint32_t s, const AlertEvent& e, std::size_t bytes) {
  charge(s, static_cast<std::ptrdiff_t>(bytes));
  budget_.hold(e);
}

void KeyTable::credit(std::uint32_t s, const AlertEvent& e, std::size_t bytes) {
  charge(s, -static_cast<std::ptrdiff_t>(bytes));
  budget_.drop(e);
}

template <class F>
void KeyTable::for_each_event(const KeyState& st, F&& f) {
  for (const auto& p : st.at)
    if (p)
      for (const AlertEvent& e : p->events) f(e);
  if (const KeyExtra* x = st.extra.get()) {
    for (const Partial& p : x->pending)
      for (const AlertEvent& e : p.events) f(e);
    for (const auto& c : x->sample)
      for (const AlertEvent& e : c) f(e);
  }
}

void KeyTable::free_slot(std::uint32_t s) {
  Slot& ks = slots_[s];
  // What the key's state still holds goes with it (evicted, or the end of
  // the stream): its bytes, and its hold on the payloads.
  for_each_event(ks.st, [&](const AlertEvent& e) { budget_.drop(e); });
  charge(s, -static_cast<std::ptrdiff_t>(ks.st.bytes));
  unlink(s);
  index_erase(s);
  // A typical key's buffer stays for the slot's next key; a long one goes,
  // so that freed slots never hold more than kKeptKeyBytes each (the budget
  // counts live keys only).
  if (ks.key.capacity() > kKeptKeyBytes)
    Key().swap(ks.key);
  else
    ks.key.clear();
  ks.st.clear();  // its per-stage array stays for the slot's next key
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
  if (hook_) hook_(hook_ctx_, slots_[s].key, dropped);
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

// ---- Snapshot (docs/snapshot-format.md) ----

namespace eqlpp::runtime {
namespace {

void save_mark(state::Writer& w, const Mark& m) {
  w.boolean(m.set);
  if (!m.set) return;
  w.svar(m.ts);
  w.uvar(m.ordinal);
}
Mark load_mark(state::Reader& r) {
  Mark m;
  m.set = r.boolean();
  if (!m.set) return m;
  m.ts = r.svar();
  m.ordinal = r.uvar();
  return m;
}

void save_partial(state::Writer& w, const Partial& p) {
  w.alert_events(p.events);
  w.boolean(p.aliases.values != nullptr);
  if (p.aliases.values) {
    w.uvar(p.aliases.values->size());
    for (const auto& a : *p.aliases.values) w.str(a);
  }
  w.svar(p.first_ts);
  w.uvar(p.last_ordinal);
  w.uvar(p.id);
  w.uvar(p.bytes);
}
Partial load_partial(state::Reader& r, std::size_t alias_count) {
  Partial p;
  p.events = r.alert_events();
  if (r.boolean()) {
    const std::size_t n = r.count(1);
    if (n != alias_count) r.fail("a partial's stage aliases do not fit the rule");
    p.aliases.values = std::make_unique<std::vector<std::string>>();
    for (std::size_t i = 0; i < n && r.ok(); ++i) p.aliases.values->emplace_back(r.str());
  }
  p.first_ts = r.svar();
  p.last_ordinal = r.uvar();
  p.id = r.uvar();
  p.bytes = r.uvar();
  return p;
}

}  // namespace

void StateBudget::save(state::Writer& w) const {
  w.uvar(peak_);
  w.uvar(created_);
  w.uvar(completed_);
  w.uvar(expired_);
  w.uvar(evicted_);
  w.uvar(keys_evicted_);
}

void StateBudget::load(state::Reader& r, std::size_t bytes, std::uint64_t live,
                       std::uint64_t dropped) {
  peak_ = r.uvar();
  created_ = r.uvar();
  completed_ = r.uvar();
  expired_ = r.uvar() + dropped;
  evicted_ = r.uvar();
  keys_evicted_ = r.uvar();
  bytes_ = bytes;
  live_ = live;
  peak_ = std::max<std::uint64_t>(peak_, this->bytes());
  if (created_ != completed_ + expired_ + evicted_ + live_)
    r.fail("the partial counters do not add up");
}

void KeyTable::save(state::Writer& w) const {
  w.uvar(slots_.size());
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& sl = slots_[i];
    w.boolean(sl.used);
    w.uvar(sl.gen);
    if (!sl.used) continue;
    w.uvar(sl.prev == kNil ? 0 : std::uint64_t{sl.prev} + 1);
    w.uvar(sl.next == kNil ? 0 : std::uint64_t{sl.next} + 1);
    w.str(sl.key);
    const KeyState& st = sl.st;
    w.uvar(st.at.size());
    for (const auto& p : st.at) {
      w.boolean(p.has_value());
      if (p) save_partial(w, *p);
    }
    // The rare state as it was before KeyExtra: empty when the rule has none.
    const KeyExtra none;
    const KeyExtra& x = st.extra ? *st.extra : none;
    w.uvar(x.pending.size());
    for (const auto& p : x.pending) save_partial(w, p);
    w.uvar(x.missing.size());
    for (const auto& m : x.missing) save_mark(w, m);
    save_mark(w, x.until);
    w.uvar(x.sample.size());
    for (const auto& c : x.sample) w.alert_events(c);
    w.uvar(x.samples);
    w.uvar(st.bytes);
    w.uvar(st.live);
  }
  w.uvar(free_.size());
  for (std::uint32_t f : free_) w.uvar(f);
  w.uvar(lru_head_ == kNil ? 0 : std::uint64_t{lru_head_} + 1);
  w.uvar(lru_tail_ == kNil ? 0 : std::uint64_t{lru_tail_} + 1);
}

bool KeyTable::load(state::Reader& r, std::size_t alias_count) {
  auto link = [&](std::uint32_t n) { return n == 0 ? kNil : n - 1; };
  const std::size_t n = r.count(2);
  slots_.assign(n, Slot{});
  for (std::size_t i = 0; i < n && r.ok(); ++i) {
    Slot& sl = slots_[i];
    sl.used = r.boolean();
    sl.gen = r.u32();
    if (!sl.used) continue;
    sl.prev = link(r.u32());
    sl.next = link(r.u32());
    if ((sl.prev != kNil && sl.prev >= n) || (sl.next != kNil && sl.next >= n))
      return r.fail("a key's LRU link is out of range");
    sl.key.assign(r.str());
    const std::uint32_t h = hash_of(sl.key);
    if (slot_of(sl.key, h) != kNil) return r.fail("a join key is held twice");
    index_insert(static_cast<std::uint32_t>(i), h);
    KeyState& st = sl.st;
    if (r.count(1) != shape_.at.size()) return r.fail("a key's state does not fit the rule");
    st.at.resize(shape_.at.size());
    for (std::size_t s = 0; s < st.at.size() && r.ok(); ++s) {
      if (!r.boolean()) continue;
      st.at[s] = load_partial(r, alias_count);
      if (st.at[s]->events.size() != s + 1) return r.fail("a partial does not fit its stage");
    }
    // A rule without extra state (shape_.extra null) reads it as empty.
    KeyExtra x;
    const std::size_t np = r.count(4);
    for (std::size_t k = 0; k < np && r.ok(); ++k) {
      x.pending.push_back(load_partial(r, alias_count));
      if (x.pending.back().events.size() != shape_.at.size() + 1)
        return r.fail("a completed sequence does not fit the rule");
    }
    const std::size_t missing = shape_.extra ? shape_.extra->missing.size() : 0;
    if (r.count(1) != missing) return r.fail("a key's state does not fit the rule");
    x.missing.resize(missing);
    for (auto& m : x.missing) m = load_mark(r);
    x.until = load_mark(r);
    const std::size_t sample = shape_.extra ? shape_.extra->sample.size() : 0;
    if (r.count(1) != sample) return r.fail("a key's state does not fit the rule");
    x.sample.resize(sample);
    for (auto& c : x.sample) c = r.alert_events();
    x.samples = r.u32();
    if (shape_.extra)
      st.extra = std::make_unique<KeyExtra>(std::move(x));
    else if (!x.pending.empty() || x.until.set || x.samples != 0)
      return r.fail("a key's state does not fit the rule");
    st.bytes = r.uvar();
    st.live = r.uvar();
    bytes_ += st.bytes;
    // The budget's own bytes are recounted by the engine (StateBudget::load);
    // the payloads are held here, once per holder, as they were.
    for_each_event(st, [&](const AlertEvent& e) { budget_.hold(e); });
    live_partials_ += st.live;
    ++live_keys_;
  }
  const std::size_t nfree = r.count(1);
  for (std::size_t i = 0; i < nfree && r.ok(); ++i) {
    const std::uint32_t f = r.u32();
    if (f >= n || slots_[f].used) return r.fail("the free list names a slot in use");
    free_.push_back(f);
  }
  lru_head_ = link(r.u32());
  lru_tail_ = link(r.u32());
  if (!r.ok()) return false;
  if (free_.size() + live_keys_ != n) return r.fail("the free list does not account for the slots");
  // The LRU list must link every key once, both ways.
  std::size_t seen = 0;
  std::uint32_t prev = kNil;
  for (std::uint32_t s = lru_head_; s != kNil; s = slots_[s].next) {
    if (s >= n || !slots_[s].used || slots_[s].prev != prev || ++seen > live_keys_)
      return r.fail("the LRU list is broken");
    prev = s;
  }
  if (seen != live_keys_ || prev != lru_tail_) return r.fail("the LRU list is broken");
  return true;
}

}  // namespace eqlpp::runtime
