// SPDX-License-Identifier: Apache-2.0
// JSON ingestion: projection, nesting, arrays, timestamps, malformed input.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "compile/field_table.hpp"
#include "eqlpp/alert.hpp"
#include "eqlpp/eqlpp.hpp"
#include "eqlpp/harness.hpp"
#include "ingest/json_decoder.hpp"

namespace {

std::int64_t ts(const char* s) {
  auto ns = eqlpp::parse_timestamp(s);
  EXPECT_TRUE(ns.ok()) << s;
  return ns.ok() ? *ns : 0;
}

TEST(Timestamp, Iso8601AndEpochMillis) {
  EXPECT_EQ(ts("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ts("2026-11-29T04:03:23Z"), 1795925003LL * 1'000'000'000);
  EXPECT_EQ(ts("2026-11-29T04:03:23.5Z"), 1795925003LL * 1'000'000'000 + 500'000'000);
  EXPECT_EQ(ts("2026-11-29T04:03:23.123456789Z"), 1795925003LL * 1'000'000'000 + 123'456'789);
  EXPECT_EQ(ts("2026-11-29T05:03:23+01:00"), ts("2026-11-29T04:03:23Z"));
  EXPECT_EQ(ts("2026-11-28T23:03:23-0500"), ts("2026-11-29T04:03:23Z"));
  EXPECT_EQ(ts("2026-11-29"), ts("2026-11-29T00:00:00Z"));
  EXPECT_EQ(ts("1795925003000"), ts("2026-11-29T04:03:23Z"));
  EXPECT_LT(ts("1800-01-01T00:00:00Z"), 0);  // +-200 years around 1970 fit int64 nanoseconds
  for (const char* bad :
       {"", "yesterday", "2026-13-01T00:00:00Z", "2026-11-29T25:00:00Z", "2026-11-29T04:03:23X",
        "2026-11-29T04:03:23.Z", "99999-01-01T00:00:00Z", "1e400", "1600-01-01T00:00:00Z"})
    EXPECT_EQ(eqlpp::parse_timestamp(bad).code(), eqlpp::DiagCode::kInvalidTimestamp) << bad;
  EXPECT_EQ(eqlpp::format_timestamp(ts("2026-11-29T04:03:23.120Z")), "2026-11-29T04:03:23.120Z");
  EXPECT_EQ(eqlpp::format_timestamp(ts("2026-11-29T04:03:23.000000001Z")),
            "2026-11-29T04:03:23.000000001Z");
  EXPECT_EQ(eqlpp::format_timestamp(-1'000'000), "1969-12-31T23:59:59.999Z");
}

TEST(JsonDecoder, ProjectionNestingArraysAndTypes) {
  eqlpp::compiler::FieldTable t;
  auto a = t.intern("process.name"), b = t.intern("event.type"), c = t.intern("n"),
       d = t.intern("x.y.z"), e = t.intern("big"), f = t.intern("s");
  eqlpp::ingest::JsonDecoder dec;
  eqlpp::Record r;
  auto st = dec.decode(
      R"({"process":{"name":"cmd.exe","pid":4},"event":{"type":["end","info"]},"n":-3,)"
      R"("x.y":{"z":1.5},"big":18446744073709551615,"s":"caf\u00e9 \"q\"","skip":{"deep":[1,2]}})",
      t, r);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(r.values(a).size(), 1u);
  EXPECT_EQ(r.values(a)[0].as_string(), "cmd.exe");
  ASSERT_EQ(r.values(b).size(), 2u);
  EXPECT_EQ(r.values(b)[1].as_string(), "info");
  EXPECT_EQ(r.values(c)[0].as_int(), -3);
  EXPECT_EQ(r.values(d)[0].as_double(), 1.5);
  EXPECT_EQ(r.values(e)[0].kind(), eqlpp::Value::Kind::kDouble);
  EXPECT_EQ(r.values(f)[0].as_string(), "caf\xc3\xa9 \"q\"");
}

// A node with many projected kids (under all rules `process` has over a
// hundred) is looked up by hash: every field is still found, written nested,
// dotted or half of each, with escaped keys, and again after fields are added
// (the trie is rebuilt).
TEST(JsonDecoder, WideNodesFindEveryFieldNestedDottedOrEscaped) {
  eqlpp::compiler::FieldTable t;
  std::vector<eqlpp::FieldId> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(t.intern("process.f" + std::to_string(i)));
  // Two fields under one kid of a wide node: the second finds the first's node.
  const auto parent = t.intern("process.parent.name");
  const auto parent_pid = t.intern("process.parent.pid");
  eqlpp::ingest::JsonDecoder dec;
  eqlpp::Record r;
  auto check = [&](std::size_t fields) {
    // Every third field dotted at the top level, the others in one nested
    // object, some of those with an escaped key (\u0066 is 'f').
    std::string nested = R"("parent.name":"p","parent":{"pid":7},"unread":{"f1":0})", dotted;
    for (std::size_t i = 0; i < fields; ++i) {
      const std::string n = std::to_string(i);
      if (i % 3 == 0)
        dotted += R"(,"process.f)" + n + R"(":)" + n;
      else
        nested += (i % 5 == 1 ? R"(,"\u0066)" : R"(,"f)") + n + R"(":)" + n;
    }
    const std::string line = R"({"process":{)" + nested + "}" + dotted + "}";
    auto st = dec.decode(line, t, r);
    ASSERT_TRUE(st.ok()) << st.message() << "\n" << line;
    for (std::size_t i = 0; i < fields; ++i) {
      ASSERT_EQ(r.values(ids[i]).size(), 1u) << "process.f" << i << " in " << line;
      EXPECT_EQ(r.values(ids[i])[0].as_int(), static_cast<std::int64_t>(i));
    }
    ASSERT_EQ(r.values(parent).size(), 1u);
    EXPECT_EQ(r.values(parent)[0].as_string(), "p");
    ASSERT_EQ(r.values(parent_pid).size(), 1u);
    EXPECT_EQ(r.values(parent_pid)[0].as_int(), 7);
  };
  check(40);
  // Fields added after a decode: the trie (and its hashed kids) is rebuilt.
  for (int i = 40; i < 60; ++i) ids.push_back(t.intern("process.f" + std::to_string(i)));
  check(60);
}

TEST(JsonDecoder, MalformedInputIsAStatusNotACrash) {
  eqlpp::compiler::FieldTable t;
  t.intern("a");
  eqlpp::ingest::JsonDecoder dec;
  eqlpp::Record r;
  for (const char* bad :
       {"", "{", "{\"a\":}", "[1]", "\"x\"", "{\"a\":1}}", "{\"a\":\"\xff\xfe\"}"}) {
    auto st = dec.decode(bad, t, r);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_FALSE(st.message().empty());
  }
  EXPECT_TRUE(dec.decode("{\"a\":1}", t, r).ok());
}

TEST(Record, MultiValuedAddsStayContiguousAndOwnStrings) {
  eqlpp::Record r;
  std::string s1 = "one", s2 = "two";
  r.add(0, eqlpp::Value(std::string_view(s1)));
  r.add(1, eqlpp::Value(std::int64_t{5}));
  r.add(0, eqlpp::Value(std::string_view(s2)));
  r.add(2, eqlpp::Value());  // null is ignored
  r.own_strings();
  s1 = "xxx";
  s2 = "yyy";
  ASSERT_EQ(r.values(0).size(), 2u);
  EXPECT_EQ(r.values(0)[0].as_string(), "one");
  EXPECT_EQ(r.values(0)[1].as_string(), "two");
  EXPECT_TRUE(r.values(2).empty());
  r.clear();
  EXPECT_TRUE(r.values(0).empty());
}

}  // namespace

namespace {

TEST(Status, EveryEventErrorHasItsCode) {
  eqlpp::EngineOptions o;
  o.max_line_bytes = 100;
  o.max_json_depth = 3;
  eqlpp::Engine e(o);
  auto r = eqlpp::compile("process where a.b == 1");
  ASSERT_TRUE(r.ok());
  e.add_rule(*r);
  using eqlpp::DiagCode;
  EXPECT_EQ(e.push_json(R"({"@timestamp":1})").code(), DiagCode::kNone);
  EXPECT_EQ(e.push_json(R"({"@timestamp":1,)").code(), DiagCode::kInvalidJson);
  EXPECT_EQ(e.push_json(R"([1,2])").code(), DiagCode::kNotAnObject);
  EXPECT_EQ(e.push_json(R"({"event":{}})").code(), DiagCode::kInvalidTimestamp);
  EXPECT_EQ(e.push_json(R"({"@timestamp":"2026-02-30"})").code(), DiagCode::kInvalidTimestamp);
  EXPECT_EQ(e.push_json(R"({"@timestamp":1,"a":{"b":[[[[1]]]]}})").code(),
            DiagCode::kNestedTooDeep);
  EXPECT_EQ(e.push_json(std::string(200, ' ')).code(), DiagCode::kLineTooLong);
  EXPECT_EQ(e.trace("nope", [](const eqlpp::TraceEntry&) {}).code(), DiagCode::kNoSuchRule);
  EXPECT_EQ(e.stats().malformed, 6u);
  auto bad = eqlpp::compile("process where");
  EXPECT_EQ(bad.code(), DiagCode::kUnexpectedToken);
  EXPECT_EQ(r.code(), DiagCode::kNone);
}

}  // namespace

namespace {

TEST(EventBuilder, BracedLiteralsAreArrays) {
  auto j = eqlpp::EventBuilder().set("event.type", {"end"}).set("x", "one").to_json();
  EXPECT_NE(j.find(R"("type":["end"])"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("x":"one")"), std::string::npos) << j;
}

}  // namespace

namespace {

// Alerts (rule and event ordinals) and the counters an engine reaches over `lines`.
struct LinesRun {
  std::vector<std::string> alerts;
  std::uint64_t events_in = 0, malformed = 0, processed = 0;
};

LinesRun run_engine(const std::function<void(eqlpp::Engine&)>& feed) {
  eqlpp::Engine e;
  auto rules = eqlpp::load_rules(std::string(EQLPP_SOURCE_DIR) + "/rules");
  EXPECT_FALSE(rules.rules.empty());
  for (const auto& r : rules.rules) e.add_rule(r);
  e.add_rule(*eqlpp::compile(R"(process where process.name : "*.exe")"));
  LinesRun out;
  e.on_alert([&](const eqlpp::Alert& a) {
    std::string s = a.rule.query().substr(0, 20);
    for (const auto& ev : a.events)
      s += " " + std::to_string(ev.ordinal) + ":" + (ev.payload ? *ev.payload : std::string());
    out.alerts.push_back(s);
  });
  feed(e);
  e.finish();
  const auto st = e.stats();
  out.events_in = st.events_in;
  out.malformed = st.malformed;
  out.processed = st.events_processed;
  return out;
}

}  // namespace

// push_json_lines() over a whole buffer equals push_json() line by line:
// the same alerts (payloads included, so a line parsed where it lies is the
// line) and the same counters, on the sample events with malformed lines,
// blank lines and CRLF endings mixed in.
TEST(PushJsonLines, EqualsPushJsonLineByLine) {
  std::ifstream in(std::string(EQLPP_SOURCE_DIR) + "/examples/events.jsonl");
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_GT(lines.size(), 3000u);
  std::string text;
  std::vector<std::string> expected_lines;  // what push_json sees, in order
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i % 97 == 5) {
      text += "{\"@timestamp\": \"not a time\"}\n";
      expected_lines.push_back("{\"@timestamp\": \"not a time\"}");
    }
    if (i % 101 == 7) text += "\n  \n";  // blank lines: skipped
    if (i % 89 == 3) {
      text += "{\"broken\": [1, 2\n";
      expected_lines.push_back("{\"broken\": [1, 2");
    }
    text += lines[i] + (i % 2 ? "\r\n" : "\n");
    expected_lines.push_back(lines[i]);
  }
  text.pop_back();  // the last line without its newline
  if (text.back() == '\r') text.pop_back();
  std::vector<eqlpp::LineError> errors;
  std::size_t accepted = 0;
  const LinesRun batch = run_engine([&](eqlpp::Engine& e) {
    accepted = e.push_json_lines(text, [&](const eqlpp::LineError& err) { errors.push_back(err); });
  });
  const LinesRun single = run_engine([&](eqlpp::Engine& e) {
    for (const auto& l : expected_lines) (void)e.push_json(l);
  });
  EXPECT_GT(batch.alerts.size(), 10u);
  EXPECT_EQ(batch.alerts, single.alerts);
  EXPECT_EQ(batch.events_in, single.events_in);
  EXPECT_EQ(batch.malformed, single.malformed);
  EXPECT_EQ(batch.processed, single.processed);
  EXPECT_EQ(accepted, expected_lines.size() - batch.malformed);
  ASSERT_EQ(errors.size(), batch.malformed);
  for (const auto& err : errors) {  // each names its line: number and offset agree
    std::size_t number = 1;
    for (std::size_t k = 0; k < err.offset; ++k) number += text[k] == '\n';
    EXPECT_EQ(err.line, number);
    EXPECT_TRUE(err.offset == 0 || text[err.offset - 1] == '\n');
    EXPECT_FALSE(err.status.ok());
  }
}

TEST(PushJsonLines, PositionsOfBadLinesAndTheLastLine) {
  const std::string text =
      "\n"
      "{\"@timestamp\":1,\"event\":{\"category\":\"process\"},\"process\":{\"name\":\"a.exe\"}}\n"
      "nope\r\n"
      "{\"@timestamp\":2}\n"
      "{\"@timestamp\":3,\"event\":{\"category\":\"process\"},\"process\":{\"name\":\"b.exe\"}}";
  std::vector<eqlpp::LineError> errors;
  std::size_t accepted = 0;
  const LinesRun r = run_engine([&](eqlpp::Engine& e) {
    accepted = e.push_json_lines(text, [&](const eqlpp::LineError& x) { errors.push_back(x); });
  });
  EXPECT_EQ(accepted, 3u);  // lines 2, 4 and 5 (4 has a time and matches nothing)
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 3u);
  EXPECT_EQ(errors[0].offset, text.find("nope"));
  eqlpp::Engine one;  // the same error push_json() gives
  const eqlpp::Status alone = one.push_json("nope");
  EXPECT_EQ(errors[0].status.code(), alone.code());
  EXPECT_EQ(errors[0].status.message(), alone.message());
  EXPECT_EQ(r.alerts.size(), 2u);  // a.exe and b.exe, the last line without a newline
  EXPECT_EQ(r.malformed, 1u);
}
