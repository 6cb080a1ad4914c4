// SPDX-License-Identifier: Apache-2.0
// Event-filter semantics, as Elasticsearch answers them (eql-semantics.md §3-§5).
// Each case: a condition, an event, and whether `any where <condition>` matches.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <thread>

#include "compile/matchers.hpp"
#include "eqlpp/eqlpp.hpp"

namespace {

// Runs `any where cond` over one JSON event. -1 = compile error.
int match(const std::string& cond, const std::string& event_fields,
          const eqlpp::CompileOptions& copts = {}) {
  auto r = eqlpp::compile("any where " + cond, eqlpp::RuleMetadata{}, copts, "<query>");
  if (!r) {
    ADD_FAILURE() << cond << "\n" << r.error().render();
    return -1;
  }
  eqlpp::Engine e;
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  std::string line = "{\"@timestamp\":\"2026-01-01T00:00:00Z\"" +
                     (event_fields.empty() ? std::string() : "," + event_fields) + "}";
  auto st = e.push_json(line);
  EXPECT_TRUE(st.ok()) << line << ": " << st.message();
  e.finish();
  return n;
}

struct Case {
  const char* cond;
  const char* event;  // JSON members without braces
  bool expected;
};

// Present value / missing field / null / array / wrong type, per operator.
const Case kCases[] = {
    // == (case-sensitive, exact, '*' literal)
    {"f == \"a\"", "\"f\":\"a\"", true},
    {"f == \"a\"", "\"f\":\"A\"", false},
    {"f == \"a\"", "", false},
    {"f == \"a\"", "\"f\":null", false},
    {"f == \"a\"", "\"f\":[\"b\",\"a\"]", true},
    {"f == \"a*\"", "\"f\":\"abc\"", false},
    {"f == \"a*\"", "\"f\":\"a*\"", true},
    {"f == 1", "\"f\":1", true},
    {"f == 1", "\"f\":1.0", true},
    {"f == 1", "\"f\":\"1\"", true},  // keyword field: the literal 1 becomes the term "1"
    {"f == 1", "\"f\":\"1.0\"", false},
    {"f < 5", "\"f\":\"10\"", true},  // keyword range: compared as text
    {"f in (1, 2)", "\"f\":\"2\"", true},
    {"f in (\"2\")", "\"f\":2", true},  // numeric field: the literal "2" becomes 2
    {"f == \"80\"", "\"f\":80", true},
    {"f == 1", "\"f\":\"x\"", false},
    {"f == true", "\"f\":true", true},
    {"f == true", "\"f\":\"true\"", true},
    // != is must_not(term): true on missing, null, and arrays without the value
    {"f != \"a\"", "\"f\":\"b\"", true},
    {"f != \"a\"", "\"f\":\"a\"", false},
    {"f != \"a\"", "", true},
    {"f != \"a\"", "\"f\":null", true},
    {"f != \"a\"", "\"f\":[\"b\",\"a\"]", false},
    {"f != true", "", true},  // the seed rule's code_signature.trusted != true
    {"f != true", "\"f\":false", true},
    {"f != true", "\"f\":true", false},
    {"not f == \"a\"", "", true},
    // ordering: false on missing, also under `not` (not (f > 1) => f <= 1)
    {"f > 1", "\"f\":2", true},
    {"f > 1", "", false},
    {"not f > 1", "", false},
    {"not f > 1", "\"f\":0", true},
    {"not (f > 1 and g == 2)", "\"g\":3", true},
    {"not (f > 1 and g == 2)", "\"g\":2", false},
    {"f >= 1.5", "\"f\":[0,2]", true},
    {"f < \"b\"", "\"f\":\"a\"", true},
    {"f < \"B\"", "\"f\":\"a\"", false},  // case-sensitive ordering
    {"f <= 3", "\"f\":\"x\"", false},
    // null tests
    {"f == null", "", true},
    {"f == null", "\"f\":null", true},
    {"f == null", "\"f\":\"\"", false},  // "" is a value
    {"f != null", "", false},
    {"f != null", "\"f\":[1]", true},
    {"not f == null", "\"f\":1", true},
    // : is case-insensitive (ASCII only), wildcards, whole value
    {"f : \"ab*\"", "\"f\":\"ABC\"", true},
    {"f : \"b*\"", "\"f\":\"abc\"", false},
    {"f : \"a?c\"", "\"f\":\"abc\"", true},
    {"f : \"a?c\"",
     "\"f\":\"a\xc3\xa9"
     "c\"",
     true},  // ? is one character, not one byte
    {"f : \"a?c\"", "\"f\":\"abbc\"", false},
    {"f : \"\xc3\x89\"", "\"f\":\"\xc3\xa9\"", false},  // É : é is false (ASCII folding only)
    {"f : \"C:\\\\Windows\\\\*.exe\"", "\"f\":\"c:\\\\windows\\\\system32\\\\cmd.EXE\"", true},
    {"f : (\"x\", \"*y\")", "\"f\":\"ZZY\"", true},
    {"f : \"a*\"", "", false},
    {"not f : \"a*\"", "", true},
    {"f : 1", "\"f\":1", true},
    {"f : \"*\"", "\"f\":\"\"", true},
    // like is case-sensitive, like~ is not
    {"f like \"A*\"", "\"f\":\"abc\"", false},
    {"f like~ \"A*\"", "\"f\":\"abc\"", true},
    {"f like (\"*.exe\", \"*.dll\")", "\"f\":[\"a.txt\",\"b.dll\"]", true},
    {"f like \"*a*a*a*a*a*b\"", "\"f\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac\"", false},
    // in / in~ / not in
    {"f in (\"a\", \"b\")", "\"f\":\"b\"", true},
    {"f in (\"a\", \"b\")", "\"f\":\"B\"", false},
    {"f in~ (\"a\", \"b\")", "\"f\":\"B\"", true},
    {"f in (\"a*\")", "\"f\":\"abc\"", false},  // no wildcards in `in`
    {"f in (1, 2)", "\"f\":2.0", true},
    {"f not in (\"a\")", "", true},
    {"f not in (\"a\")", "\"f\":[\"a\",\"b\"]", false},
    // regex: Lucene syntax, anchored, \d is a literal d
    {"f regex \"[a-z]+[0-9]{2}\"", "\"f\":\"abc12\"", true},
    {"f regex \"[a-z]+\"", "\"f\":\"abc12\"", false},
    {"f regex~ \"ABC.*\"", "\"f\":\"abcdef\"", true},
    {"f regex \"ABC.*\"", "\"f\":\"abcdef\"", false},
    {"f regex \"a\\\\d\"", "\"f\":\"ad\"", true},
    {"f regex \"a\\\\d\"", "\"f\":\"a1\"", false},
    {"f regex \"a@\"", "\"f\":\"axyz\"", true},
    {"f regex \"<1-10>\"", "\"f\":\"7\"", true},
    {"f regex \"(a|b)+\\\\.exe\"", "\"f\":\"abba.exe\"", true},
    // functions
    {"startsWith(f, \"ab\")", "\"f\":\"abc\"", true},
    {"startsWith(f, \"AB\")", "\"f\":\"abc\"", false},
    {"startsWith~(f, \"AB\")", "\"f\":\"abc\"", true},
    {"startswith~(f, \"AB\")", "\"f\":\"abc\"", true},
    {"endsWith(f, \".exe\")", "\"f\":[\"a.dll\",\"b.exe\"]", true},
    {"stringContains(f, \"\")", "\"f\":\"abc\"", false},
    {"stringContains~(f, \"B\")", "\"f\":\"abc\"", true},
    {"not startsWith(f, \"a\")", "", true},
    {"length(f) == 3", "\"f\":\"abc\"", true},
    {"length(f) == 2", "\"f\":\"\xf0\x9f\x98\x80\"", true},  // UTF-16 code units
    {"length(f) > 0", "", false},
    {"substring(f, 0, -1) == \"ab\"", "\"f\":\"abc\"", true},
    {"substring(f, -2) == \"bc\"", "\"f\":\"abc\"", true},
    {"indexOf(f, \"c\") == 2", "\"f\":\"abc\"", true},
    {"indexOf(f, \"z\") == null", "\"f\":\"abc\"", true},
    {"between(f, \"a\", \"c\") == \"b\"", "\"f\":\"abc\"", true},
    {"concat(f, \"-\", g) == \"a-1\"", "\"f\":\"a\",\"g\":1", true},
    {"concat(f, g) == null", "\"f\":\"a\"", true},
    {"string(f) == \"42\"", "\"f\":42", true},
    {"number(f) == 16", "\"f\":\"0x10\"", true},
    {"number(f, 2) == 5", "\"f\":\"101\"", true},
    {"add(f, 1) == 3", "\"f\":2", true},
    {"f + 1 == 3", "\"f\":2", true},
    {"f / 2 == 2", "\"f\":5", true},  // integer division truncates
    {"f / 2 == 2.5", "\"f\":5.0", true},
    {"f / 0 == null", "\"f\":5", true},
    {"modulo(f, -6) == 4", "\"f\":10", true},
    {"-f == -3", "\"f\":3", true},
    {"cidrMatch(ip, \"10.0.0.0/8\", \"192.168.0.0/16\")", "\"ip\":\"10.1.2.3\"", true},
    {"cidrMatch(ip, \"10.0.0.0/8\")", "\"ip\":\"11.1.2.3\"", false},
    {"cidrMatch(ip, \"2001:db8::/32\")", "\"ip\":\"2001:db8::1\"", true},
    {"cidrMatch(ip, \"10.0.0.0/8\")", "\"ip\":\"not an ip\"", false},
    {"cidrMatch(ip, \"10.0.0.0/8\")", "", false},
    {"not cidrMatch(ip, \"10.0.0.0/8\")", "", true},
    {"cidrMatch(ip, \"0.0.0.0/0\")", "\"ip\":\"203.0.113.9\"", true},
    {"cidrMatch(ip, \"10.0.0.0/8\")", "\"ip\":\"::ffff:10.9.8.7\"", true},
    {"cidrMatch(ip, \"10.0.0.0/8\", \"fe80::/10\")", "\"ip\":[\"192.0.2.1\",\"fe80::1\"]", true},
    // null inside a value expression is three-valued
    {"null == (f > -1)", "", true},
    {"null == (f > -1)", "\"f\":3", false},
    // a boolean field as a condition
    {"f", "\"f\":true", true},
    {"f", "\"f\":false", false},
    {"not f", "", true},
    // nested objects and dotted keys both resolve
    {"a.b.c == 1", "\"a\":{\"b\":{\"c\":1}}", true},
    {"a.b.c == 1", "\"a.b\":{\"c\":1}", true},
    {"a.b.c == 1", "\"a.b.c\":1", true},
    {"a.b == \"x\"", "\"a\":[{\"b\":\"y\"},{\"b\":\"x\"}]", true},
    {"`a b` == 1", "\"a b\":1", true},
};

TEST(Eval, Table) {
  for (const auto& c : kCases)
    EXPECT_EQ(match(c.cond, c.event), c.expected ? 1 : 0) << c.cond << "  on  {" << c.event << "}";
}

TEST(Eval, CategoryIsAnArrayTestAndAnyMatchesWithoutIt) {
  auto run = [](const char* q, const char* ev) {
    auto r = eqlpp::compile(q);
    EXPECT_TRUE(r.ok());
    eqlpp::Engine e;
    e.add_rule(*r);
    int n = 0;
    e.on_alert([&](const eqlpp::Alert&) { ++n; });
    EXPECT_TRUE(e.push_json(ev).ok());
    return n;
  };
  EXPECT_EQ(run("file where true", R"({"@timestamp":1,"event":{"category":["file","malware"]}})"),
            1);
  EXPECT_EQ(
      run("malware where true", R"({"@timestamp":1,"event":{"category":["file","malware"]}})"), 1);
  EXPECT_EQ(run("process where true", R"({"@timestamp":1,"event":{"category":["file"]}})"), 0);
  EXPECT_EQ(run("process where true", R"({"@timestamp":1,"event":{"category":"Process"}})"), 0);
  EXPECT_EQ(run("any where true", R"({"@timestamp":1})"), 1);
}

TEST(Eval, CategoryOverride) {
  eqlpp::RuleMetadata m;
  m.event_category_override = "event.type";
  auto r = eqlpp::compile("change where true", m, {}, "<q>");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  EXPECT_TRUE(
      e.push_json(R"({"@timestamp":1,"event":{"type":["change"],"category":["iam"]}})").ok());
  EXPECT_EQ(n, 1);
}

struct CompileError {
  const char* query;
  eqlpp::DiagCode code;
};

TEST(Compile, Rejections) {
  const CompileError cases[] = {
      {"any where a == b", eqlpp::DiagCode::kFieldComparison},
      {"any where a < length(b)", eqlpp::DiagCode::kFieldComparison},
      {"any where a in (b, \"x\")", eqlpp::DiagCode::kFieldComparison},
      {"any where a : b", eqlpp::DiagCode::kFieldComparison},
      {"any where foo(a)", eqlpp::DiagCode::kUnknownFunction},
      {"any where wildcard(a, \"x\")", eqlpp::DiagCode::kUnknownFunction},
      {"any where length(a, b) == 1", eqlpp::DiagCode::kWrongArity},
      {"any where startsWith(a)", eqlpp::DiagCode::kWrongArity},
      {"any where length~(a) == 1", eqlpp::DiagCode::kInsensitiveNotAllowed},
      {"any where startsWith(a, 1)", eqlpp::DiagCode::kWrongArgumentType},
      {"any where add(a, \"x\") == 1", eqlpp::DiagCode::kWrongArgumentType},
      {"any where cidrMatch(a, \"10.0.0.0/33\")", eqlpp::DiagCode::kInvalidCidr},
      {"any where a regex \"a~b\"", eqlpp::DiagCode::kInvalidRegex},
      {"any where a regex \"(ab\"", eqlpp::DiagCode::kInvalidRegex},
      {"any where number(\"zz\") == 1", eqlpp::DiagCode::kWrongArgumentType},
      {"any where length(a)", eqlpp::DiagCode::kNotAPredicate},
      {"any where \"x\"", eqlpp::DiagCode::kNotAPredicate},
      {"any where _arraysearch(a, $e, $e.x == 1)", eqlpp::DiagCode::kNotSupportedYet},
      {"any where descendant of [process where true]", eqlpp::DiagCode::kNotSupportedYet},
      {"sequence [a where true] as e0 [b where x : e0.y]", eqlpp::DiagCode::kNotSupportedYet},
  };
  for (const auto& c : cases) {
    auto r = eqlpp::compile(c.query);
    ASSERT_FALSE(r.ok()) << c.query;
    EXPECT_EQ(r.error()[0].code, c.code) << c.query << "\n" << r.error().render();
  }
  auto r = eqlpp::compile("any where _arraysearch(a, $e, true)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()[0].code, eqlpp::DiagCode::kNotSupportedYet);
}

TEST(Compile, ConstantsFoldAndNotPushesDown) {
  auto r = eqlpp::compile("process where not (a > 1 and b == 2) and 1 + 1 == 2");
  ASSERT_TRUE(r.ok());
  std::string plan = r->explain();
  EXPECT_NE(plan.find("a[any] <= 1"), std::string::npos) << plan;
  EXPECT_NE(plan.find("not (true when the field is missing)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("1 + 1"), std::string::npos) << plan;
}

// A backquoted field name may hold any byte, \x01 (the prefix of the
// engine's internal fields) too: explain shows it as written instead of
// reading it as an internal name (a fuzzer found explain() throwing
// std::out_of_range on `\x01\x03`.xl).
TEST(Explain, AFieldNamedLikeAnInternalOneIsShownAsWritten) {
  for (const char* q : {"any where `\x01\x03`.xl == 1",
                        "any where `\x01"
                        "alias:`.x == 1",
                        "any where `\x01` == 1"}) {
    auto r = eqlpp::compile(q);
    ASSERT_TRUE(r.ok()) << q;
    std::string plan;
    EXPECT_NO_THROW(plan = r->explain()) << q;
    EXPECT_NE(plan.find("== 1"), std::string::npos) << plan;
    auto again = eqlpp::compile(r->canonical_query());
    EXPECT_TRUE(again.ok()) << r->canonical_query();
  }
}

TEST(Matchers, WildcardSetShapesAndLargeLists) {
  using eqlpp::compiler::WildcardSet;
  std::vector<std::string> pats = {"exact", "pre*", "*suf", "*mid*", "a?c*d"};
  for (int i = 0; i < 40; ++i) pats.push_back("x" + std::to_string(i) + "*y?z");   // anchored globs
  for (int i = 0; i < 20; ++i) pats.push_back("*in" + std::to_string(i) + "*");    // RE2::Set path
  for (int i = 0; i < 12; ++i) pats.push_back("p" + std::to_string(i * 7) + "*");  // by length
  WildcardSet s(pats, false);
  EXPECT_TRUE(s.match("a_in17_b"));
  EXPECT_FALSE(s.match("a_i_n1_b"));
  EXPECT_TRUE(s.match("p77!"));
  EXPECT_FALSE(s.match("p8"));
  EXPECT_TRUE(s.match("exact"));
  EXPECT_TRUE(s.match("prefix"));
  EXPECT_TRUE(s.match("thesuf"));
  EXPECT_TRUE(s.match("amidb"));
  EXPECT_TRUE(s.match("abcxxd"));
  EXPECT_TRUE(s.match("x17hello_ykz"));
  EXPECT_FALSE(s.match("x17hello_ykzz"));
  EXPECT_FALSE(s.match("exac"));
  EXPECT_NE(s.describe().find("re2-set"), std::string::npos);
}

TEST(Matchers, PathologicalWildcardIsFast) {
  using eqlpp::compiler::Glob;
  Glob g("*a*a*a*a*a*a*a*a*b");
  std::string value(1 << 20, 'a');
  // Backtracking only to the last star keeps this O(n*m), not exponential.
  EXPECT_FALSE(g.match(value));
  value.back() = 'b';
  EXPECT_TRUE(g.match(value));
}

TEST(Matchers, LuceneTranslation) {
  std::string out, err;
  ASSERT_TRUE(eqlpp::compiler::lucene_to_re2("a.b\\d[^x-z]", false, out, err));
  EXPECT_EQ(out, "(?s)a.bd[^\\x{78}-\\x{7a}]") << out;
  ASSERT_TRUE(eqlpp::compiler::lucene_to_re2("ab[a-c]", true, out, err));
  EXPECT_EQ(out, "(?s)[Aa][Bb][\\x{61}-\\x{63}\\x{41}-\\x{43}]");
  EXPECT_FALSE(eqlpp::compiler::lucene_to_re2("a&b", false, out, err));
  EXPECT_NE(err.find("intersection"), std::string::npos);
}

}  // namespace

namespace {
// Reference glob: '*' any run of code points, '?' exactly one code point (UTF-8).
bool ref_glob(std::string_view p, std::string_view s) {
  if (p.empty()) return s.empty();
  if (p[0] == '*') {
    for (std::size_t i = 0;;) {
      if (ref_glob(p.substr(1), s.substr(i))) return true;
      if (i >= s.size()) return false;
      unsigned char c = static_cast<unsigned char>(s[i]);
      i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if (i > s.size()) return false;
    }
  }
  if (s.empty()) return false;
  if (p[0] == '?') {
    unsigned char c = static_cast<unsigned char>(s[0]);
    std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return n <= s.size() && ref_glob(p.substr(1), s.substr(n));
  }
  return p[0] == s[0] && ref_glob(p.substr(1), s.substr(1));
}

// A small deterministic generator for the property tests: rnd(n) is in [0, n).
struct XorShift {
  std::uint64_t x;
  std::uint64_t operator()(std::uint64_t n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x % n;
  }
};
}  // namespace

TEST(Glob, QuickRejectsAgreeWithAReferenceMatcher) {
  // Random patterns and values over a small alphabet with a 2-byte code point,
  // so prefixes, suffixes and leading '?'s collide often.
  const char* atoms[] = {"a", "b", ":", "\\", "\xc3\xa9"};
  XorShift rnd{88172645463325252ull};
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string p, s;
    for (auto n = rnd(7); n > 0; --n) {
      auto k = rnd(8);
      p += k == 5 ? "*" : k == 6 ? "?" : k == 7 ? "?:" : atoms[k];
    }
    for (auto n = rnd(8); n > 0; --n) s += atoms[rnd(5)];
    if (p.empty()) continue;
    eqlpp::compiler::Glob g(p);
    ASSERT_EQ(g.match(s), ref_glob(p, s)) << "pattern '" << p << "' value '" << s << "'";
    ++checked;
  }
  EXPECT_GT(checked, 15000);
}

// Patterns whose wildcards after the leading '?'s are all '*' take the
// no-backtracking path on ASCII values (leftmost literals in order between
// the prefix and the suffix); on a value with a multi-byte code point they
// take the general one. Both against the reference, with literals that
// repeat and overlap (`ab*ba` on "aba") so that a wrong bound would show.
TEST(Glob, StarOnlyPatternsAgreeWithAReferenceMatcher) {
  const char* atoms[] = {"a", "b", "ab", "\\", "\xc3\xa9"};
  XorShift rnd{5489ull};
  int checked = 0, matched = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string p;
    for (auto n = rnd(3); n > 0; --n) p += '?';
    for (auto n = 1 + rnd(6); n > 0; --n) p += rnd(3) == 0 ? "*" : atoms[rnd(4)];
    if (p.find('*') == std::string::npos) p.insert(p.size() / 2 + rnd(2), "*");
    std::string s;
    for (auto n = rnd(10); n > 0; --n) s += atoms[rnd(i % 4 == 0 ? 5 : 4)];
    eqlpp::compiler::Glob g(p);
    const bool want = ref_glob(p, s);
    ASSERT_EQ(g.match(s), want) << "pattern '" << p << "' value '" << s << "'";
    ++checked;
    matched += want;
  }
  EXPECT_GT(matched, 2000);  // both outcomes are exercised
  EXPECT_GT(checked - matched, 2000);
}

// A random list of every shape a WildcardSet sorts patterns into: exact
// values, `lit*` and `*lit` (more than eight of each: grouped by length),
// `*lit*` and globs with neither a leading nor a trailing literal (more
// than sixteen together: one RE2::Set), and globs that begin or end with
// one. Atoms include a two-byte code point, so that `?` and lengths differ.
namespace {

std::vector<std::string> random_wildcard_list(XorShift& rnd, std::size_t n) {
  const char* atoms[] = {"a", "b", ":", "\\", "\xc3\xa9"};
  auto lit = [&](std::uint64_t min) {
    std::string t;
    for (auto k = min + rnd(3); k > 0; --k) t += atoms[rnd(5)];
    return t;
  };
  auto any = [&] { return rnd(2) ? std::string("?") : std::string("*"); };
  std::vector<std::string> pats;
  while (pats.size() < n) {
    switch (rnd(6)) {
      case 0: pats.push_back(lit(1)); break;                               // exact
      case 1: pats.push_back(lit(1) + "*"); break;                         // prefix
      case 2: pats.push_back("*" + lit(1)); break;                         // suffix
      case 3: pats.push_back("*" + lit(2) + "*"); break;                   // contains
      case 4: pats.push_back("*" + lit(1) + any() + lit(1) + "*"); break;  // searched glob
      default: pats.push_back(lit(1) + any() + lit(0) + (rnd(2) ? "*" : "")); break;  // anchored
    }
  }
  return pats;
}

// Values that often match: a pattern with its wildcards filled in, or random atoms.
std::string random_wildcard_value(XorShift& rnd, const std::vector<std::string>& pats) {
  const char* atoms[] = {"a", "b", ":", "\\", "\xc3\xa9"};
  std::string v;
  if (rnd(2)) {
    for (char c : pats[rnd(pats.size())]) {
      if (c == '*')
        for (auto k = rnd(3); k > 0; --k) v += atoms[rnd(5)];
      else if (c == '?')
        v += atoms[rnd(5)];
      else
        v += c;
    }
  } else {
    for (auto k = rnd(8); k > 0; --k) v += atoms[rnd(5)];
  }
  return v;
}

// A value long enough for a large list's RE2::Set (WildcardSet searches
// shorter ones pattern by pattern): filler no pattern's literal has (`z`,
// a three-byte code point), then `tail`, which decides.
std::string long_value(XorShift& rnd, const std::string& tail) {
  std::string v;
  while (v.size() < 300) v += rnd(2) ? "z" : "\xe4\xb8\xad";
  return v + tail;
}

bool ref_any(const std::vector<std::string>& pats, std::string_view v) {
  for (const auto& p : pats)
    if (ref_glob(p, v)) return true;
  return false;
}

}  // namespace

TEST(Matchers, WildcardSetAgreesWithAReferenceForEveryShape) {
  XorShift rnd{0x5851F42D4C957F2Dull};
  int matched = 0, missed = 0, with_set = 0, grouped = 0;
  for (int round = 0; round < 60; ++round) {
    const auto pats = random_wildcard_list(rnd, 4 + rnd(120));
    const eqlpp::compiler::WildcardSet set(pats, false);
    with_set += set.describe().find("re2-set") != std::string::npos;
    grouped += pats.size() > 60;
    for (int i = 0; i < 200; ++i) {
      std::string v = random_wildcard_value(rnd, pats);
      if (i % 20 == 0) v = long_value(rnd, v);
      const bool want = ref_any(pats, v);
      ASSERT_EQ(set.match(v), want) << "value '" << v << "' in round " << round;
      (want ? matched : missed)++;
    }
  }
  EXPECT_GT(with_set, 10);
  EXPECT_GT(grouped, 10);
  EXPECT_GT(matched, 2000);
  EXPECT_GT(missed, 1000);
}

// A large list's RE2::Set is compiled at its first match. Threads that
// match one list at once from the start (rules are shared between engines)
// all get the answers of a reference matcher; under ThreadSanitizer (CI)
// this also checks that the compile is not a data race.
TEST(Matchers, ALargeListCompiledAtFirstMatchAgreesAcrossThreads) {
  XorShift rnd{0x2545F4914F6CDD1Dull};
  const auto pats = random_wildcard_list(rnd, 100);
  std::vector<std::string> values;
  std::vector<char> expected;
  for (int i = 0; i < 400; ++i) {
    values.push_back(long_value(rnd, random_wildcard_value(rnd, pats)));
    expected.push_back(ref_any(pats, values.back()) ? 1 : 0);
  }
  ASSERT_GT(std::count(expected.begin(), expected.end(), 1), 40);
  ASSERT_GT(std::count(expected.begin(), expected.end(), 0), 20);
  const eqlpp::compiler::WildcardSet set(pats, false);
  ASSERT_NE(set.describe().find("re2-set"), std::string::npos) << set.describe();
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::size_t i = 0; i < values.size(); ++i)
        if (set.match(values[i]) != (expected[i] != 0)) ++wrong[static_cast<std::size_t>(t)];
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

// CidrSet against a bit-by-bit reference: an IPv4 address is in an IPv4
// network when its first `bits` bits agree; an IPv6 address likewise with
// IPv6 networks, and an IPv4-mapped IPv6 address (::ffff:a.b.c.d) with the
// IPv4 networks as a.b.c.d; an IPv4 address is in no IPv6 network.
TEST(Matchers, CidrSetAgreesWithABitwiseReference) {
  XorShift rnd{0x9E3779B97F4A7C15ull};
  struct Net {
    std::array<std::uint8_t, 16> b{};
    int bits = 0;
    bool v6 = false;
  };
  // Few distinct octets, so that addresses fall in and out of networks often.
  const std::uint8_t octets[] = {0, 10, 11, 172, 192, 255, 0x80, 0x0f};
  auto v4 = [&](std::array<std::uint8_t, 16>& b) {
    for (int i = 0; i < 4; ++i) b[static_cast<std::size_t>(i)] = octets[rnd(8)];
    return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
           std::to_string(b[3]);
  };
  auto v6 = [&](std::array<std::uint8_t, 16>& b) {
    std::string t;
    for (int i = 0; i < 8; ++i) {
      const std::uint8_t hi = octets[rnd(8)], lo = octets[rnd(8)];
      b[static_cast<std::size_t>(2 * i)] = hi;
      b[static_cast<std::size_t>(2 * i + 1)] = lo;
      char buf[8];
      std::snprintf(buf, sizeof buf, "%x", (hi << 8) | lo);
      t += (i ? ":" : "") + std::string(buf);
    }
    return t;
  };
  auto prefix_equal = [](const std::uint8_t* a, const std::uint8_t* b, int bits) {
    for (int i = 0; i < bits; ++i) {
      const int bit = 7 - i % 8;
      if (((a[i / 8] >> bit) & 1) != ((b[i / 8] >> bit) & 1)) return false;
    }
    return true;
  };
  int in = 0, out = 0;
  for (int round = 0; round < 400; ++round) {
    eqlpp::compiler::CidrSet set;
    std::vector<Net> nets;
    for (auto n = 1 + rnd(5); n > 0; --n) {
      Net net;
      net.v6 = rnd(3) == 0;
      std::string text = net.v6 ? v6(net.b) : v4(net.b);
      const int max = net.v6 ? 128 : 32;
      net.bits = rnd(4) == 0 ? max : static_cast<int>(rnd(static_cast<std::uint64_t>(max) + 1));
      if (net.bits != (net.v6 ? 128 : 32) || rnd(2)) text += "/" + std::to_string(net.bits);
      ASSERT_TRUE(set.add(text)) << text;
      nets.push_back(net);
    }
    for (int k = 0; k < 50; ++k) {
      std::array<std::uint8_t, 16> a{};
      bool a6 = false, mapped = false;
      std::string text;
      switch (rnd(4)) {
        case 0: text = v4(a); break;
        case 1: {  // a network's own address with one bit flipped: near the prefix's edge
          const Net& n = nets[rnd(nets.size())];
          a = n.b;
          const auto bit = rnd(n.v6 ? 128 : 32);
          a[bit / 8] = static_cast<std::uint8_t>(a[bit / 8] ^ (0x80 >> (bit % 8)));
          char buf[64];
          if (n.v6) {
            in6_addr six;
            std::memcpy(&six, a.data(), 16);
            inet_ntop(AF_INET6, &six, buf, sizeof buf);
            a6 = true;
          } else {
            std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
          }
          text = buf;
          // inet_ntop writes some IPv6 addresses as ::ffff:a.b.c.d
          if (n.v6 && text.rfind("::ffff:", 0) == 0 && text.find('.') != std::string::npos) {
            mapped = true;
            std::copy_n(a.begin() + 12, 4, a.begin());
          }
          break;
        }
        case 2:
          text = v6(a);
          a6 = true;
          break;
        default: {
          std::array<std::uint8_t, 16> b{};
          text = "::ffff:" + v4(b);
          std::copy_n(b.begin(), 4, a.begin());
          a6 = mapped = true;
        }
      }
      bool expected = false;
      for (const Net& n : nets) {
        if (n.v6 && a6 && !mapped) expected |= prefix_equal(a.data(), n.b.data(), n.bits);
        if (!n.v6 && (!a6 || mapped)) expected |= prefix_equal(a.data(), n.b.data(), n.bits);
        if (n.v6 && mapped) {  // ::ffff:a.b.c.d is also an IPv6 address
          std::array<std::uint8_t, 16> m{};
          m[10] = m[11] = 0xff;
          std::copy_n(a.begin(), 4, m.begin() + 12);
          expected |= prefix_equal(m.data(), n.b.data(), n.bits);
        }
      }
      ASSERT_EQ(set.contains(text), expected) << text;
      (expected ? in : out)++;
    }
  }
  EXPECT_GT(in, 2000);
  EXPECT_GT(out, 2000);
}

namespace {

// The function signature table decides null arguments for constant folding
// and evaluation alike: number()'s base and indexOf()'s start default, any
// other null argument makes the call null.
TEST(Functions, NullArgumentsFoldAndEvaluateAlike) {
  EXPECT_EQ(match("indexOf(\"abcb\", \"b\", null) == 1", ""), 1);            // folded
  EXPECT_EQ(match("indexOf(s, \"b\", nothing) == 1", "\"s\":\"abcb\""), 1);  // evaluated
  EXPECT_EQ(match("number(\"42\", null) == 42", ""), 1);
  EXPECT_EQ(match("cidrMatch(ip, \"10.0.0.0/8\", null) == null", "\"ip\":\"10.1.2.3\""),
            1);  // folded, though `ip` is a field
  EXPECT_EQ(match("number(s, nothing) == 42", "\"s\":\"42\""), 1);
  EXPECT_EQ(match("substring(\"abc\", 1, null) == \"bc\"", ""), 0);  // null: not true
  EXPECT_EQ(match("substring(s, 1, nothing) == \"bc\"", "\"s\":\"abc\""), 0);
  EXPECT_EQ(match("substring(s, 1, nothing) == null", "\"s\":\"abc\""), 1);
}

}  // namespace

namespace {

// Date fields compared with literals as Elasticsearch's term and range
// queries on a `date` field do (DateFieldMapper: a term query is a range
// from the literal rounded down to the literal rounded up, at the literal's
// precision; gt/lte round up, gte/lt round down).
int match_date(const std::string& cond, const std::string& t,
               eqlpp::CompileOptions copts = {.date_fields = {"t"}}) {
  return match(cond, "\"t\":" + t, copts);
}

TEST(Dates, EqualityMatchesTheWholeSpanOfTheLiteralsPrecision) {
  const std::string in = "\"2017-08-30T20:47:33.456Z\"", next = "\"2017-08-30T20:47:34Z\"";
  EXPECT_EQ(match_date("t == \"2017-08-30T20:47:33Z\"", in), 1);  // the second
  EXPECT_EQ(match_date("t == \"2017-08-30T20:47:33Z\"", next), 0);
  EXPECT_EQ(match_date("t == \"2017-08-30T20:47Z\"", in), 1);  // the minute
  EXPECT_EQ(match_date("t == \"2017-08-30\"", in), 1);         // the day
  EXPECT_EQ(match_date("t == \"2017-08-31\"", in), 0);
  EXPECT_EQ(match_date("t == \"2017-08-30T22:47:33+02:00\"", in), 1);  // offsets
  EXPECT_EQ(match_date("t == \"2017-08-30T20:47:33.456Z\"", "\"2017-08-30T20:47:33.456789Z\""),
            1);  // `date` keeps milliseconds
  EXPECT_EQ(match_date("t == \"2017-08-30T20:47:33.456Z\"", "\"2017-08-30T20:47:33.457Z\""), 0);
  EXPECT_EQ(match_date("t == \"2017-08-30T20:47:33Z\"", "1504126053999"), 1);  // epoch ms
  EXPECT_EQ(match_date("t != \"2017-08-30T20:47:33Z\"", in), 0);
  EXPECT_EQ(match_date("t != \"2017-08-30T20:47:33Z\"", next), 1);
  // Without the mapping the field is a keyword: the text is compared.
  EXPECT_EQ(match_date("t == \"2017-08-30T20:47:33Z\"", in, {}), 0);
}

TEST(Dates, RangesRoundAtTheLiteralsPrecision) {
  const std::string in = "\"2017-08-30T20:47:33.456Z\"";
  EXPECT_EQ(match_date("t < \"2017-08-30T20:47:33Z\"", in), 0);   // lt: rounded down
  EXPECT_EQ(match_date("t <= \"2017-08-30T20:47:33Z\"", in), 1);  // lte: rounded up
  EXPECT_EQ(match_date("t > \"2017-08-30T20:47:33Z\"", in), 0);   // gt: rounded up
  EXPECT_EQ(match_date("t >= \"2017-08-30T20:47:33Z\"", in), 1);  // gte: rounded down
  EXPECT_EQ(match_date("t > \"2017-08-30T20:47:32Z\"", in), 1);
  EXPECT_EQ(match_date("\"2017-08-30T20:47:33Z\" < t", in), 0);  // mirrored
  EXPECT_EQ(match_date("not t < \"2017-08-30T20:47:33Z\"", in), 1);
  EXPECT_EQ(match_date("t >= 1504126053000", in), 1);  // a number is epoch milliseconds
  EXPECT_EQ(match_date("t > 1504126053000", in), 1);   // epoch ms is exact to the millisecond
  EXPECT_EQ(match_date("t > 1504126053456", in), 0);
  EXPECT_EQ(match_date("t < \"2017-08-31\"", "1504126053456"), 1);
}

TEST(Dates, NanosecondFieldsAndTheDefaultTimestampField) {
  eqlpp::CompileOptions nanos{.date_fields = {}, .date_nanos_fields = {"t"}};
  EXPECT_EQ(
      match_date("t == \"2017-08-30T20:47:33.456Z\"", "\"2017-08-30T20:47:33.456789Z\"", nanos),
      0);  // `date_nanos` keeps nanoseconds
  EXPECT_EQ(match_date("t == \"2017-08-30T20:47:33Z\"", "\"2017-08-30T20:47:33.456789Z\"", nanos),
            1);
  // @timestamp is a date by default.
  auto r = eqlpp::compile("any where @timestamp == \"1970-01-01T00:00:00Z\"");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  ASSERT_TRUE(e.push_json(R"({"@timestamp":"1970-01-01T00:00:00.999Z"})").ok());
  e.finish();
  EXPECT_EQ(n, 1);
}

TEST(Dates, AnInvalidDateLiteralIsACompileError) {
  auto r = eqlpp::compile("any where @timestamp < \"yesterday\"");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), eqlpp::DiagCode::kWrongArgumentType);
  EXPECT_NE(r.error()[0].message.find("not a date"), std::string::npos);
}

TEST(Dates, AMappingSaysWhichFieldsAreDates) {
  eqlpp::CompileOptions o;
  auto st = eqlpp::load_mapping(R"({"logs": {"mappings": {"properties": {
      "@timestamp": {"type": "keyword"},
      "event": {"properties": {"created": {"type": "date_nanos"}, "ingested": {"type": "date"}}},
      "host": {"properties": {"name": {"type": "keyword"}}}}}}})",
                                o);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(o.date_fields, std::vector<std::string>{"event.ingested"});
  EXPECT_EQ(o.date_nanos_fields, std::vector<std::string>{"event.created"});
  EXPECT_EQ(eqlpp::load_mapping("{", o).code(), eqlpp::DiagCode::kInvalidMapping);
  EXPECT_EQ(eqlpp::load_mapping(R"({"a": 1, "b": 2})", o).code(), eqlpp::DiagCode::kInvalidMapping);
  EXPECT_EQ(o.date_nanos_fields, std::vector<std::string>{"event.created"});  // unchanged
}

}  // namespace

namespace {

// `?x == ?y`: Elasticsearch reads an optional field its mapping lacks as
// null, so two such fields compare as null == null; without a mapping eqlpp
// cannot know and keeps rejecting field comparisons.
TEST(OptionalFields, UnmappedOptionalFieldsAreNullWhenAMappingIsKnown) {
  eqlpp::CompileOptions o;
  ASSERT_TRUE(eqlpp::load_mapping(R"({"properties": {"a": {"type": "keyword"}}})", o).ok());
  auto run = [&](const std::string& cond, const std::string& fields) {
    auto r = eqlpp::compile("any where " + cond, eqlpp::RuleMetadata{}, o, "<q>");
    if (!r) return -1;
    eqlpp::Engine e;
    e.add_rule(*r);
    int n = 0;
    e.on_alert([&](const eqlpp::Alert&) { ++n; });
    EXPECT_TRUE(e.push_json("{\"@timestamp\":1" + fields + "}").ok());
    e.finish();
    return n;
  };
  EXPECT_EQ(run("?x == ?y", ""), 1);
  EXPECT_EQ(run("?x != ?y", ""), 0);
  EXPECT_EQ(run("?x == ?y", ",\"x\":1,\"y\":2"), 1);  // not mapped: null whatever the event says
  EXPECT_EQ(run("?x == \"v\"", ",\"x\":\"v\""), 0);
  EXPECT_EQ(run("?x == a", ""), 1);  // null == a: a is null
  EXPECT_EQ(run("?x == a", ",\"a\":\"v\""), 0);
  EXPECT_EQ(run("?a == \"v\"", ",\"a\":\"v\""), 1);  // mapped: a field as before
  EXPECT_EQ(run("?a == ?x", ",\"a\":\"v\""), 0);
  // Without a mapping, a comparison of two fields is still rejected.
  auto r = eqlpp::compile("any where ?x == ?y");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), eqlpp::DiagCode::kFieldComparison);
}

}  // namespace
