// SPDX-License-Identifier: Apache-2.0
#include "runtime/payload_ledger.hpp"

#include <cassert>
#include <cstdint>

#include "util/linear_probing.hpp"

namespace eqlpp::runtime {

std::uint32_t PayloadLedger::hash_of(const std::string* p) noexcept {
  // Fibonacci hashing of the address (its low bits are alignment).
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(a) * 0x9E3779B97F4A7C15ULL) >> 32);
}

std::size_t PayloadLedger::probe(const std::string* p, std::uint32_t h) const noexcept {
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask)
    if (table_[i].p == nullptr || table_[i].p == p) return i;
}

void PayloadLedger::resize(std::size_t entries) {
  last_ = nullptr;
  util::rehash_to(table_, entries, &vacant);
}

std::uint32_t PayloadLedger::holders(const std::string* p) const noexcept {
  if (p == nullptr || table_.empty()) return 0;
  const Entry& e = table_[probe(p, hash_of(p))];
  return e.p == p ? e.holders : 0;
}

std::size_t PayloadLedger::hold(const std::string* p) {
  if (p == nullptr) return 0;
  // The event being processed, taken by one rule after another: its entry
  // again (the entry stays where it is until an erase or a resize).
  if (p == last_) {
    ++table_[last_at_].holders;
    return 0;
  }
  if (2 * (size_ + 1) > table_.size()) resize(table_.empty() ? 64 : 2 * table_.size());
  const std::uint32_t h = hash_of(p);
  const std::size_t i = probe(p, h);
  last_ = p;
  last_at_ = i;
  Entry& e = table_[i];
  if (e.p == p) {
    ++e.holders;
    return 0;
  }
  e = Entry{p, 1, h};
  ++size_;
  const std::size_t b = cost(*p);
  bytes_ += b;
  return b;
}

std::size_t PayloadLedger::drop(const std::string* p) {
  if (p == nullptr) return 0;
  assert(!table_.empty());
  const std::size_t i = probe(p, hash_of(p));
  assert(table_[i].p == p && table_[i].holders > 0);
  if (table_[i].p != p) return 0;  // not held: nothing to give back (a bug; kept harmless)
  if (--table_[i].holders > 0) return 0;
  last_ = nullptr;  // entries move
  const std::size_t b = cost(*p);
  bytes_ -= b;
  --size_;
  util::erase_at(table_, i, &vacant);
  // Mostly empty again (after a burst): give the memory back.
  if (table_.size() > 64 && 8 * size_ < table_.size()) resize(table_.size() / 2);
  return b;
}

}  // namespace eqlpp::runtime
