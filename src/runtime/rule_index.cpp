// SPDX-License-Identifier: Apache-2.0
#include "runtime/rule_index.hpp"

namespace eqlpp::runtime {
namespace {

// The key of a leaf condition, when it has one: an event none of whose values
// of that field is listed cannot satisfy it.
bool leaf_key(const compiler::PNode& p, IndexKey& out) {
  using K = compiler::PNode::Kind;
  if (!p.operand_is_field) return false;
  switch (p.kind) {
    case K::kIn:  // a string value v is in the set iff (folded) v is a string key
      out = {p.slot, p.in->insensitive(), p.in->string_keys()};
      return true;
    case K::kWildcard:  // only plain values: then matching is set membership
      if (!p.wild->exact_only()) return false;
      out = {
          p.slot, p.wild->insensitive(),
          std::vector<std::string>(p.wild->exact_values().begin(), p.wild->exact_values().end())};
      return true;
    case K::kCompare:  // `==` on strings is byte equality
      if (p.cmp != compiler::CmpOp::kEq || !p.c.value.is_string()) return false;
      out = {p.slot, false, {std::string(p.c.value.as_string())}};
      return true;
    default: return false;
  }
}

}  // namespace

// A condition on one of these fields prunes little: most events share their
// values (host.os.type == "windows").
bool low_cardinality(std::string_view f) {
  static constexpr std::string_view kLow[] = {
      "event.type",       "event.action",        "event.outcome",         "event.kind",
      "event.dataset",    "event.module",        "event.provider",        "event.category",
      "host.os.type",     "host.os.family",      "host.os.name",          "host.os.platform",
      "agent.type",       "data_stream.dataset", "data_stream.namespace", "network.direction",
      "network.protocol", "network.transport",   "user.domain",           "winlog.channel"};
  for (auto l : kLow)
    if (f == l) return true;
  return false;
}

bool node_keys(const compiler::PNode& p, const detail::CompiledRule& plan,
               std::vector<IndexKey>& out) {
  using K = compiler::PNode::Kind;
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
        for (const auto& key : k)
          score += static_cast<double>(key.values.size()) +
                   (low_cardinality(plan.fields[key.slot]) ? 1e6 : 0);
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

}  // namespace eqlpp::runtime
