// SPDX-License-Identifier: Apache-2.0
#include "runtime/leaf_memo.hpp"

#include <algorithm>

namespace eqlpp::runtime {

using compiler::PNode;

std::uint32_t LeafMemo::intern(const std::string& key, std::uint32_t rule, std::uint32_t number) {
  auto [it, fresh] = ids_.try_emplace(key, static_cast<std::uint32_t>(entries_.size()));
  if (fresh) entries_.push_back({});
  Entry& e = entries_[it->second];
  if (++e.uses == 1) {
    e.first_rule = rule;
    e.first_number = number;
    return it->second;
  }
  if (e.slot == kNone) {  // the second place: both read a slot from now on
    e.slot = static_cast<std::uint32_t>(slots_++);
    tables_[e.first_rule][e.first_number] = e.slot;
    ++shared_places_;
  }
  tables_[rule][number] = e.slot;
  ++shared_places_;
  return it->second;
}

void LeafMemo::add(std::uint32_t rule, const detail::CompiledRule& plan) {
  if (tables_.size() <= rule) {
    tables_.resize(rule + 1);
    entries_of_.resize(rule + 1);
  }
  tables_[rule].assign(plan.memo_nodes.size(), kNone);
  auto& entry_of = entries_of_[rule];
  entry_of.assign(plan.memo_nodes.size(), 0);
  std::string key;
  std::vector<std::uint32_t> kids;
  // Children come before their parents (compile/shared_leaves.cpp).
  for (std::uint32_t n = 0; n < plan.memo_nodes.size(); ++n) {
    const PNode& p = *plan.memo_nodes[n];
    if (!plan.memo_keys[n].empty()) {
      key = plan.memo_keys[n];
    } else {
      kids.clear();
      for (const auto& c : p.children) kids.push_back(entry_of[c->memo]);
      if (p.kind != PNode::Kind::kNot) std::sort(kids.begin(), kids.end());
      key.assign(1, p.kind == PNode::Kind::kAnd ? '&' : p.kind == PNode::Kind::kOr ? '|' : '!');
      key.append(reinterpret_cast<const char*>(kids.data()), kids.size() * sizeof(std::uint32_t));
    }
    entry_of[n] = intern(key, rule, n);
  }
}

}  // namespace eqlpp::runtime
