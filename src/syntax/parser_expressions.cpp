// SPDX-License-Identifier: Apache-2.0
// The parser: conditions and values, one function per precedence level.
#include <cerrno>
#include <cstdlib>

#include "syntax/parser_impl.hpp"

namespace eqlpp::syntax {

NodePtr Parser::make(NodeKind k, SourceSpan span) {
  auto n = std::make_unique<Node>();
  n->kind = k;
  n->span = span;
  return n;
}

NodePtr Parser::parse_or() {
  DepthGuard g(*this);
  if (!g.ok) return nullptr;
  return parse_chain("or", NodeKind::kOr, &Parser::parse_and);
}

NodePtr Parser::parse_not() {
  if (is_kw("not")) {
    DepthGuard g(*this);
    if (!g.ok) return nullptr;
    const Token& t = advance();
    auto inner = parse_not();
    if (failed_) return nullptr;
    auto n = make(NodeKind::kNot, join(t.span, inner->span));
    n->children.push_back(std::move(inner));
    return n;
  }
  return parse_compare();
}

std::optional<CompareOp> Parser::compare_op(Tok k) {
  switch (k) {
    case Tok::kEq: return CompareOp::kEq;
    case Tok::kNe: return CompareOp::kNe;
    case Tok::kLt: return CompareOp::kLt;
    case Tok::kLe: return CompareOp::kLe;
    case Tok::kGt: return CompareOp::kGt;
    case Tok::kGe: return CompareOp::kGe;
    default: return std::nullopt;
  }
}

NodePtr Parser::parse_compare() {
  auto lhs = parse_arith();
  if (failed_) return nullptr;
  if (peek().kind == Tok::kAssign) {
    fail(DiagCode::kAssignIsNotEquality, peek().span,
         "'=' is not an equality operator in EQL: write '=='");
    return nullptr;
  }
  std::optional<CompareOp> op = compare_op(peek().kind);
  if (!op) return lhs;
  advance();
  auto rhs = parse_arith();
  if (failed_) return nullptr;
  if (compare_op(peek().kind)) {
    fail(DiagCode::kChainedComparison, join(lhs->span, peek().span),
         "comparisons cannot be chained: write 'a < b and b < c' instead of 'a < b < c'");
    return nullptr;
  }
  auto n = make(NodeKind::kCompare, join(lhs->span, rhs->span));
  n->cmp = *op;
  n->children.push_back(std::move(lhs));
  n->children.push_back(std::move(rhs));
  return n;
}

std::optional<ArithOp> Parser::additive_op(Tok k) {
  if (k == Tok::kPlus) return ArithOp::kAdd;
  if (k == Tok::kMinus) return ArithOp::kSub;
  return std::nullopt;
}

std::optional<ArithOp> Parser::multiplicative_op(Tok k) {
  if (k == Tok::kStar) return ArithOp::kMul;
  if (k == Tok::kSlash) return ArithOp::kDiv;
  if (k == Tok::kPercent) return ArithOp::kMod;
  return std::nullopt;
}

NodePtr Parser::parse_term() {
  return parse_left_assoc(&Parser::multiplicative_op, &Parser::parse_unary);
}

NodePtr Parser::parse_unary() {
  if (peek().kind == Tok::kMinus || peek().kind == Tok::kPlus) {
    DepthGuard g(*this);
    if (!g.ok) return nullptr;
    const Token& t = advance();
    bool neg = t.kind == Tok::kMinus;
    auto inner = parse_unary();
    if (failed_) return nullptr;
    if (!neg) return inner;
    auto n = make(NodeKind::kNeg, join(t.span, inner->span));
    n->children.push_back(std::move(inner));
    return n;
  }
  auto prim = parse_primary();
  if (failed_) return nullptr;
  return parse_predicate(std::move(prim));
}

bool Parser::accept_tilde() {
  if (peek().kind == Tok::kTilde && !peek().space_before) {
    advance();
    return true;
  }
  return false;
}

NodePtr Parser::parse_predicate(NodePtr value) {
  bool negated = false;
  if (is_kw("not") && is_kw("in", 1)) {
    advance();
    negated = true;
  }
  if (is_kw("in")) {
    const Token& kw = advance();
    auto n = make(NodeKind::kIn, value->span);
    n->negated = negated;
    n->insensitive = accept_tilde();
    n->children.push_back(std::move(value));
    if (!expect(Tok::kLParen, "'(' to open the list after 'in'")) return nullptr;
    parse_list(*n);
    if (failed_) return nullptr;
    n->span = join(n->span, kw.span);
    n->span = join(n->span, t_[pos_ - 1].span);
    return n;
  }
  MatchOp op;
  if (peek().kind == Tok::kColon)
    op = MatchOp::kColon;
  else if (is_kw("like"))
    op = MatchOp::kLike;
  else if (is_kw("regex"))
    op = MatchOp::kRegex;
  else
    return value;
  advance();
  auto n = make(NodeKind::kMatch, value->span);
  n->match_op = op;
  n->insensitive = op == MatchOp::kColon ? true : accept_tilde();
  if (op == MatchOp::kColon && peek().kind == Tok::kTilde) {
    fail(DiagCode::kInsensitiveNotAllowed, peek().span,
         "':' is already case-insensitive; '~' is not allowed after it");
    return nullptr;
  }
  n->children.push_back(std::move(value));
  if (accept(Tok::kLParen)) {
    parse_list(*n);
    if (failed_) return nullptr;
  } else {
    auto c = parse_primary_no_predicate();
    if (failed_) return nullptr;
    n->children.push_back(std::move(c));
  }
  n->span = join(n->span, t_[pos_ - 1].span);
  return n;
}

void Parser::parse_list(Node& n) {
  if (peek().kind == Tok::kRParen) {
    unexpected("expected at least one value in the list");
    return;
  }
  do {
    auto e = parse_unary();
    if (failed_) return;
    n.children.push_back(std::move(e));
  } while (accept(Tok::kComma));
  expect(Tok::kRParen, "',' or ')' in the list");
}

NodePtr Parser::parse_primary_no_predicate() {
  if (peek().kind == Tok::kMinus) {
    const Token& t = advance();
    auto inner = parse_primary_no_predicate();
    if (failed_) return nullptr;
    auto n = make(NodeKind::kNeg, join(t.span, inner->span));
    n->children.push_back(std::move(inner));
    return n;
  }
  return parse_primary();
}

NodePtr Parser::parse_number(const Token& t) {
  auto n = make(NodeKind::kLiteral, t.span);
  if (t.kind == Tok::kInteger) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(t.text.c_str(), &end, 10);
    if (errno == ERANGE) {
      // Elasticsearch re-parses an integer that overflows a long as a double.
      n->lit.v = std::strtod(t.text.c_str(), nullptr);
    } else {
      n->lit.v = static_cast<std::int64_t>(v);
    }
  } else {
    errno = 0;
    double d = std::strtod(t.text.c_str(), nullptr);
    if (errno == ERANGE && (d > 1 || d < -1)) {
      fail(DiagCode::kInvalidNumber, t.span, "number out of range: " + t.text);
      return nullptr;
    }
    n->lit.v = d;
  }
  return n;
}

NodePtr Parser::parse_primary() {
  DepthGuard g(*this);
  if (!g.ok) return nullptr;
  const Token& t = peek();
  switch (t.kind) {
    case Tok::kLParen: {
      advance();
      auto e = parse_expr();
      if (failed_) return nullptr;
      if (!expect(Tok::kRParen, "')'")) return nullptr;
      return e;
    }
    case Tok::kString: {
      advance();
      auto n = make(NodeKind::kLiteral, t.span);
      n->lit.v = t.text;
      n->lit.raw_string = t.raw_string;
      return n;
    }
    case Tok::kInteger:
    case Tok::kDecimal: advance(); return parse_number(t);
    case Tok::kQuestion: {
      advance();
      if (peek().space_before || (peek().kind != Tok::kIdent && peek().kind != Tok::kQuotedIdent)) {
        unexpected("expected a field name right after '?'");
        return nullptr;
      }
      auto f = parse_field();
      if (f) {
        f->optional = true;
        f->span = join(t.span, f->span);
      }
      return f;
    }
    case Tok::kVariable: {
      advance();
      auto n = make(NodeKind::kField, t.span);
      n->name = t.text;
      while (peek().kind == Tok::kDot && !failed_) {
        advance();
        if (!field_segment(*n)) return nullptr;
      }
      return n;
    }
    case Tok::kQuotedIdent: return parse_field();
    case Tok::kIdent: {
      if (t.text == "true" || t.text == "false") {
        advance();
        auto n = make(NodeKind::kLiteral, t.span);
        n->lit.v = t.text == "true";
        return n;
      }
      if (t.text == "null") {
        advance();
        return make(NodeKind::kLiteral, t.span);
      }
      if ((t.text == "descendant" || t.text == "child" || t.text == "event") && is_kw("of", 1))
        return parse_lineage();
      // function call: name [~] (
      std::size_t k = 1;
      bool tilde = peek(1).kind == Tok::kTilde && !peek(1).space_before;
      if (tilde) k = 2;
      if (peek(k).kind == Tok::kLParen) return parse_call(tilde);
      if (is_keyword(t.text) || is_miscased_keyword(t.text)) {
        unexpected("expected a value, field or function call");
        return nullptr;
      }
      return parse_field();
    }
    default: unexpected("expected a value, field or function call"); return nullptr;
  }
}

bool Parser::field_segment(Node& n) {
  const Token& s = peek();
  if (s.kind == Tok::kIdent || s.kind == Tok::kQuotedIdent) {
    n.path.push_back(s.text);
    n.quoted.push_back(s.kind == Tok::kQuotedIdent);
    n.span = join(n.span, s.span);
    advance();
    return true;
  }
  if (s.kind == Tok::kInteger && !s.space_before) {
    // a.0.b: numeric segments are accepted (Elasticsearch needs backquotes).
    n.path.push_back(s.text);
    n.quoted.push_back(true);
    n.span = join(n.span, s.span);
    advance();
    return true;
  }
  unexpected("expected a field name after '.'");
  return false;
}

NodePtr Parser::parse_field() {
  const Token& t = peek();
  auto n = make(NodeKind::kField, t.span);
  n->path.push_back(t.text);
  n->quoted.push_back(t.kind == Tok::kQuotedIdent);
  advance();
  while (peek().kind == Tok::kDot && !peek().space_before) {
    advance();
    if (!field_segment(*n)) return nullptr;
  }
  if (peek().kind == Tok::kDecimal && !peek().space_before && peek().text[0] == '.') {
    unexpected("unexpected number in field name; backquote numeric segments");
    return nullptr;
  }
  return n;
}

NodePtr Parser::parse_call(bool tilde) {
  const Token& name = advance();
  auto n = make(NodeKind::kCall, name.span);
  n->name = name.text;
  if (tilde) {
    advance();
    n->insensitive = true;
  }
  advance();  // (
  if (!accept(Tok::kRParen)) {
    do {
      auto a = parse_expr();
      if (failed_) return nullptr;
      n->children.push_back(std::move(a));
    } while (accept(Tok::kComma));
    if (!expect(Tok::kRParen, "',' or ')' after a function argument")) return nullptr;
  }
  n->span = join(n->span, t_[pos_ - 1].span);
  return n;
}

NodePtr Parser::parse_lineage() {
  const Token& kw = advance();
  advance();  // of
  auto n = make(NodeKind::kLineage, kw.span);
  n->lineage = kw.text;
  if (!expect(Tok::kLBracket, "'[' after '" + kw.text + " of'")) return nullptr;
  auto eq = parse_event_query(true);
  if (failed_) return nullptr;
  if (!expect(Tok::kRBracket, "']' to close the lineage query")) return nullptr;
  n->lineage_query = std::make_unique<EventQuery>(std::move(*eq));
  n->span = join(n->span, t_[pos_ - 1].span);
  return n;
}

bool Parser::expect(Tok k, const std::string& what) {
  if (accept(k)) return true;
  unexpected("expected " + what);
  return false;
}

}  // namespace eqlpp::syntax
