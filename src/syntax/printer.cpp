// SPDX-License-Identifier: Apache-2.0
// AST -> canonical EQL text, and AST -> S-expression dump.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "syntax/ast.hpp"
#include "util/ascii.hpp"
#include "util/json_text.hpp"

namespace eqlpp::syntax {

const char* op_text(CompareOp op) noexcept {
  switch (op) {
    case CompareOp::kEq: return "==";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "?";
}

const char* op_text(ArithOp op) noexcept {
  switch (op) {
    case ArithOp::kAdd: return "+";
    case ArithOp::kSub: return "-";
    case ArithOp::kMul: return "*";
    case ArithOp::kDiv: return "/";
    case ArithOp::kMod: return "%";
  }
  return "?";
}
namespace {

bool plain_ident(const std::string& s) {
  if (s.empty()) return false;
  char c = s[0];
  if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@')) return false;
  // '@' may start an identifier but not continue it (the lexer's rule).
  for (std::size_t i = 1; i < s.size(); ++i) {
    char ch = s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '_'))
      return false;
  }
  static constexpr const char* kw[] = {
      "and",  "or",      "not",   "in",  "like", "regex", "where", "sequence", "sample", "by",
      "with", "maxspan", "until", "any", "true", "false", "null",  "of",       "join",   "runs"};
  // A keyword in any case: the parser reads `runS` as a mis-cased keyword, so
  // it needs backquotes as much as `runs` does.
  if (s.size() > 8) return true;  // longer than any keyword
  for (const char* k : kw)
    if (util::ascii_iequals(s, k)) return false;
  return true;
}

void quote_ident_to(const std::string& s, std::string& out) {
  if (plain_ident(s)) {
    out += s;
    return;
  }
  out += '`';
  for (char c : s) {
    if (c == '`')
      out += "``";
    else
      out += c;
  }
  out += '`';
}

}  // namespace

std::string quote_string(const std::string& s) {
  return detail::quote_escaped(s, "\\u{%02x}");  // EQL's escape for other control bytes
}

std::string format_double(double d) {
  if (std::isnan(d)) return "NaN";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);  // shortest form that round-trips
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

namespace {

std::string literal_text(const Literal& l) {
  switch (l.v.index()) {
    case 0: return "null";
    case 1: return std::get<bool>(l.v) ? "true" : "false";
    case 2: return std::to_string(std::get<std::int64_t>(l.v));
    case 3: return format_double(std::get<double>(l.v));
    default: return quote_string(std::get<std::string>(l.v));
  }
}

void field_text_to(const Node& n, std::string& out) {
  if (n.optional) out += '?';
  if (!n.name.empty()) out += n.name;  // $variable
  for (std::size_t i = 0; i < n.path.size(); ++i) {
    if (i || !n.name.empty()) out += '.';
    quote_ident_to(n.path[i], out);
  }
}

std::string field_text(const Node& n) {
  std::string out;
  field_text_to(n, out);
  return out;
}

int prec(const Node& n) {
  switch (n.kind) {
    case NodeKind::kOr: return 1;
    case NodeKind::kAnd: return 2;
    case NodeKind::kNot: return 3;
    case NodeKind::kCompare: return 4;
    case NodeKind::kArith: return (n.arith == ArithOp::kAdd || n.arith == ArithOp::kSub) ? 5 : 6;
    case NodeKind::kNeg: return 7;
    case NodeKind::kIn:
    case NodeKind::kMatch: return 8;
    default: return 9;
  }
}

void event_query_text_to(const EventQuery& q, std::string& out);
void print_to(const Node& n, std::string& out);

// `child`, parenthesised when it binds looser than `min_prec`.
void wrap_to(const Node& child, int min_prec, std::string& out) {
  const bool paren = prec(child) < min_prec;
  if (paren) out += '(';
  print_to(child, out);
  if (paren) out += ')';
}

// Appends the canonical text of `n` (one buffer for a whole query: printing
// each subtree into a string of its own copied every level's text again).
void print_to(const Node& n, std::string& out) {
  switch (n.kind) {
    case NodeKind::kLiteral: out += literal_text(n.lit); return;
    case NodeKind::kField: field_text_to(n, out); return;
    case NodeKind::kCall:
      out += n.name;
      out += n.insensitive ? "~(" : "(";
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += ", ";
        print_to(*n.children[i], out);
      }
      out += ')';
      return;
    case NodeKind::kNeg:
      // "--x" re-parses as -(-x): no parentheses, so printing never deepens the tree.
      out += '-';
      wrap_to(*n.children[0], 7, out);
      return;
    case NodeKind::kArith: {
      const int p = prec(n);
      wrap_to(*n.children[0], p, out);
      out += ' ';
      out += op_text(n.arith);
      out += ' ';
      wrap_to(*n.children[1], p + 1, out);
      return;
    }
    case NodeKind::kCompare:
      wrap_to(*n.children[0], 5, out);
      out += ' ';
      out += op_text(n.cmp);
      out += ' ';
      wrap_to(*n.children[1], 5, out);
      return;
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      const int p = prec(n);
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += n.kind == NodeKind::kAnd ? " and " : " or ";
        wrap_to(*n.children[i], p + 1, out);
      }
      return;
    }
    case NodeKind::kNot:
      out += "not ";
      wrap_to(*n.children[0], 3, out);
      return;
    case NodeKind::kIn:
    case NodeKind::kMatch:
      wrap_to(*n.children[0], 9, out);
      if (n.kind == NodeKind::kIn) {
        out += n.negated ? " not in" : " in";
        if (n.insensitive) out += "~";
      } else if (n.match_op == MatchOp::kColon) {
        out += " :";
      } else {
        out += n.match_op == MatchOp::kLike ? " like" : " regex";
        if (n.insensitive) out += "~";
      }
      out += " (";
      for (std::size_t i = 1; i < n.children.size(); ++i) {
        if (i > 1) out += ", ";
        wrap_to(*n.children[i], 7, out);
      }
      out += ')';
      return;
    case NodeKind::kLineage:
      out += n.lineage;
      out += " of [";
      event_query_text_to(*n.lineage_query, out);
      out += ']';
      return;
  }
}

void event_query_text_to(const EventQuery& q, std::string& out) {
  if (q.category_is_string)
    out += quote_string(q.category);
  else if (q.any)
    out += "any";
  else
    quote_ident_to(q.category, out);
  out += " where ";
  print_to(*q.condition, out);
}

void keys_text_to(const std::vector<NodePtr>& keys, std::string& out) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    print_to(*keys[i], out);
  }
}

void stage_text_to(const Stage& s, std::string& out) {
  out += s.missing ? "![" : "[";
  event_query_text_to(s.query, out);
  out += ']';
  if (!s.alias.empty()) out += " as " + s.alias;
  if (!s.keys.empty()) {
    out += " by ";
    keys_text_to(s.keys, out);
  }
  if (s.runs != 1) out += " with runs=" + std::to_string(s.runs);
}

}  // namespace

std::string print(const Node& n) {
  std::string out;
  print_to(n, out);
  return out;
}

std::string print(const Query& q) {
  std::string out;
  if (q.kind == QueryKind::kEvent) {
    event_query_text_to(q.event, out);
  } else {
    out = q.kind == QueryKind::kSequence ? "sequence" : "sample";
    if (!q.shared_keys.empty()) {
      out += " by ";
      keys_text_to(q.shared_keys, out);
    }
    if (q.maxspan_ms) out += " with maxspan=" + q.maxspan_text;
    for (const auto& s : q.stages) {
      out += "\n  ";
      stage_text_to(s, out);
    }
    if (q.until) {
      out += "\nuntil ";
      stage_text_to(*q.until, out);
    }
  }
  for (const auto& p : q.pipes) out += " | " + p.name + " " + std::to_string(p.count);
  return out;
}

// ---- S-expression dump ------------------------------------------------------

std::string dump(const Node& n) {
  switch (n.kind) {
    case NodeKind::kLiteral: return literal_text(n.lit);
    case NodeKind::kField: {
      std::string s = "(field " + field_text(n) + ")";
      return s;
    }
    case NodeKind::kCall: {
      std::string out = "(call " + n.name + (n.insensitive ? "~" : "");
      for (auto& c : n.children) out += " " + dump(*c);
      return out + ")";
    }
    case NodeKind::kNeg: return "(neg " + dump(*n.children[0]) + ")";
    case NodeKind::kArith:
      return std::string("(") + op_text(n.arith) + " " + dump(*n.children[0]) + " " +
             dump(*n.children[1]) + ")";
    case NodeKind::kCompare:
      return std::string("(") + op_text(n.cmp) + " " + dump(*n.children[0]) + " " +
             dump(*n.children[1]) + ")";
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      std::string out = n.kind == NodeKind::kAnd ? "(and" : "(or";
      for (auto& c : n.children) out += " " + dump(*c);
      return out + ")";
    }
    case NodeKind::kNot: return "(not " + dump(*n.children[0]) + ")";
    case NodeKind::kIn:
    case NodeKind::kMatch: {
      std::string out = "(";
      if (n.kind == NodeKind::kIn)
        out += n.negated ? "not-in" : "in";
      else
        out += n.match_op == MatchOp::kColon  ? ":"
               : n.match_op == MatchOp::kLike ? "like"
                                              : "regex";
      if (n.insensitive && !(n.kind == NodeKind::kMatch && n.match_op == MatchOp::kColon))
        out += "~";
      for (auto& c : n.children) out += " " + dump(*c);
      return out + ")";
    }
    case NodeKind::kLineage:
      return "(" + n.lineage + "-of " + (n.lineage_query->any ? "any" : n.lineage_query->category) +
             " " + dump(*n.lineage_query->condition) + ")";
  }
  return "";
}

std::string dump(const Query& q) {
  auto eq = [](const EventQuery& e) {
    return "(where " + (e.any ? std::string("any") : quote_string(e.category)) + " " +
           dump(*e.condition) + ")";
  };
  auto keys = [](const std::vector<NodePtr>& ks) {
    std::string out = "(by";
    for (auto& k : ks) out += " " + dump(*k);
    return out + ")";
  };
  auto stage = [&](const Stage& s) {
    std::string out = s.missing ? "(missing " : "(stage ";
    out += eq(s.query);
    if (!s.keys.empty()) out += " " + keys(s.keys);
    if (s.runs != 1) out += " (runs " + std::to_string(s.runs) + ")";
    if (!s.alias.empty()) out += " (as " + s.alias + ")";
    return out + ")";
  };
  std::string out;
  if (q.kind == QueryKind::kEvent) {
    out = eq(q.event);
  } else {
    out = q.kind == QueryKind::kSequence ? "(sequence" : "(sample";
    if (!q.shared_keys.empty()) out += " " + keys(q.shared_keys);
    if (q.maxspan_ms) out += " (maxspan " + std::to_string(*q.maxspan_ms) + "ms)";
    for (auto& s : q.stages) out += " " + stage(s);
    if (q.until) out += " (until " + stage(*q.until) + ")";
    out += ")";
  }
  for (auto& p : q.pipes) out += " (" + p.name + " " + std::to_string(p.count) + ")";
  return out;
}

}  // namespace eqlpp::syntax
