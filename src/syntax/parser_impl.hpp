// SPDX-License-Identifier: Apache-2.0
// The Parser, shared by the files that implement it by job: parser.cpp (the
// entry point), parser_queries.cpp (queries, sequences, samples, stages and
// pipes) and parser_expressions.cpp (conditions and values, by precedence).
// The token helpers stay here, inline. Internal to syntax/.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/diag.hpp"
#include "syntax/ast.hpp"
#include "syntax/lexer.hpp"
#include "syntax/parser.hpp"
#include "util/ascii.hpp"

namespace eqlpp::syntax {

inline constexpr std::string_view kKeywords[] = {
    "and",  "or",      "not",   "in",  "like", "regex", "where", "sequence", "sample", "by",
    "with", "maxspan", "until", "any", "true", "false", "null",  "of",       "join",   "runs"};

inline bool is_keyword(std::string_view s) {
  for (auto k : kKeywords)
    if (k == s) return true;
  return false;
}

// Keywords that, written in upper or mixed case, are almost surely meant as keywords.
inline bool is_miscased_keyword(std::string_view s) {
  for (auto k : kKeywords)
    if (k != s && util::ascii_iequals(k, s) && k != "any") return true;
  return false;
}

inline SourceSpan join(SourceSpan a, SourceSpan b) {
  std::uint32_t end = std::max(a.offset + a.length, b.offset + b.length);
  std::uint32_t start = std::min(a.offset, b.offset);
  return {start, end - start};
}

class Parser {
 public:
  Parser(std::vector<Token> toks, DiagSink& diags, const ParseOptions& opts)
      : t_(std::move(toks)), diags_(diags), opts_(opts) {}

  std::optional<Query> run() {
    if (t_.back().kind == Tok::kError) {
      // The lexer reported the error; parse nothing further.
      return std::nullopt;
    }
    Query q;
    std::size_t errors_before = diags_.error_count();
    if (is_kw("sequence")) {
      parse_sequence(q);
    } else if (is_kw("sample")) {
      parse_sample(q);
    } else {
      q.kind = QueryKind::kEvent;
      auto eq = parse_event_query(false);
      if (eq) q.event = std::move(*eq);
    }
    if (!failed_) parse_pipes(q);
    if (!failed_ && peek().kind != Tok::kEnd) {
      unexpected("expected end of query");
    }
    if (failed_ || diags_.error_count() > errors_before) return std::nullopt;
    q.span = {0, peek().span.offset};
    return q;
  }

 private:
  // ---- token helpers -------------------------------------------------------
  const Token& peek(std::size_t k = 0) const {
    std::size_t i = std::min(pos_ + k, t_.size() - 1);
    return t_[i];
  }
  const Token& advance() {
    const Token& t = t_[pos_];
    if (pos_ + 1 < t_.size()) ++pos_;
    return t;
  }
  bool is_kw(std::string_view kw, std::size_t k = 0) const {
    return peek(k).kind == Tok::kIdent && peek(k).text == kw;
  }
  bool accept_kw(std::string_view kw) {
    if (is_kw(kw)) {
      advance();
      return true;
    }
    return false;
  }
  bool accept(Tok k) {
    if (peek().kind == k) {
      advance();
      return true;
    }
    return false;
  }
  void fail(DiagCode code, SourceSpan span, std::string msg) {
    if (!failed_) diags_.error(code, span, std::move(msg));
    failed_ = true;
  }
  std::string describe(const Token& t) const {
    switch (t.kind) {
      case Tok::kIdent: return "'" + t.text + "'";
      case Tok::kString: return "string";
      case Tok::kEnd: return "end of query";
      default: return tok_name(t.kind);
    }
  }
  void unexpected(const std::string& what) {
    const Token& t = peek();
    if (t.kind == Tok::kIdent && is_miscased_keyword(t.text)) {
      std::string lower = util::ascii_fold(t.text);
      fail(DiagCode::kUppercaseKeyword, t.span,
           "keywords are lower case in EQL: write '" + lower + "' instead of '" + t.text + "'");
      return;
    }
    if (t.kind == Tok::kAssign) {
      fail(DiagCode::kAssignIsNotEquality, t.span,
           "'=' is not an equality operator in EQL: write '=='");
      return;
    }
    fail(DiagCode::kUnexpectedToken, t.span.length ? t.span : SourceSpan{t.span.offset, 1},
         what + ", found " + describe(t));
  }
  bool expect(Tok k, const char* what) {
    if (accept(k)) return true;
    unexpected(std::string("expected ") + what);
    return false;
  }
  bool expect_kw(std::string_view kw) {
    if (accept_kw(kw)) return true;
    unexpected("expected '" + std::string(kw) + "'");
    return false;
  }

  struct DepthGuard {
    Parser& p;
    bool ok;
    explicit DepthGuard(Parser& parser) : p(parser), ok(true) {
      if (++p.depth_ > p.opts_.max_depth) {
        p.fail(DiagCode::kNestingTooDeep, p.peek().span,
               "the query nests deeper than the limit of " + std::to_string(p.opts_.max_depth));
        ok = false;
      }
    }
    ~DepthGuard() { --p.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
  };

  // ---- queries -------------------------------------------------------------
  std::optional<EventQuery> parse_event_query(bool in_brackets);

  std::vector<NodePtr> parse_keys();

  void parse_maxspan(Query& q);

  // Skips to the ']' closing the current stage (recovery after an error inside it).
  void recover_stage();

  std::optional<Stage> parse_stage(bool allow_runs, bool allow_missing);

  void parse_sequence(Query& q);

  void parse_stages(Query& q, bool is_sequence);

  void validate_sequence(Query& q, SourceSpan seq_span);

  void check_key_counts(Query& q);

  void parse_sample(Query& q);

  void parse_pipes(Query& q);

  // ---- expressions ---------------------------------------------------------
  NodePtr make(NodeKind k, SourceSpan span);

  NodePtr parse_expr() { return parse_or(); }

  // An n-ary chain `operand (kw operand)*` (and/or stay flat, so long chains stay shallow).
  template <class Operand>
  NodePtr parse_chain(std::string_view kw, NodeKind kind, Operand operand) {
    auto first = (this->*operand)();
    if (failed_ || !is_kw(kw)) return first;
    auto n = make(kind, first->span);
    n->children.push_back(std::move(first));
    while (accept_kw(kw)) {
      auto rhs = (this->*operand)();
      if (failed_) return nullptr;
      n->span = join(n->span, rhs->span);
      n->children.push_back(std::move(rhs));
    }
    return n;
  }

  NodePtr parse_or();

  NodePtr parse_and() { return parse_chain("and", NodeKind::kAnd, &Parser::parse_not); }

  NodePtr parse_not();

  static std::optional<CompareOp> compare_op(Tok k);

  NodePtr parse_compare();

  static std::optional<ArithOp> additive_op(Tok k);
  static std::optional<ArithOp> multiplicative_op(Tok k);

  // A left-associative binary chain; each fold counts toward the depth limit.
  template <class Operand>
  NodePtr parse_left_assoc(std::optional<ArithOp> (*op_of)(Tok), Operand operand) {
    auto lhs = (this->*operand)();
    std::size_t folds = 0;
    while (!failed_ && op_of(peek().kind)) {
      if (++folds + depth_ > opts_.max_depth) {
        fail(DiagCode::kNestingTooDeep, peek().span, "the arithmetic expression is too long");
        return nullptr;
      }
      ArithOp op = *op_of(peek().kind);
      advance();
      auto rhs = (this->*operand)();
      if (failed_) return nullptr;
      auto n = make(NodeKind::kArith, join(lhs->span, rhs->span));
      n->arith = op;
      n->children.push_back(std::move(lhs));
      n->children.push_back(std::move(rhs));
      lhs = std::move(n);
    }
    return failed_ ? nullptr : std::move(lhs);
  }

  NodePtr parse_arith() { return parse_left_assoc(&Parser::additive_op, &Parser::parse_term); }
  NodePtr parse_term();

  NodePtr parse_unary();

  // `~` immediately after the previous token (no whitespace).
  bool accept_tilde();

  NodePtr parse_predicate(NodePtr value);

  // After '(' : expr (',' expr)* ')'
  void parse_list(Node& n);

  NodePtr parse_primary_no_predicate();

  NodePtr parse_number(const Token& t);

  NodePtr parse_primary();

  bool field_segment(Node& n);

  NodePtr parse_field();

  NodePtr parse_call(bool tilde);

  NodePtr parse_lineage();

  bool expect(Tok k, const std::string& what);

  std::vector<Token> t_;
  std::size_t pos_ = 0;
  DiagSink& diags_;
  ParseOptions opts_;
  std::size_t depth_ = 0;
  bool failed_ = false;
  bool recovered_ = false;
};

}  // namespace eqlpp::syntax
