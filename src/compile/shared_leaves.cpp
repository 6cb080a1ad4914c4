// SPDX-License-Identifier: Apache-2.0
#include "compile/shared_leaves.hpp"

#include <cstring>
#include <unordered_set>

#include "compile/field_table.hpp"

namespace eqlpp::compiler {
namespace {

class Numbering {
 public:
  explicit Numbering(detail::CompiledRule& plan) : plan_(plan) {
    for (const auto& a : plan.alias_refs) alias_slots_.insert(a.alias_slot);
  }

  // Numbers `p`'s memoizable nodes, children first; true when `p` itself is.
  bool visit(PNode& p) {
    switch (p.kind) {
      case PNode::Kind::kTrue:
      case PNode::Kind::kFalse: return false;  // nothing to save
      case PNode::Kind::kAnd:
      case PNode::Kind::kOr:
      case PNode::Kind::kNot: {
        bool all = true;
        for (auto& c : p.children) all = visit(*c) && all;
        if (all) number(p);
        return all;
      }
      case PNode::Kind::kArraySearch: return false;  // its fields read one element at a time
      case PNode::Kind::kLineage:
        // The sub-query's filter is evaluated on its own (EngineImpl::update_lineage).
        visit(*p.children[0]);
        return false;
      default: break;
    }
    if (!p.operand_is_field || alias_slots_.count(p.slot) != 0) return false;
    number(p);
    return true;
  }

 private:
  void number(PNode& p) {
    p.memo = static_cast<std::uint32_t>(plan_.memo_nodes.size());
    plan_.memo_nodes.push_back(&p);
  }

  detail::CompiledRule& plan_;
  std::unordered_set<std::uint32_t> alias_slots_;
};

}  // namespace

void analyse_shared_leaves(detail::CompiledRule& plan) {
  plan.memo_nodes.clear();
  Numbering n(plan);
  for (auto& st : plan.stages) n.visit(*st.filter);
  if (plan.until) n.visit(*plan.until->filter);
}

std::string leaf_key(const PNode& p, const detail::CompiledRule& plan) {
  std::string k;
  k += static_cast<char>('A' + static_cast<int>(p.kind));
  k += static_cast<char>('0' + static_cast<int>(p.cmp));
  k += p.insensitive ? '~' : '=';
  key_append(k, plan.fields[p.slot]);
  switch (p.kind) {
    case PNode::Kind::kCategory: key_append(k, p.text); break;
    case PNode::Kind::kCompare:
    case PNode::Kind::kVersion:
      k += static_cast<char>('0' + static_cast<int>(p.c.value.kind()));
      if (p.c.value.kind() == Value::Kind::kDouble) {  // every bit (to_json() writes NaN as null)
        const double d = p.c.value.as_double();
        char bits[sizeof d];
        std::memcpy(bits, &d, sizeof d);
        k.append(bits, sizeof bits);
      } else {
        key_append(k, p.c.value.to_json());
      }
      break;
    case PNode::Kind::kIn: p.in->append_key(k); break;
    case PNode::Kind::kWildcard: p.wild->append_key(k); break;
    case PNode::Kind::kRegex: p.regex->append_key(k); break;
    case PNode::Kind::kDate:
      k += std::to_string(p.date_lo) + "," + std::to_string(p.date_hi) + "," +
           std::to_string(p.date_unit);
      break;
    case PNode::Kind::kIp:
      k.append(reinterpret_cast<const char*>(p.ip_lo.data()), p.ip_lo.size());
      k.append(reinterpret_cast<const char*>(p.ip_hi.data()), p.ip_hi.size());
      break;
    default: break;  // kIsNull, kTruthy: the field is all
  }
  return k;
}

}  // namespace eqlpp::compiler
