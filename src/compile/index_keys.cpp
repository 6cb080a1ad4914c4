// SPDX-License-Identifier: Apache-2.0
#include "compile/index_keys.hpp"

#include <algorithm>

namespace eqlpp::compiler {
namespace {

// The key of a leaf condition, when it has one: an event none of whose values
// of that field is listed cannot satisfy it.
bool leaf_key(const PNode& p, IndexKey& out) {
  using K = PNode::Kind;
  if (!p.operand_is_field) return false;
  switch (p.kind) {
    case K::kIn:  // a string value v is in the set iff (folded) v is a string key
      out = {p.slot, p.in->insensitive(), false, p.in->string_keys()};
      return true;
    case K::kWildcard:
      if (p.wild->exact_only()) {  // only plain values: then matching is set membership
        out = {
            p.slot, p.wild->insensitive(), false,
            std::vector<std::string>(p.wild->exact_values().begin(), p.wild->exact_values().end())};
        return true;
      }
      // Patterns: a matching value contains each pattern's longest literal run.
      out = {p.slot, p.wild->insensitive(), true, p.wild->required_fragments()};
      return !out.values.empty();
    case K::kCompare:  // `==` on strings is byte equality
      if (p.cmp != CmpOp::kEq || !p.c.value.is_string()) return false;
      out = {p.slot, false, false, {std::string(p.c.value.as_string())}};
      return true;
    default: return false;
  }
}

}  // namespace

// Fields whose values most events of a stream share (host.os.type is
// "windows" on every Windows host): a rule selected by such a field is looked
// up for nearly every event, which costs more than the category test it
// replaces, and an `and` prefers any other conjunct. This list is the one
// place that says which ECS fields those are; extend it here.
constexpr std::string_view kLowCardinalityFields[] = {
    "event.type",       "event.action",        "event.outcome",         "event.kind",
    "event.dataset",    "event.module",        "event.provider",        "event.category",
    "host.os.type",     "host.os.family",      "host.os.name",          "host.os.platform",
    "agent.type",       "data_stream.dataset", "data_stream.namespace", "network.direction",
    "network.protocol", "network.transport",   "user.domain",           "winlog.channel"};

bool low_cardinality(std::string_view f) {
  return std::find(std::begin(kLowCardinalityFields), std::end(kLowCardinalityFields), f) !=
         std::end(kLowCardinalityFields);
}

bool node_keys(const PNode& p, const detail::CompiledRule& plan, std::vector<IndexKey>& out) {
  using K = PNode::Kind;
  switch (p.kind) {
    case K::kFalse: return true;  // never true: needs no key
    case K::kOr:
      for (const auto& c : p.children)
        if (!node_keys(*c, plan, out)) return false;
      return true;
    case K::kAnd: {
      std::vector<IndexKey> best;
      double best_score = 0;
      bool found = false;
      for (const auto& c : p.children) {
        std::vector<IndexKey> k;
        if (!node_keys(*c, plan, k)) continue;
        double score = 0;
        // Fewer values is better; a substring scan costs more than a lookup.
        for (const auto& key : k)
          score += static_cast<double>(key.values.size()) * (key.substring ? 4 : 1) +
                   (key.substring ? 100 : 0) + (low_cardinality(plan.fields[key.slot]) ? 1e6 : 0);
        if (!found || score < best_score) {
          best = std::move(k);
          best_score = score;
          found = true;
        }
      }
      for (auto& k : best) out.push_back(std::move(k));
      return found;
    }
    default: {
      IndexKey k;
      if (!leaf_key(p, k)) return false;
      out.push_back(std::move(k));
      return true;
    }
  }
}

void analyse_index(detail::CompiledRule& plan) {
  plan.indexed = false;
  plan.index_keys.clear();
  std::vector<IndexKey> keys;
  for (const auto& st : plan.stages)
    if (!node_keys(*st.filter, plan, keys)) return;
  if (plan.until && !node_keys(*plan.until->filter, plan, keys)) return;
  // A condition only on fields most events share prunes too little to pay
  // for its lookups: such rules stay dispatched by category.
  for (const auto& k : keys)
    if (low_cardinality(plan.fields[k.slot])) return;
  for (auto& k : keys) {
    std::sort(k.values.begin(), k.values.end());  // one order, whatever the sets' hashing
    k.values.erase(std::unique(k.values.begin(), k.values.end()), k.values.end());
    auto same = [&](const IndexKey& o) {
      return o.slot == k.slot && o.insensitive == k.insensitive && o.substring == k.substring &&
             o.values == k.values;
    };
    if (std::none_of(plan.index_keys.begin(), plan.index_keys.end(), same))
      plan.index_keys.push_back(std::move(k));
  }
  plan.indexed = true;
}

}  // namespace eqlpp::compiler
