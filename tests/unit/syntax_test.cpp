// SPDX-License-Identifier: Apache-2.0
// Table-driven front-end tests: query -> AST dump, and query -> diagnostic code.
#include <gtest/gtest.h>

#include "diag/diag.hpp"
#include "syntax/parser.hpp"

namespace {

using eqlpp::DiagCode;

struct Parsed {
  std::optional<eqlpp::syntax::Query> q;
  eqlpp::Diagnostics diags;
};

Parsed parse(const std::string& text, eqlpp::syntax::ParseOptions opts = {}) {
  eqlpp::DiagSink sink(std::make_shared<eqlpp::SourceFile>("<q>", text));
  auto q = eqlpp::syntax::parse(text, sink, opts);
  return {std::move(q), sink.take()};
}

std::string dump(const std::string& text) {
  auto p = parse(text);
  if (!p.q) return "ERROR: " + p.diags.render();
  return eqlpp::syntax::dump(*p.q);
}

struct AstCase {
  const char* query;
  const char* ast;
};

const AstCase kAstCases[] = {
    {"process where true", "(where \"process\" true)"},
    {"any where false", "(where any false)"},
    {"\"my-category\" where x == 1", "(where \"my-category\" (== (field x) 1))"},
    {"process where a == 1 and b != \"x\" or not c < 2",
     "(where \"process\" (or (and (== (field a) 1) (!= (field b) \"x\")) (not (< (field c) 2))))"},
    {"process where not a == 1 and b == 2",
     "(where \"process\" (and (not (== (field a) 1)) (== (field b) 2)))"},
    {"process where a + b in (1, 2)", "(where \"process\" (+ (field a) (in (field b) 1 2)))"},
    {"process where a * 2 + 1 > -3", "(where \"process\" (> (+ (* (field a) 2) 1) (neg 3)))"},
    {"process where a not in (\"x\", \"y\")", "(where \"process\" (not-in (field a) \"x\" \"y\"))"},
    {"process where a in~ (\"x\")", "(where \"process\" (in~ (field a) \"x\"))"},
    {"process where a : \"x*\"", "(where \"process\" (: (field a) \"x*\"))"},
    {"process where a : (\"x*\", \"y\")", "(where \"process\" (: (field a) \"x*\" \"y\"))"},
    {"process where a like~ \"X\"", "(where \"process\" (like~ (field a) \"X\"))"},
    {"process where a regex \"[a-z]+\"", "(where \"process\" (regex (field a) \"[a-z]+\"))"},
    {"process where startsWith~(a, \"x\")",
     "(where \"process\" (call startsWith~ (field a) \"x\"))"},
    {"process where ?a.b == null", "(where \"process\" (== (field ?a.b) null))"},
    {"process where `my field`.x == 1", "(where \"process\" (== (field `my field`.x) 1))"},
    {"process where a.`0`.b == 1", "(where \"process\" (== (field a.`0`.b) 1))"},
    {"process where `a``b` == 1", "(where \"process\" (== (field `a``b`) 1))"},
    {"process where a == \"\\t\\n\\\\\\\"\\u{e9}\"",
     "(where \"process\" (== (field a) \"\\t\\n\\\\\\\"\xc3\xa9\"))"},
    {"process where a == \"\"\"C:\\x\\\"\"\"",
     "(where \"process\" (== (field a) \"C:\\\\x\\\\\"))"},
    {"process where a == \"\"\"x=1\"\"\"\"", "(where \"process\" (== (field a) \"x=1\\\"\"))"},
    {"process where a == 1.5e3 and b == .5",
     "(where \"process\" (and (== (field a) 1500.0) (== (field b) 0.5)))"},
    {"process where /* c */ a // line\n == 1", "(where \"process\" (== (field a) 1))"},
    {"sequence by h with maxspan=5s [process where true] by a [file where true] by b",
     "(sequence (by (field h)) (maxspan 5000ms) (stage (where \"process\" true) (by (field a))) "
     "(stage (where "
     "\"file\" true) (by (field b))))"},
    {"sequence [a where true] with runs=3", "(sequence (stage (where \"a\" true) (runs 3)))"},
    {"sequence with maxspan=1h [a where true] ![b where true]",
     "(sequence (maxspan 3600000ms) (stage (where \"a\" true)) (missing (where \"b\" true)))"},
    {"sequence [a where true] [b where true] until [c where true]",
     "(sequence (stage (where \"a\" true)) (stage (where \"b\" true)) (until (stage (where \"c\" "
     "true))))"},
    {"sample by h [a where true] [b where true]",
     "(sample (by (field h)) (stage (where \"a\" true)) (stage (where \"b\" true)))"},
    {"process where true | head 5 | tail 2", "(where \"process\" true) (head 5) (tail 2)"},
    {"sequence [a where true] as e0 [b where x == e0.y]",
     "(sequence (stage (where \"a\" true) (as e0)) (stage (where \"b\" (== (field x) (field "
     "e0.y)))))"},
    {"process where _arraysearch(a, $entry, $entry.b == 1)",
     "(where \"process\" (call _arraysearch (field a) (field $entry) (== (field $entry.b) 1)))"},
    {"process where descendant of [process where a == 1]",
     "(where \"process\" (descendant-of process (== (field a) 1)))"},
    // '@' starts an identifier but does not continue one (a fuzzer found a hang here).
    {"process where @timestamp > 1 and a.@b == 2",
     "(where \"process\" (and (> (field @timestamp) 1) (== (field a.@b) 2)))"},
    {"process where `a@b`.x == 1", "(where \"process\" (== (field `a@b`.x) 1))"},
    {"process where a == - -1 and b == -(-(2))",
     "(where \"process\" (and (== (field a) (neg (neg 1))) (== (field b) (neg (neg 2)))))"},
    {"process where a == 9223372036854775808",
     "(where \"process\" (== (field a) 9223372036854775808.0))"},
};

TEST(Parser, TableOfAsts) {
  for (const auto& c : kAstCases) EXPECT_EQ(dump(c.query), c.ast) << c.query;
}

TEST(Parser, PrinterRoundTrips) {
  for (const auto& c : kAstCases) {
    auto p = parse(c.query);
    ASSERT_TRUE(p.q) << c.query;
    std::string printed = eqlpp::syntax::print(*p.q);
    EXPECT_EQ(dump(printed), c.ast) << c.query << "\nprinted: " << printed;
  }
}

struct ErrorCase {
  const char* query;
  DiagCode code;
  const char* message_part;
};

const ErrorCase kErrors[] = {
    {"process where a < b < c", DiagCode::kChainedComparison, "cannot be chained"},
    {"process where a = 1", DiagCode::kAssignIsNotEquality, "'=='"},
    {"process where a == 'x'", DiagCode::kSingleQuotedString, "double quotes"},
    {"process where a == ?\"x\"", DiagCode::kSingleQuotedString, "triple double quotes"},
    {"process where a == 1 AND b == 2", DiagCode::kUppercaseKeyword, "'and'"},
    {"SEQUENCE [a where true] [b where true]", DiagCode::kUppercaseKeyword, "'sequence'"},
    {"process where a == \"\\w\"", DiagCode::kInvalidEscape, "invalid escape"},
    {"process where a == \"\\u{D}\"", DiagCode::kInvalidEscape, "[2-8] hex digits"},
    {"process where a == \"\\u{D800}\"", DiagCode::kInvalidEscape, "surrogate"},
    {"process where a == \"abc", DiagCode::kUnterminatedString, "unterminated"},
    {"process where a == 1 /* x", DiagCode::kUnterminatedComment, "*/"},
    {"process where a == #", DiagCode::kUnexpectedCharacter, "unexpected character"},
    {"sequence with maxspan=5 [a where true] [b where true]", DiagCode::kInvalidMaxspan, "[5s]"},
    {"sequence with maxspan=5y [a where true] [b where true]", DiagCode::kInvalidMaxspan,
     "[ms, s, m, h, d]"},
    {"sequence with maxspan=0s [a where true] [b where true]", DiagCode::kInvalidMaxspan,
     "positive"},
    {"sequence with maxspan=1.5h [a where true] [b where true]", DiagCode::kInvalidMaxspan,
     "ecimal"},
    {"sequence with maxspan=5s by a [x where true] [y where true]", DiagCode::kInvalidSequence,
     "before [with]"},
    {"sequence [a where true] with runs=101", DiagCode::kInvalidRuns, "between 1 and 100"},
    {"sequence [a where true] with runs=0", DiagCode::kInvalidRuns, "between 1 and 100"},
    {"sequence [a where true]", DiagCode::kInvalidSequence, "at least two stages"},
    {"sequence [a where true] ![b where true]", DiagCode::kInvalidSequence,
     "requires 'with maxspan'"},
    {"sequence [a where true] by x [b where true]", DiagCode::kInvalidSequence, "same number"},
    {"sequence [a where true] [b where true", DiagCode::kUnclosedStage, "']'"},
    {"process where true | unique a", DiagCode::kUnsupportedPipe, "only 'head' and 'tail'"},
    {"process where a : ~ \"x\"", DiagCode::kInsensitiveNotAllowed, "already case-insensitive"},
    {"process where", DiagCode::kUnexpectedToken, "expected a value"},
    {"process where a == 1 )", DiagCode::kUnexpectedToken, "end of query"},
    {"sample by a [x where true] [y where true] until [z where true]", DiagCode::kInvalidSequence,
     "until"},
};

TEST(Parser, TableOfErrors) {
  for (const auto& c : kErrors) {
    auto p = parse(c.query);
    EXPECT_FALSE(p.q) << c.query;
    ASSERT_FALSE(p.diags.empty()) << c.query;
    EXPECT_EQ(p.diags[0].code, c.code) << c.query << "\n" << p.diags.render();
    EXPECT_NE(p.diags[0].message.find(c.message_part), std::string::npos) << c.query << "\n"
                                                                          << p.diags.render();
  }
}

TEST(Parser, SeveralStageErrorsAreAllReported) {
  auto p = parse("sequence [a where x ==] [b where true] [c where == 2]");
  EXPECT_FALSE(p.q);
  EXPECT_EQ(p.diags.size(), 2u) << p.diags.render();
}

TEST(Parser, DeepNestingIsADiagnosticNotACrash) {
  std::string deep =
      "process where " + std::string(100000, '(') + "true" + std::string(100000, ')');
  auto p = parse(deep);
  EXPECT_FALSE(p.q);
  ASSERT_FALSE(p.diags.empty());
  EXPECT_EQ(p.diags[0].code, DiagCode::kNestingTooDeep);
  std::string nots = "process where ";
  for (int i = 0; i < 100000; ++i) nots += "not ";
  nots += "true";
  p = parse(nots);
  EXPECT_FALSE(p.q);
  EXPECT_EQ(p.diags[0].code, DiagCode::kNestingTooDeep);
  std::string minus = "process where a == " + std::string(100000, '-') + "1";
  p = parse(minus);
  EXPECT_FALSE(p.q);
  EXPECT_EQ(p.diags[0].code, DiagCode::kNestingTooDeep);
}

TEST(Parser, LongFlatChainsAreFine) {
  std::string q = "process where a == 0";
  for (int i = 1; i < 5000; ++i) q += " or a == " + std::to_string(i);
  auto p = parse(q);
  ASSERT_TRUE(p.q) << p.diags.render();
  EXPECT_EQ(p.q->event.condition->children.size(), 5000u);
}

TEST(Parser, QueryLengthLimit) {
  eqlpp::syntax::ParseOptions o;
  o.max_query_length = 20;
  auto p = parse("process where a == \"a long string\"", o);
  EXPECT_FALSE(p.q);
  EXPECT_EQ(p.diags[0].code, DiagCode::kQueryTooLong);
}

TEST(Diagnostics, RenderWithCaretUnderTheToken) {
  auto p = parse("process where a == 1\n  and b = 2");
  ASSERT_FALSE(p.q);
  EXPECT_EQ(p.diags[0].render(),
            "<q>:2:9: error: '=' is not an equality operator in EQL: write '==' [E1008]\n"
            " 2 |   and b = 2\n"
            "   |         ^");
}

TEST(Diagnostics, CaretIsUtf8AndTabAware) {
  auto p = parse("process where\t\"\xc3\xa9\xc3\xa9\" == 'x'");
  ASSERT_FALSE(p.q);
  std::string r = p.diags[0].render();
  // Column counts characters (the tab is one); the excerpt expands the tab to 4.
  EXPECT_EQ(r,
            "<q>:1:23: error: use double quotes [\"] to define string literals, not single quotes "
            "['] [E1004]\n"
            " 1 | process where   \"\xc3\xa9\xc3\xa9\" == 'x'\n"
            "   |                         ^~~");
}

TEST(Diagnostics, JsonForm) {
  auto p = parse("process where a = 1");
  ASSERT_FALSE(p.q);
  EXPECT_EQ(p.diags[0].to_json(),
            "{\"file\":\"<q>\",\"line\":1,\"column\":17,\"offset\":16,\"length\":1,\"severity\":"
            "\"error\","
            "\"code\":\"E1008\",\"message\":\"'=' is not an equality operator in EQL: write "
            "'=='\",\"notes\":[]}");
}

}  // namespace
