// SPDX-License-Identifier: Apache-2.0
#include "runtime/leaf_memo.hpp"

#include <algorithm>

#include "compile/shared_leaves.hpp"
#include "util/hash.hpp"

namespace eqlpp::runtime {

using compiler::PNode;

std::string LeafMemo::key(std::uint32_t rule, const detail::CompiledRule& plan,
                          std::uint32_t n) const {
  const PNode& p = *plan.memo_nodes[n];
  if (p.kind != PNode::Kind::kAnd && p.kind != PNode::Kind::kOr && p.kind != PNode::Kind::kNot)
    return compiler::leaf_key(p, plan);
  std::vector<std::uint32_t> kids;
  for (const auto& c : p.children) kids.push_back(entries_of_[rule][c->memo]);
  if (p.kind != PNode::Kind::kNot) std::sort(kids.begin(), kids.end());
  std::string k(1, p.kind == PNode::Kind::kAnd ? '&' : p.kind == PNode::Kind::kOr ? '|' : '!');
  k.append(reinterpret_cast<const char*>(kids.data()), kids.size() * sizeof(std::uint32_t));
  return k;
}

void LeafMemo::add(std::uint32_t rule, const detail::CompiledRule& plan) {
  if (tables_.size() <= rule) {
    tables_.resize(rule + 1);
    entries_of_.resize(rule + 1);
  }
  tables_[rule].assign(plan.memo_nodes.size(), kNone);
  entries_of_[rule].assign(plan.memo_nodes.size(), 0);
  // Children come before their parents (compile/shared_leaves.cpp).
  for (std::uint32_t n = 0; n < plan.memo_nodes.size(); ++n) {
    const std::string k = key(rule, plan, n);
    const std::uint64_t h = util::hash64(k);
    std::uint32_t found = kNone;
    for (auto [it, end] = by_hash_.equal_range(h); it != end && found == kNone; ++it) {
      const Entry& e = entries_[it->second];
      if (key(e.first_rule, *e.first_plan, e.first_number) == k) found = it->second;
    }
    if (found == kNone) {
      found = static_cast<std::uint32_t>(entries_.size());
      entries_.push_back({0, kNone, rule, n, &plan});
      by_hash_.emplace(h, found);
    }
    entries_of_[rule][n] = found;
    Entry& e = entries_[found];
    if (++e.uses == 1) continue;
    if (e.slot == kNone) {  // the second place: both read a slot from now on
      e.slot = static_cast<std::uint32_t>(slots_++);
      tables_[e.first_rule][e.first_number] = e.slot;
      ++shared_places_;
    }
    tables_[rule][n] = e.slot;
    ++shared_places_;
  }
}

}  // namespace eqlpp::runtime
