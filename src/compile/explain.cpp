// SPDX-License-Identifier: Apache-2.0
// The plan, printed for people (eqlpp explain).
#include <algorithm>
#include <string>

#include "compile/binder.hpp"
#include "compile/field_table.hpp"
#include "compile/functions.hpp"
#include "syntax/ast.hpp"
#include "util/json_text.hpp"

namespace eqlpp::compiler {
namespace {

const char* cmp_name(CmpOp op) {
  switch (op) {
    case CmpOp::kEq: return "==";
    case CmpOp::kLt: return "<";
    case CmpOp::kLe: return "<=";
    case CmpOp::kGt: return ">";
    default: return ">=";
  }
}

}  // namespace

std::string vexpr(const detail::CompiledRule& r, const VExpr& e) {
  switch (e.kind) {
    case VExpr::Kind::kConst: return e.c.value.to_json();
    case VExpr::Kind::kField: return display_field(r.fields[e.slot]);
    case VExpr::Kind::kCall: {
      std::string out = function_info(e.fn).name;
      if (e.insensitive) out += "~";
      out += "(";
      for (std::size_t i = 0; i < e.args.size(); ++i) {
        if (i) out += ", ";
        out += vexpr(r, *e.args[i]);
      }
      return out + ")";
    }
    case VExpr::Kind::kNeg: return "-(" + vexpr(r, *e.args[0]) + ")";
    case VExpr::Kind::kArith:
      return "(" + vexpr(r, *e.args[0]) + " " + syntax::op_text(e.arith) + " " +
             vexpr(r, *e.args[1]) + ")";
    case VExpr::Kind::kCmp:
      return "(" + vexpr(r, *e.args[0]) +
             (e.negate ? " != " : std::string(" ") + cmp_name(e.cmp) + " ") + vexpr(r, *e.args[1]) +
             ")";
    case VExpr::Kind::kPred: return "<predicate>";
    default: return "?";
  }
}

namespace {

void pnode(const detail::CompiledRule& r, const PNode& p, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  std::string operand = p.operand_is_field ? display_field(r.fields[p.slot]) + "[any]"
                                           : (p.expr ? vexpr(r, *p.expr) : std::string());
  switch (p.kind) {
    case PNode::Kind::kTrue: out += pad + "true\n"; return;
    case PNode::Kind::kFalse: out += pad + "false\n"; return;
    case PNode::Kind::kAnd:
    case PNode::Kind::kOr:
      out += pad + (p.kind == PNode::Kind::kAnd ? "and\n" : "or\n");
      for (const auto& c : p.children) pnode(r, *c, indent + 1, out);
      return;
    case PNode::Kind::kNot:
      out += pad + "not (true when the field is missing)\n";
      pnode(r, *p.children[0], indent + 1, out);
      return;
    case PNode::Kind::kCategory:
      out +=
          pad + "category " + r.fields[p.slot] + " contains " + detail::json_quote(p.text) + "\n";
      return;
    case PNode::Kind::kCompare:
      out += pad + operand + " " + cmp_name(p.cmp) + " " + p.c.value.to_json() + "\n";
      return;
    case PNode::Kind::kIsNull: out += pad + operand + " is null or missing\n"; return;
    case PNode::Kind::kIn:
      out += pad + operand + (p.insensitive ? " in~ " : " in ") + "hash-set(" +
             std::to_string(p.in->size()) + " values)\n";
      return;
    case PNode::Kind::kWildcard:
      out += pad + operand + " matches " + p.wild->describe() + "\n";
      return;
    case PNode::Kind::kRegex:
      out += pad + operand + " matches " + p.regex->describe() + "\n";
      return;
    case PNode::Kind::kTruthy: out += pad + operand + " is true\n"; return;
    case PNode::Kind::kDate:
      out += pad + operand + " as a date " + cmp_name(p.cmp) + " " + p.c.value.to_json() + " (" +
             (p.date_unit == 1 ? "ns" : "ms") + " " + std::to_string(p.date_lo) + ".." +
             std::to_string(p.date_hi) + ")\n";
      return;
    case PNode::Kind::kIp:
      out +=
          pad + operand + " as an ip address " + cmp_name(p.cmp) + " " + p.c.value.to_json() + "\n";
      return;
    case PNode::Kind::kArraySearch: {
      std::string array = r.fields[p.slot].substr(kElementsPrefix.size());
      out += pad + "some element of " + array + " (_arraysearch):\n";
      pnode(r, *p.children[0], indent + 1, out);
      return;
    }
    case PNode::Kind::kLineage:
      out += pad + "the process is " +
             (p.lineage == LineageKind::kDescendant ? "a descendant of"
              : p.lineage == LineageKind::kChild    ? "a child of"
                                                    : "the process of") +
             " a process that matched (lineage sub-query " + std::to_string(p.slot) + "):\n";
      pnode(r, *p.children[0], indent + 1, out);
      return;
    case PNode::Kind::kVersion:
      out +=
          pad + operand + " in version order " + cmp_name(p.cmp) + " " + p.c.value.to_json() + "\n";
      return;
  }
}

}  // namespace

std::string explain(const detail::CompiledRule& r) {
  std::string out;
  out += "rule: " + (r.meta.name.empty() ? std::string("<query>") : r.meta.name);
  if (!r.meta.id.empty()) out += " (" + r.meta.id + ")";
  out += "\n";
  const char* kind = r.kind == QueryKind::kEvent      ? "event query"
                     : r.kind == QueryKind::kSequence ? "sequence"
                                                      : "sample";
  out += std::string("kind: ") + kind + "\n";
  out += "category field: " + r.category_field + "\n";
  if (r.kind != QueryKind::kEvent) {
    if (r.maxspan_ns)
      out += "maxspan: " + std::to_string(r.maxspan_ns / 1'000'000) + "ms (inclusive)\n";
    else
      out += "maxspan: none\n";
    out += "join keys per stage: " + std::to_string(r.key_count) + "\n";
  }
  if (r.head) out += "head: " + std::to_string(*r.head) + "\n";
  if (r.tail) out += "tail: " + std::to_string(*r.tail) + "\n";
  auto stage = [&](const StagePlan& s, const std::string& title) {
    out += title;
    if (s.missing) out += " (missing event)";
    out += ": " + (s.category.empty() ? std::string("any") : s.category) + "\n";
    if (!s.keys.empty()) {
      out += "  by:";
      for (std::size_t i = 0; i < s.keys.size(); ++i)
        out += std::string(i ? ", " : " ") + (s.key_optional[i] ? "?" : "") + vexpr(r, *s.keys[i]);
      out += "\n";
    }
    out += "  filter:\n";
    pnode(r, *s.filter, 2, out);
  };
  for (std::size_t i = 0; i < r.stages.size(); ++i)
    stage(r.stages[i], r.kind == QueryKind::kEvent ? "filter" : "stage " + std::to_string(i));
  if (r.until) stage(*r.until, "until");
  auto key_lines = [&](const std::vector<compiler::IndexKey>& ks, bool second,
                       const std::string& indent) {
    for (const auto& k : ks) {
      if (k.second != second) continue;
      out += indent + r.fields[k.slot];
      if (k.present) {
        out += " has a value\n";
        continue;
      }
      out += k.substring ? (k.insensitive ? " contains~ one of [" : " contains one of [")
                         : (k.insensitive ? " in~ [" : " in [");
      constexpr std::size_t kShown = 5;
      for (std::size_t i = 0; i < k.values.size() && i < kShown; ++i)
        out += (i ? ", " : "") + detail::json_quote(k.values[i]);
      if (k.values.size() > kShown) out += ", ... (" + std::to_string(k.values.size()) + " values)";
      out += "]\n";
    }
  };
  auto keys = [&](const std::vector<compiler::IndexKey>& ks) {
    key_lines(ks, false, "  ");
    if (std::none_of(ks.begin(), ks.end(), [](const auto& k) { return k.second; })) return;
    out += "  and, where the engine indexes the field anyway, one of\n";
    key_lines(ks, true, "    ");
  };
  if (r.gated) {
    // The dispatcher selects the entry stages by their keys (or category),
    // and the later stages the same way, only while the rule holds state.
    auto group = [&](const detail::CompiledRule::StageGroup& g, const std::string& what) {
      if (g.indexed) {
        out += what + " require one of\n";
        keys(g.keys);
        return;
      }
      std::string cats;
      for (const auto& c : g.categories)
        cats += (cats.empty() ? "" : ", ") + (c.empty() ? "any" : c);
      out += what + ": by category (" + cats + ")\n";
    };
    group(r.entry, "rule index: the entry stages");
    group(r.continuation, "rule index: while a join key holds state, the later stages");
  } else if (r.indexed) {
    out += "rule index: every stage requires one of\n";
    keys(r.index_keys);
  } else {
    out += "rule index: none (dispatched by category)\n";
  }
  out += "fields:";
  for (const auto& f : r.fields)
    if (!internal_field(f)) out += " " + f;
  out += "\n";
  return out;
}

}  // namespace eqlpp::compiler
