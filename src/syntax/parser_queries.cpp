// SPDX-License-Identifier: Apache-2.0
// The parser: queries, sequences, samples, stages and pipes.
#include <cerrno>
#include <cstdlib>

#include "syntax/parser_impl.hpp"

namespace eqlpp::syntax {

std::optional<EventQuery> Parser::parse_event_query(bool in_brackets) {
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

std::vector<NodePtr> Parser::parse_keys() {
  std::vector<NodePtr> keys;
  do {
    auto k = parse_arith();
    if (failed_) return keys;
    keys.push_back(std::move(k));
  } while (accept(Tok::kComma));
  return keys;
}

void Parser::parse_maxspan(Query& q) {
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

void Parser::recover_stage() {
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

std::optional<Stage> Parser::parse_stage(bool allow_runs, bool allow_missing) {
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
      fail(DiagCode::kUnclosedStage, open, "expected ']' to close the sequence stage opened here");
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

void Parser::parse_sequence(Query& q) {
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

void Parser::parse_stages(Query& q, bool is_sequence) {
  while (peek().kind == Tok::kLBracket || (is_sequence && peek().kind == Tok::kBang)) {
    auto st = parse_stage(is_sequence, is_sequence);
    if (failed_) return;
    if (st) q.stages.push_back(std::move(*st));
  }
  if (q.stages.empty() && !recovered_) unexpected("expected '[' to open a stage");
}

void Parser::validate_sequence(Query& q, SourceSpan seq_span) {
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

void Parser::check_key_counts(Query& q) {
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

void Parser::parse_sample(Query& q) {
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

void Parser::parse_pipes(Query& q) {
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

}  // namespace eqlpp::syntax
