// SPDX-License-Identifier: Apache-2.0
// Shared conditions (compile/shared_leaves.hpp, runtime/leaf_memo.hpp,
// EngineOptions::share_conditions): equal conditions in different rules get
// one slot, only where their result depends on the event's fields alone; a
// slot's result is the current event's; and results with sharing on equal
// results with it off. The literal prefilter of wildcard conditions
// (runtime/leaf_prefilter.hpp) against the conditions' own matchers.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "compile/field_table.hpp"
#include "compile/plan.hpp"
#include "eqlpp/eqlpp.hpp"
#include "runtime/eval.hpp"
#include "runtime/leaf_memo.hpp"
#include "runtime/leaf_prefilter.hpp"

namespace {

using eqlpp::compiler::PNode;
using eqlpp::runtime::LeafMemo;

eqlpp::Rule rule(const std::string& q, eqlpp::Dialect d = eqlpp::Dialect::kElasticsearch) {
  eqlpp::CompileOptions o;
  o.dialect = d;
  auto r = eqlpp::compile(q, eqlpp::RuleMetadata{}, o, "<q>");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().render());
  return *r;
}

const eqlpp::detail::CompiledRule& plan(const eqlpp::Rule& r) {
  return *eqlpp::detail::RuleAccess::plan(r);
}

// The slot of stage 0's filter (the whole condition) in `memo`.
std::uint32_t filter_slot(const LeafMemo& memo, std::uint32_t i, const eqlpp::Rule& r) {
  const PNode& f = *plan(r).stages[0].filter;
  return f.memo == PNode::kNoMemo ? LeafMemo::kNone : memo.table(i)[f.memo];
}

TEST(SharedLeaves, EqualConditionsShareOneSlotInAnyOrder) {
  const std::vector<eqlpp::Rule> rules = {
      rule(R"(process where process.name : "A.exe" and user.id == "1")"),
      rule(R"(process where user.id == "1" and process.name : "a.EXE")"),   // `:` folds case
      rule(R"(process where process.name == "a.exe" and user.id == "1")"),  // == does not
      rule(R"(process where user.id == 1)"),                                // another constant
  };
  LeafMemo memo;
  for (std::uint32_t i = 0; i < rules.size(); ++i) memo.add(i, plan(rules[i]));
  // Rules 0 and 1: the same `and` of the same three leaves (the category
  // test, process.name, user.id), read from one slot.
  const std::uint32_t s0 = filter_slot(memo, 0, rules[0]);
  EXPECT_NE(s0, LeafMemo::kNone);
  EXPECT_EQ(s0, filter_slot(memo, 1, rules[1]));
  // Rule 2 shares the leaves but not the whole; rule 3's constant is a number.
  EXPECT_EQ(filter_slot(memo, 2, rules[2]), LeafMemo::kNone);
  EXPECT_EQ(filter_slot(memo, 3, rules[3]), LeafMemo::kNone);
  // Slots: the `and` of rules 0 and 1, "process" (four rules), user.id ==
  // "1" (three), process.name : "a.exe" (two).
  EXPECT_EQ(memo.slots(), 4u);
  EXPECT_EQ(memo.shared_places(), 2u + 4u + 3u + 2u);
  EXPECT_EQ(memo.distinct(), 8u);  // also ==, user.id == 1 and two more `and`s
}

TEST(SharedLeaves, NothingThatReadsMoreThanTheEventIsNumbered) {
  // A value expression, `_arraysearch` (and what is inside), a stage alias.
  const eqlpp::Rule fn = rule(R"(process where length(process.name) > 3)");
  EXPECT_TRUE(plan(fn).memo_nodes.size() == 1);  // the category test only
  const eqlpp::Rule as =
      rule(R"(any where _arraysearch(a, $e, $e.x == 1) and b == 2)", eqlpp::Dialect::kEndpoint);
  ASSERT_EQ(plan(as).memo_nodes.size(), 1u);  // b == 2; not the `and` above _arraysearch
  EXPECT_EQ(plan(as).memo_nodes[0]->kind, PNode::Kind::kCompare);
  const eqlpp::Rule alias =
      rule(R"(sequence [process where true] as e0 [file where e0.process.name == "x"])",
           eqlpp::Dialect::kEndpoint);
  for (const PNode* p : plan(alias).memo_nodes) EXPECT_NE(p->kind, PNode::Kind::kCompare);
}

// A shared result is the current event's: after new_event() the slot is
// computed again, and an epoch's wrap clears every stamp.
TEST(SharedLeaves, ASlotHoldsTheCurrentEventsResult) {
  const eqlpp::Rule a = rule(R"(process where process.name : "x.exe")");
  const eqlpp::Rule b = rule(R"(process where process.name : "X.EXE")");
  LeafMemo memo;
  memo.add(0, plan(a));
  memo.add(1, plan(b));
  ASSERT_EQ(memo.slots(), 3u);  // the category test, the wildcard, their `and`
  eqlpp::compiler::FieldTable fields;
  std::vector<eqlpp::FieldId> map;
  for (const auto& f : plan(a).fields) map.push_back(fields.intern(f));
  ASSERT_EQ(plan(b).fields, plan(a).fields);
  eqlpp::runtime::EvalCtx ctx;
  ctx.memo_stamps.assign(memo.slots(), 0);
  auto eval = [&](std::uint32_t i, const eqlpp::Rule& r, const eqlpp::Record& rec) {
    ctx.rec = &rec;
    ctx.map = map.data();
    ctx.memo = memo.table(i);
    return eqlpp::runtime::eval_pred(*plan(r).stages[0].filter, ctx);
  };
  auto event = [&](const char* name) {
    eqlpp::Record rec;
    rec.add(fields.intern("event.category"), eqlpp::Value("process"));
    rec.add(fields.intern("process.name"), eqlpp::Value(name));
    return rec;
  };
  const eqlpp::Record yes = event("x.EXE"), no = event("y.exe");
  ctx.new_event();
  EXPECT_TRUE(eval(0, a, yes));
  EXPECT_TRUE(eval(1, b, yes));
  ctx.new_event();
  EXPECT_FALSE(eval(1, b, no));
  EXPECT_FALSE(eval(0, a, no));
  // Within one event the slot answers, whatever the record (which is how
  // one can see that it is read, not computed).
  EXPECT_FALSE(eval(0, a, yes));
  ctx.event = eqlpp::runtime::EvalCtx::kEvents - 1;
  ctx.new_event();  // wraps: every stamp cleared
  EXPECT_EQ(ctx.event, 1u);
  for (std::uint32_t s : ctx.memo_stamps) EXPECT_EQ(s, 0u);
  EXPECT_TRUE(eval(0, a, yes));
  ctx.new_event();
  EXPECT_FALSE(eval(1, b, no));
}

// Inside `_arraysearch` a field reads one element's values: a condition
// there must not take (or give) the result the same condition has over the
// whole event, in either rule order.
TEST(SharedLeaves, ArraySearchAndTheSameConditionOutsideIt) {
  const std::string inside = R"(any where _arraysearch(a, $e, $e.x == 1 and $e.y == "b"))";
  const std::string outside = R"(any where a.x == 1 and a.y == "b")";
  const std::string line =
      R"({"@timestamp":1,"a":[{"x":1,"y":"a"},{"x":2,"y":"b"}]})";  // not one element
  for (bool share : {true, false}) {
    for (bool inside_first : {true, false}) {
      eqlpp::EngineOptions o;
      o.share_conditions = share;
      eqlpp::Engine e(o);
      const eqlpp::Rule in = rule(inside, eqlpp::Dialect::kEndpoint);
      const eqlpp::Rule out = rule(outside, eqlpp::Dialect::kEndpoint);
      e.add_rule(inside_first ? in : out);
      e.add_rule(inside_first ? out : in);
      std::vector<std::string> alerts;
      e.on_alert([&](const eqlpp::Alert& al) { alerts.push_back(al.rule.query()); });
      ASSERT_TRUE(e.push_json(line).ok());
      e.finish();
      EXPECT_EQ(alerts, std::vector<std::string>{outside}) << share << inside_first;
    }
  }
}

// Many rules sharing conditions over a stream whose values change event by
// event: the alerts equal those without sharing.
TEST(SharedLeaves, SameAlertsAsWithoutSharing) {
  const std::vector<std::string> qs = {
      R"(process where process.name : ("a.exe", "b.exe") and not user.id == "0")",
      R"(process where not user.id == "0" and process.name : ("B.EXE", "a.exe"))",
      R"(process where process.name : ("a.exe", "b.exe") and user.id == "0")",
      R"(process where not (process.name : ("a.exe", "b.exe") and user.id == "0"))",
      R"(sequence by h [process where process.name : "a.exe"] [process where user.id == "0"])",
      R"(any where user.id in ("0", "1") or process.name : "c*")",
  };
  std::vector<std::string> lines;
  const char* names[] = {"a.exe", "B.exe", "c.exe", "d.exe"};
  for (int i = 0; i < 200; ++i)
    lines.push_back(R"({"@timestamp":)" + std::to_string(i) +
                    R"(,"event":{"category":"process"},"h":")" + std::to_string(i % 3) +
                    R"(","process":{"name":")" + names[(i * 7) % 4] + R"("},"user":{"id":")" +
                    std::to_string((i * 5) % 3) + R"("}})");
  auto run = [&](bool share) {
    eqlpp::EngineOptions o;
    o.share_conditions = share;
    eqlpp::Engine e(o);
    for (const auto& q : qs) e.add_rule(rule(q));
    std::vector<std::string> out;
    e.on_alert([&](const eqlpp::Alert& a) {
      std::string s = a.rule.query();
      for (const auto& ev : a.events) s += " " + std::to_string(ev.ordinal);
      out.push_back(s);
    });
    for (const auto& l : lines) EXPECT_TRUE(e.push_json(l).ok());
    e.finish();
    if (share) {
      EXPECT_GE(e.stats().shared_conditions, 4u);
    }
    return out;
  };
  const auto with = run(true), without = run(false);
  EXPECT_GT(with.size(), 100u);
  EXPECT_EQ(with, without);
}

}  // namespace

namespace {

using eqlpp::runtime::LeafPrefilter;

// Pieces text is made of: ASCII of both cases, dots, and two- to four-byte
// UTF-8 sequences, so that pieces overlap and split code points.
const std::vector<std::string> kBits = {"a",  "b", "A",  "B",  "x",   ".",    "é", "ü",
                                        "中", "😀", "ab", "aB", "exe", "ABab", "\\"};

std::string random_text(std::mt19937& rng, std::size_t max_bits) {
  std::string s;
  const std::size_t n = rng() % (max_bits + 1);
  for (std::size_t i = 0; i < n; ++i) s += kBits[rng() % kBits.size()];
  return s;
}

std::string random_pattern(std::mt19937& rng) {
  std::string s;
  const std::size_t n = 1 + rng() % 6;
  for (std::size_t i = 0; i < n; ++i) {
    const auto k = rng() % 10;
    s += k == 0 ? std::string("*") : k == 1 ? std::string("?") : kBits[rng() % kBits.size()];
  }
  return s;
}

// An EQL string literal of `s` (backslashes escaped).
std::string eql_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

// The literal prefilter never says "cannot match" of a value a wildcard
// condition matches: random patterns (`*`, `?` as one code point, case
// folding for `:`, multi-byte UTF-8) against random values, the
// condition's own matcher as the reference. And it does skip.
TEST(LeafPrefilter, SkipsOnlyWhatCannotMatch) {
  std::mt19937 rng(77);
  std::size_t skipped = 0, asked = 0, matched = 0;
  for (int round = 0; round < 150; ++round) {
    std::vector<eqlpp::Rule> rules;
    std::vector<std::string> patterns;
    for (const char* op : {" : ", " like "}) {
      std::string list;
      const std::size_t n = 1 + rng() % 6;
      for (std::size_t i = 0; i < n; ++i) {
        patterns.push_back(random_pattern(rng));
        list += (i ? ", " : "") + eql_string(patterns.back());
      }
      rules.push_back(rule("any where f" + std::string(op) + "(" + list + ")"));
    }
    eqlpp::compiler::FieldTable fields;
    LeafMemo memo;
    LeafPrefilter pf;
    std::vector<std::vector<eqlpp::FieldId>> maps;
    for (std::uint32_t i = 0; i < rules.size(); ++i) {
      maps.emplace_back();
      for (const auto& f : plan(rules[i]).fields) maps.back().push_back(fields.intern(f));
      memo.add(i, plan(rules[i]));
      pf.add(i, plan(rules[i]), maps.back(), memo);
    }
    eqlpp::runtime::EvalCtx ctx;
    for (int t = 0; t < 40; ++t) {
      // Half the time a pattern filled in (`*` by any text, `?` by one code
      // point, the case of ASCII letters flipped), so that matches occur.
      std::string value;
      if (rng() % 2 == 0) {
        for (char c : patterns[rng() % patterns.size()]) {
          if (c == '*')
            value += random_text(rng, 3);
          else if (c == '?')
            value += kBits[rng() % 10];  // the first ten are one code point each
          else if (rng() % 4 == 0 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            value += static_cast<char>(c ^ 0x20);
          else
            value += c;
        }
      } else {
        value = random_text(rng, 8);
      }
      eqlpp::Record rec;
      rec.add(fields.intern("f"), eqlpp::Value(std::string_view(value)));
      ctx.new_event();
      for (std::uint32_t i = 0; i < rules.size(); ++i) {
        const PNode& leaf = *plan(rules[i]).stages[0].filter;
        ASSERT_EQ(leaf.kind, PNode::Kind::kWildcard);
        const std::uint32_t id = pf.table(i)[leaf.memo];
        if (id == LeafPrefilter::kNone) continue;  // a literal under 4 bytes
        ctx.rec = &rec;
        ctx.map = maps[i].data();
        const bool truth = eqlpp::runtime::eval_node(leaf, ctx);
        // A field's first question of an event is answered true without a
        // filter; from the second on, the filter answers.
        (void)pf.may_match(id, rec, ctx);
        const bool may = pf.may_match(id, rec, ctx);
        ++asked;
        if (!may) ++skipped;
        if (truth) ++matched;
        ASSERT_TRUE(may || !truth) << rules[i].query() << " on " << value;
      }
    }
  }
  std::printf("prefilter: %zu questions, %zu skipped, %zu matched\n", asked, skipped, matched);
  EXPECT_GT(asked, 1000u);
  EXPECT_GT(matched, asked / 10);
  EXPECT_GT(skipped, asked / 4);
}

// A value that is not a string is matched as its text: never skipped; and a
// condition whose field has several values may match when any does.
TEST(LeafPrefilter, NumbersAndMultipleValues) {
  const eqlpp::Rule r = rule(R"(any where f : ("*12345*", "xyzw*"))");
  eqlpp::compiler::FieldTable fields;
  std::vector<eqlpp::FieldId> map;
  for (const auto& f : plan(r).fields) map.push_back(fields.intern(f));
  LeafMemo memo;
  memo.add(0, plan(r));
  LeafPrefilter pf;
  pf.add(0, plan(r), map, memo);
  const PNode& leaf = *plan(r).stages[0].filter;
  const std::uint32_t id = pf.table(0)[leaf.memo];
  ASSERT_NE(id, LeafPrefilter::kNone);
  eqlpp::runtime::EvalCtx ctx;
  auto may = [&](std::vector<eqlpp::Value> vals) {
    eqlpp::Record rec;
    for (const auto& v : vals) rec.add(fields.intern("f"), v);
    ctx.new_event();
    // The first question of the event: true, the filter is not filled for one.
    EXPECT_TRUE(pf.may_match(id, rec, ctx));
    return pf.may_match(id, rec, ctx);
  };
  EXPECT_FALSE(may({eqlpp::Value("abcd")}));
  EXPECT_TRUE(may({eqlpp::Value("abcd"), eqlpp::Value("XYZW.exe")}));  // `:` folds case
  // The next event's filter holds only its own values' pieces.
  EXPECT_FALSE(may({eqlpp::Value("abcd")}));
  EXPECT_TRUE(may({eqlpp::Value("a12345b")}));
  EXPECT_FALSE(may({eqlpp::Value("xyz"), eqlpp::Value("1x2x3x4x5")}));
  EXPECT_TRUE(may({eqlpp::Value(std::int64_t{9123456})}));  // its text may match
  EXPECT_FALSE(may({}));
}
