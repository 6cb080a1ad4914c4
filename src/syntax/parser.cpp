// SPDX-License-Identifier: Apache-2.0
#include "syntax/parser.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

#include "syntax/lexer.hpp"
#include "util/ascii.hpp"

namespace eqlpp::syntax {

std::string Node::field_name() const {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i) out += '.';
    out += path[i];
  }
  return out;
}

namespace {

constexpr std::string_view kKeywords[] = {
    "and",  "or",      "not",   "in",  "like", "regex", "where", "sequence", "sample", "by",
    "with", "maxspan", "until", "any", "true", "false", "null",  "of",       "join",   "runs"};

bool is_keyword(std::string_view s) {
  for (auto k : kKeywords)
    if (k == s) return true;
  return false;
}

// Keywords that, written in upper or mixed case, are almost surely meant as keywords.
bool is_miscased_keyword(std::string_view s) {
  for (auto k : kKeywords)
    if (k != s && util::ascii_iequals(k, s) && k != "any") return true;
  return false;
}

SourceSpan join(SourceSpan a, SourceSpan b) {
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
  std::optional<EventQuery> parse_event_query(bool in_brackets) {
    EventQuery eq;
    const Token& t = peek();
    eq.span.offset = t.span.offset;
    if (t.kind == Tok::kString) {
      eq.category = t.text;
      eq.category_is_string = true;
      eq.category_span = t.span;
      advance();
    } else if (t.kind == Tok::kIdent && !is_miscased_keyword(t.text) &&
               (t.text == "any" || !is_keyword(t.text))) {
      eq.category = t.text;
      eq.any = t.text == "any";
      eq.category_span = t.span;
      advance();
    } else if (t.kind == Tok::kQuotedIdent) {
      eq.category = t.text;
      eq.category_span = t.span;
      advance();
    } else {
      unexpected(in_brackets ? "expected an event category (or 'any') after '['"
                             : "expected an event category, 'sequence' or 'sample'");
      return std::nullopt;
    }
    if (!expect_kw("where")) return std::nullopt;
    eq.condition = parse_expr();
    if (failed_) return std::nullopt;
    eq.span.length = peek().span.offset - eq.span.offset;
    return eq;
  }

  std::vector<NodePtr> parse_keys() {
    std::vector<NodePtr> keys;
    do {
      auto k = parse_arith();
      if (failed_) return keys;
      keys.push_back(std::move(k));
    } while (accept(Tok::kComma));
    return keys;
  }

  void parse_maxspan(Query& q) {
    // after "with"
    const Token& kw = peek();
    if (!expect_kw("maxspan")) return;
    if (!expect(Tok::kAssign, "'=' after maxspan")) return;
    const Token& num = peek();
    SourceSpan span = num.span;
    if (num.kind == Tok::kDecimal) {
      advance();
      fail(DiagCode::kInvalidMaxspan, num.span,
           "decimal time interval [" + num.text + "] not supported; use a smaller unit");
      return;
    }
    if (num.kind != Tok::kInteger) {
      unexpected("expected a time span such as 5s after 'maxspan='");
      return;
    }
    std::string value = num.text;
    advance();
    std::string unit;
    if (peek().kind == Tok::kIdent && !is_keyword(peek().text)) {
      unit = peek().text;
      span = join(span, peek().span);
      advance();
    }
    if (unit.empty()) {
      fail(DiagCode::kInvalidMaxspan, span,
           "no time unit specified, did you mean [s] as in [" + value + "s]?");
      return;
    }
    std::int64_t mult = 0;
    if (unit == "ms")
      mult = 1;
    else if (unit == "s")
      mult = 1000;
    else if (unit == "m")
      mult = 60'000;
    else if (unit == "h")
      mult = 3'600'000;
    else if (unit == "d")
      mult = 86'400'000;
    else {
      fail(DiagCode::kInvalidMaxspan, span,
           "unrecognized time unit [" + unit + "], please specify one of [ms, s, m, h, d]");
      return;
    }
    errno = 0;
    char* end = nullptr;
    long long n = std::strtoll(value.c_str(), &end, 10);
    if (errno != 0 || n > INT64_MAX / mult / 1'000'000) {
      fail(DiagCode::kInvalidMaxspan, span, "maxspan value is too large");
      return;
    }
    if (n <= 0) {
      fail(DiagCode::kInvalidMaxspan, span, "a positive maxspan value is required");
      return;
    }
    q.maxspan_ms = n * mult;
    q.maxspan_text = value + unit;
    q.maxspan_span = join(kw.span, span);
  }

  // Skips to the ']' closing the current stage (recovery after an error inside it).
  void recover_stage() {
    int depth = 0;
    while (peek().kind != Tok::kEnd && peek().kind != Tok::kError) {
      Tok k = peek().kind;
      if (k == Tok::kLBracket || k == Tok::kLParen) ++depth;
      if (k == Tok::kRParen && depth > 0) --depth;
      if (k == Tok::kRBracket) {
        if (depth == 0) {
          advance();
          return;
        }
        --depth;
      }
      advance();
    }
  }

  std::optional<Stage> parse_stage(bool allow_runs, bool allow_missing) {
    Stage st;
    st.span.offset = peek().span.offset;
    if (peek().kind == Tok::kBang) {
      if (!allow_missing) {
        fail(DiagCode::kInvalidSequence, peek().span,
             "a missing-event stage '![...]' is not allowed here");
        return std::nullopt;
      }
      st.missing = true;
      advance();
    }
    SourceSpan open = peek().span;
    if (!expect(Tok::kLBracket, "'[' to open a stage")) return std::nullopt;
    auto eq = parse_event_query(true);
    if (failed_) {
      // Report this stage's error, then continue with the next stage.
      failed_ = false;
      recover_stage();
      recovered_ = true;
      return std::nullopt;
    }
    st.query = std::move(*eq);
    if (peek().kind != Tok::kRBracket) {
      if (peek().kind == Tok::kIdent && is_kw("by")) {
        fail(DiagCode::kUnclosedStage, peek().span,
             "expected ']' to close the sequence stage before its 'by' keys");
      } else if (peek().kind == Tok::kEnd) {
        fail(DiagCode::kUnclosedStage, open,
             "expected ']' to close the sequence stage opened here");
      } else {
        unexpected("expected ']' to close the sequence stage");
      }
      return std::nullopt;
    }
    advance();
    for (int round = 0; round < 2; ++round) {
      if (is_kw("as")) {
        advance();
        if (peek().kind != Tok::kIdent) {
          unexpected("expected an alias name after 'as'");
          return std::nullopt;
        }
        st.alias = advance().text;
      }
      if (is_kw("by") && st.keys.empty()) {
        advance();
        st.keys = parse_keys();
        if (failed_) return std::nullopt;
      }
    }
    if (is_kw("with") && is_kw("runs", 1)) {
      const Token& w = advance();
      advance();
      if (!expect(Tok::kAssign, "'=' after runs")) return std::nullopt;
      const Token& n = peek();
      if (n.kind != Tok::kInteger) {
        unexpected("expected an integer after 'runs='");
        return std::nullopt;
      }
      advance();
      long long v = std::strtoll(n.text.c_str(), nullptr, 10);
      if (n.text.size() > 4 || v < 1 || v > 100) {
        fail(DiagCode::kInvalidRuns, join(w.span, n.span),
             "runs must be between 1 and 100, found " + n.text);
        return std::nullopt;
      }
      if (!allow_runs) {
        fail(DiagCode::kInvalidSequence, join(w.span, n.span), "'with runs' is not allowed here");
        return std::nullopt;
      }
      st.runs = static_cast<int>(v);
    }
    st.span.length = peek().span.offset - st.span.offset;
    return st;
  }

  void parse_sequence(Query& q) {
    const Token& seq = advance();
    q.kind = QueryKind::kSequence;
    if (accept_kw("by")) {
      q.shared_keys = parse_keys();
      if (failed_) return;
    }
    if (is_kw("with")) {
      advance();
      parse_maxspan(q);
      if (failed_) return;
      if (is_kw("by")) {
        fail(DiagCode::kInvalidSequence, peek().span,
             "please specify sequence [by] before [with] not after");
        return;
      }
    }
    parse_stages(q, true);
    if (failed_) return;
    if (accept_kw("until")) {
      auto u = parse_stage(false, false);
      if (failed_) return;
      if (u) q.until = std::move(*u);
    }
    validate_sequence(q, seq.span);
  }

  void parse_stages(Query& q, bool is_sequence) {
    while (peek().kind == Tok::kLBracket || (is_sequence && peek().kind == Tok::kBang)) {
      auto st = parse_stage(is_sequence, is_sequence);
      if (failed_) return;
      if (st) q.stages.push_back(std::move(*st));
    }
    if (q.stages.empty() && !recovered_) unexpected("expected '[' to open a stage");
  }

  void validate_sequence(Query& q, SourceSpan seq_span) {
    if (recovered_) return;
    std::size_t total = 0, positive = 0;
    bool any_missing = false;
    for (auto& s : q.stages) {
      total += static_cast<std::size_t>(s.runs);
      if (!s.missing) ++positive;
      any_missing |= s.missing;
    }
    if (total < 2) {
      fail(DiagCode::kInvalidSequence, seq_span,
           "a sequence needs at least two stages (or one stage 'with runs=N' where N >= 2)");
      return;
    }
    if (positive == 0) {
      fail(DiagCode::kInvalidSequence, seq_span, "a sequence needs at least one positive stage");
      return;
    }
    if (any_missing && !q.maxspan_ms) {
      fail(DiagCode::kInvalidSequence, seq_span,
           "a sequence with a missing-event stage '![...]' requires 'with maxspan'");
      return;
    }
    check_key_counts(q);
  }

  void check_key_counts(Query& q) {
    std::size_t n = q.stages.front().keys.size();
    auto check = [&](const Stage& s) {
      if (s.keys.size() != n && !failed_) {
        fail(DiagCode::kInvalidSequence, s.span,
             "every stage must have the same number of 'by' keys: the first has " +
                 std::to_string(n) + ", this one " + std::to_string(s.keys.size()));
      }
    };
    for (auto& s : q.stages) check(s);
    if (q.until) check(*q.until);
  }

  void parse_sample(Query& q) {
    const Token& kw = advance();
    q.kind = QueryKind::kSample;
    if (accept_kw("by")) {
      q.shared_keys = parse_keys();
      if (failed_) return;
    }
    if (is_kw("with")) {
      fail(DiagCode::kInvalidSequence, peek().span, "'with' is not supported in samples");
      return;
    }
    parse_stages(q, false);
    if (failed_ || recovered_) return;
    if (is_kw("until")) {
      fail(DiagCode::kInvalidSequence, peek().span, "'until' is not supported in samples");
      return;
    }
    if (q.stages.size() < 2) {
      fail(DiagCode::kInvalidSequence, kw.span, "a sample needs at least two stages");
      return;
    }
    check_key_counts(q);
  }

  void parse_pipes(Query& q) {
    while (peek().kind == Tok::kPipe) {
      advance();
      const Token& name = peek();
      if (name.kind != Tok::kIdent) {
        unexpected("expected a pipe name after '|'");
        return;
      }
      advance();
      if (name.text != "head" && name.text != "tail") {
        fail(DiagCode::kUnsupportedPipe, name.span,
             "pipe [" + name.text +
                 "] is not supported; Elasticsearch EQL has only 'head' and 'tail'");
        return;
      }
      Pipe p;
      p.name = name.text;
      p.span = name.span;
      if (peek().kind == Tok::kInteger) {
        const Token& n = advance();
        if (n.text.size() > 12) {
          fail(DiagCode::kInvalidNumber, n.span, "pipe count is too large");
          return;
        }
        p.count = std::strtoll(n.text.c_str(), nullptr, 10);
        p.span = join(p.span, n.span);
      } else {
        p.count = 10;  // Elasticsearch's default result size
      }
      q.pipes.push_back(p);
    }
  }

  // ---- expressions ---------------------------------------------------------
  NodePtr make(NodeKind k, SourceSpan span) {
    auto n = std::make_unique<Node>();
    n->kind = k;
    n->span = span;
    return n;
  }

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

  NodePtr parse_or() {
    DepthGuard g(*this);
    if (!g.ok) return nullptr;
    return parse_chain("or", NodeKind::kOr, &Parser::parse_and);
  }

  NodePtr parse_and() { return parse_chain("and", NodeKind::kAnd, &Parser::parse_not); }

  NodePtr parse_not() {
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

  static std::optional<CompareOp> compare_op(Tok k) {
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

  NodePtr parse_compare() {
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

  static std::optional<ArithOp> additive_op(Tok k) {
    if (k == Tok::kPlus) return ArithOp::kAdd;
    if (k == Tok::kMinus) return ArithOp::kSub;
    return std::nullopt;
  }
  static std::optional<ArithOp> multiplicative_op(Tok k) {
    if (k == Tok::kStar) return ArithOp::kMul;
    if (k == Tok::kSlash) return ArithOp::kDiv;
    if (k == Tok::kPercent) return ArithOp::kMod;
    return std::nullopt;
  }

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
  NodePtr parse_term() {
    return parse_left_assoc(&Parser::multiplicative_op, &Parser::parse_unary);
  }

  NodePtr parse_unary() {
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

  // `~` immediately after the previous token (no whitespace).
  bool accept_tilde() {
    if (peek().kind == Tok::kTilde && !peek().space_before) {
      advance();
      return true;
    }
    return false;
  }

  NodePtr parse_predicate(NodePtr value) {
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

  // After '(' : expr (',' expr)* ')'
  void parse_list(Node& n) {
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

  NodePtr parse_primary_no_predicate() {
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

  NodePtr parse_number(const Token& t) {
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

  NodePtr parse_primary() {
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
        if (peek().space_before ||
            (peek().kind != Tok::kIdent && peek().kind != Tok::kQuotedIdent)) {
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

  bool field_segment(Node& n) {
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

  NodePtr parse_field() {
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

  NodePtr parse_call(bool tilde) {
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

  NodePtr parse_lineage() {
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

  bool expect(Tok k, const std::string& what) {
    if (accept(k)) return true;
    unexpected("expected " + what);
    return false;
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
  DiagSink& diags_;
  ParseOptions opts_;
  std::size_t depth_ = 0;
  bool failed_ = false;
  bool recovered_ = false;
};

}  // namespace

std::optional<Query> parse(std::string_view text, DiagSink& diags, const ParseOptions& opts) {
  if (text.size() > opts.max_query_length) {
    diags.error(DiagCode::kQueryTooLong, {0, 0},
                "the query is " + std::to_string(text.size()) + " bytes, over the limit of " +
                    std::to_string(opts.max_query_length));
    return std::nullopt;
  }
  auto toks = lex(text, diags);
  return Parser(std::move(toks), diags, opts).run();
}

}  // namespace eqlpp::syntax
