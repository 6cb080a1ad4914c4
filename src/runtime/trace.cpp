// SPDX-License-Identifier: Apache-2.0
#include "runtime/trace.hpp"

#include <cstdio>

#include "compile/binder.hpp"
#include "compile/field_table.hpp"
#include "eqlpp/alert.hpp"

namespace eqlpp::runtime {

using compiler::PNode;

namespace {

constexpr std::size_t kMaxText = 160;

// Cuts `s` to about `max` bytes at a UTF-8 boundary, marking the cut.
std::string cut(std::string_view s, std::size_t max = kMaxText) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

struct Decider {
  EvalCtx& ctx;
  const PNode* leaf = nullptr;
  bool needed = true;
  std::size_t alternatives = 0;

  // `p` did not have the value `want`; find the leaf responsible.
  void decide(const PNode& p, bool want) {
    switch (p.kind) {
      case PNode::Kind::kAnd:
        if (want) {
          for (const auto& c : p.children)
            if (!eval_pred(*c, ctx)) return decide(*c, true);
        }
        return decide(*p.children.front(), want);
      case PNode::Kind::kOr:
        if (!want) {
          for (const auto& c : p.children)
            if (eval_pred(*c, ctx)) return decide(*c, false);
        }
        alternatives += p.children.size() - 1;
        return decide(*p.children.front(), want);
      case PNode::Kind::kNot: return decide(*p.children.front(), !want);
      default:
        leaf = &p;
        needed = want;
        return;
    }
  }
};

std::string values_json(std::span<const Value> vals) {
  if (vals.empty()) return "missing";
  return vals.size() == 1 ? vals[0].to_json() : json_array(vals);
}

}  // namespace

TraceCondition explain_rejection(const detail::CompiledRule& rule, const PNode& filter,
                                 EvalCtx& ctx) {
  Decider d{ctx};
  d.decide(filter, true);
  TraceCondition c;
  c.needed = d.needed;
  c.alternatives = d.alternatives;
  const PNode& leaf = d.leaf ? *d.leaf : filter;
  if (leaf.kind == PNode::Kind::kCategory) {
    c.text = leaf.text + " where";
  } else if (leaf.span.length > 0 && leaf.span.offset + leaf.span.length <= rule.query.size()) {
    // Written on one line: runs of white space become one space.
    std::string flat;
    for (char ch : std::string_view(rule.query).substr(leaf.span.offset, leaf.span.length)) {
      bool ws = ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
      if (ws && (flat.empty() || flat.back() == ' ')) continue;
      flat += ws ? ' ' : ch;
    }
    c.text = cut(flat);
  } else {
    c.text = leaf.kind == PNode::Kind::kFalse ? "false" : "true";
  }
  std::uint32_t line = 1, col = 1;
  for (std::size_t i = 0; i < leaf.span.offset && i < rule.query.size(); ++i) {
    if (rule.query[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  c.line = line;
  c.column = col;
  if (leaf.operand_is_field) {
    c.operand = compiler::display_field(rule.fields[leaf.slot]);
    c.seen = cut(values_json(ctx.field(leaf.slot)));
  } else if (leaf.expr) {
    c.operand = compiler::vexpr(rule, *leaf.expr);
    Value v = eval_value(*leaf.expr, ctx);
    c.seen = cut(v.is_null() ? std::string("null") : v.to_json());
    ctx.scratch.clear();
  } else if (leaf.kind == PNode::Kind::kLineage) {
    // "descendant of [...]: the process ... (no ancestor of it matched)".
    c.operand = leaf.lineage == compiler::LineageKind::kDescendant
                    ? "the process (no ancestor matched)"
                : leaf.lineage == compiler::LineageKind::kChild
                    ? "the process (its parent did not match)"
                    : "the process (none of its events matched)";
    c.seen = ctx.lineage_pid ? cut(values_json(key_values(*ctx.lineage_pid))) : "missing";
  }
  return c;
}

std::string key_text(const Key& key) {
  std::string out = "[";
  for_each_key_part(key, [&](const KeyPartView& p) {
    if (out.size() > 1) out += ',';
    switch (p.kind) {
      case KeyKind::kNull: out += "null"; break;
      case KeyKind::kBool: out += p.i ? "true" : "false"; break;
      case KeyKind::kInt: out += std::to_string(p.i); break;
      case KeyKind::kDouble: out += Value(p.d).to_json(); break;
      case KeyKind::kString: out += Value(p.s).to_json(); break;
    }
  });
  return out + "]";
}

std::string duration_text(std::int64_t ns) {
  char buf[64];
  double v = static_cast<double>(ns);
  if (ns >= 1'000'000'000 || ns <= -1'000'000'000)
    std::snprintf(buf, sizeof buf, "%.9gs", v / 1e9);
  else if (ns >= 1'000'000 || ns <= -1'000'000)
    std::snprintf(buf, sizeof buf, "%.6gms", v / 1e6);
  else if (ns >= 1'000 || ns <= -1'000)
    std::snprintf(buf, sizeof buf, "%.3gus", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  return buf;
}

}  // namespace eqlpp::runtime

namespace eqlpp {

std::string TraceEntry::to_string() const {
  std::string out =
      "#" + std::to_string(ordinal) + " " + format_timestamp(timestamp) + " rule " + rule_id;
  switch (kind) {
    case Kind::kNotDispatched: return out + ": not tested: " + note + "\n";
    case Kind::kExpired: return out + ": expired: " + note + "\n";
    case Kind::kEvicted: return out + ": evicted: " + note + "\n";
    case Kind::kEvent: break;
  }
  out += "\n";
  for (const TraceStage& s : stages) {
    out += "  ";
    out += s.stage < 0 ? std::string("until") : "stage " + std::to_string(s.stage);
    out += " (" + s.category + (s.missing_stage ? ", missing-event stage" : "") + "): ";
    if (s.matched) {
      out += "matched";
    } else if (s.rejected_by) {
      const TraceCondition& c = *s.rejected_by;
      out += "rejected: `" + c.text + "` (query " + std::to_string(c.line) + ":" +
             std::to_string(c.column) + ")";
      out += c.needed ? " is false" : " is true, and the query negates it";
      if (!c.operand.empty()) out += "; " + c.operand + " is " + c.seen;
      if (c.alternatives)
        out += " (" + std::to_string(c.alternatives) + " other alternative" +
               (c.alternatives == 1 ? "" : "s") + " also false)";
    } else {
      out += "rejected";
    }
    out += "\n";
    for (const auto& o : s.outcome) out += "    -> " + o + "\n";
  }
  return out;
}

}  // namespace eqlpp
