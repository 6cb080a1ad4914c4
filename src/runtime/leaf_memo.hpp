// SPDX-License-Identifier: Apache-2.0
// Shared leaves, the engine's side: the memoizable conditions of every rule
// (compile/shared_leaves.hpp) interned by structural key. A key that occurs
// in two or more places (rules, stages, sub-queries) gets a slot; eval_pred
// evaluates such a condition once per event and the other places read the
// slot (EvalCtx::memo). A key seen once gets no slot and costs nothing.
// `and`, `or` and `not` are keyed by their children's keys (the children
// of `and` and `or` in any order), so a repeated exclusion is shared whole.
//
// Only the keys' hashes are kept: on a hash match the first occurrence's
// key is made again and compared, so equal hashes of different keys never
// share. The engine keeps its rules' plans, which that needs, while this lives.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compile/plan.hpp"

namespace eqlpp::runtime {

class LeafMemo {
 public:
  static constexpr std::uint32_t kNone = compiler::PNode::kNoMemo;

  /// Registers rule `rule` (numbered in the order added, from 0) and its
  /// memoizable nodes.
  void add(std::uint32_t rule, const detail::CompiledRule& plan);
  /// The rule's table: memo number (PNode::memo) -> slot, or kNone when the
  /// condition occurs only once. Stable while rules are added (later rules
  /// may give an entry a slot).
  [[nodiscard]] const std::uint32_t* table(std::uint32_t rule) const noexcept {
    return tables_[rule].data();
  }
  /// Which distinct condition rule `rule`'s memo number `n` is (equal
  /// conditions, equal numbers).
  [[nodiscard]] std::uint32_t entry(std::uint32_t rule, std::uint32_t n) const noexcept {
    return entries_of_[rule][n];
  }
  /// Slots given so far (EvalCtx::memo_stamps needs one stamp each).
  [[nodiscard]] std::size_t slots() const noexcept { return slots_; }
  /// Places that read a slot (every occurrence of a shared key).
  [[nodiscard]] std::size_t shared_places() const noexcept { return shared_places_; }
  /// Distinct memoizable conditions.
  [[nodiscard]] std::size_t distinct() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::uint32_t uses = 0;
    std::uint32_t slot = kNone;
    std::uint32_t first_rule = 0, first_number = 0;  // its key's maker; patched at a second use
    const detail::CompiledRule* first_plan = nullptr;
  };
  // The key of rule `rule`'s memo number `n` (its children already entered).
  std::string key(std::uint32_t rule, const detail::CompiledRule& plan, std::uint32_t n) const;

  std::unordered_multimap<std::uint64_t, std::uint32_t> by_hash_;  // key hash -> entries_ index
  std::vector<Entry> entries_;
  std::vector<std::vector<std::uint32_t>> tables_;
  std::vector<std::vector<std::uint32_t>> entries_of_;  // per rule: memo number -> entries_ index
  std::size_t slots_ = 0;
  std::size_t shared_places_ = 0;
};

}  // namespace eqlpp::runtime
