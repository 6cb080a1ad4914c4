// SPDX-License-Identifier: Apache-2.0
// Hostile input: each case ends in a diagnostic, a counted drop, or correct
// output — never a crash, a hang, or unbounded growth.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "eqlpp/eqlpp.hpp"

namespace {

std::string event(std::int64_t ms, const std::string& fields) {
  return "{\"@timestamp\":" + std::to_string(ms) + ",\"event\":{\"category\":\"process\"}" +
         (fields.empty() ? "" : "," + fields) + "}";
}

TEST(Hostile, HugeQueryStringIsALengthDiagnostic) {
  std::string q = "process where a == \"" + std::string(10u << 20, 'x') + "\"";
  auto r = eqlpp::compile(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()[0].code, eqlpp::DiagCode::kQueryTooLong);
  // With the limit raised, a 10 MB literal compiles and matches.
  auto r2 = eqlpp::compile(q, eqlpp::RuleMetadata{}, {.max_query_length = 16u << 20}, "<q>");
  ASSERT_TRUE(r2.ok());
}

TEST(Hostile, LargeInListCompilesToAHashSet) {
  // 200k items by default; the 1M-item list runs with EQLPP_SLOW=1 (ctest -L slow).
  const int items = std::getenv("EQLPP_SLOW") ? 1'000'000 : 200'000;
  std::string q = "process where a in (";
  for (int i = 0; i < items; ++i) q += (i ? ",\"v" : "\"v") + std::to_string(i) + "\"";
  q += ")";
  auto r = eqlpp::compile(q, eqlpp::RuleMetadata{}, {.max_query_length = 32u << 20}, "<q>");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  EXPECT_TRUE(e.push_json(event(1, "\"a\":\"v" + std::to_string(items - 1) + "\"")).ok());
  EXPECT_TRUE(e.push_json(event(2, "\"a\":\"v" + std::to_string(items) + "\"")).ok());
  EXPECT_EQ(n, 1);
}

TEST(Hostile, HugeLinesAreBoundedByMaxLineBytes) {
  auto r = eqlpp::compile("process where startsWith(a, \"xx\")");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e({.max_line_bytes = 16u << 20});
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  std::string big = event(1, "\"a\":\"" + std::string(10u << 20, 'x') + "\"");
  EXPECT_TRUE(e.push_json(big).ok());
  EXPECT_EQ(n, 1);
  eqlpp::Engine small({.max_line_bytes = 1024});
  small.add_rule(*r);
  auto st = small.push_json(big);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("over the limit"), std::string::npos);
  EXPECT_EQ(small.stats().malformed, 1u);
}

TEST(Hostile, InvalidUtf8AndNulBytes) {
  // In a rule: a clear diagnostic.
  auto r = eqlpp::compile(std::string("process where a == 1 \0 and b", 29));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()[0].code, eqlpp::DiagCode::kUnexpectedCharacter);
  auto r2 = eqlpp::compile("process where a == \"\xff\xfe\"");  // bytes inside a string are data
  ASSERT_TRUE(r2.ok());
  // In events: invalid UTF-8 is rejected by the JSON parser, counted, and the stream goes on.
  eqlpp::Engine e;
  e.add_rule(*r2);
  EXPECT_FALSE(e.push_json(event(1, "\"a\":\"\xff\xfe\"")).ok());
  EXPECT_FALSE(e.push_json(std::string("{\"@timestamp\":1,\0}", 18)).ok());
  EXPECT_TRUE(e.push_json(event(2, "\"a\":\"ok\\u0000nul\"")).ok());
  EXPECT_EQ(e.stats().malformed, 2u);
}

TEST(Hostile, NumbersOutOfRange) {
  auto r = eqlpp::compile("process where a == 1e400");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()[0].code, eqlpp::DiagCode::kInvalidNumber);
  auto ok = eqlpp::compile("process where a > 99999999999999999999999");  // re-read as a double
  ASSERT_TRUE(ok.ok());
  eqlpp::Engine e;
  e.add_rule(*ok);
  EXPECT_TRUE(e.push_json(event(1, "\"a\":18446744073709551615")).ok());
  EXPECT_FALSE(e.push_json(event(2, "\"a\":1e999")).ok());
  EXPECT_FALSE(e.push_json("{\"@timestamp\":1e300}").ok());  // a timestamp beyond +-200 years
}

TEST(Hostile, DuplicateJsonKeysBecomeMultiValued) {
  auto r = eqlpp::compile("process where a == 2");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  EXPECT_TRUE(e.push_json(event(1, "\"a\":1,\"a\":2")).ok());
  EXPECT_EQ(n, 1);
}

TEST(Hostile, TimeJumpsExpireStateInsteadOfKeepingIt) {
  auto r =
      eqlpp::compile("sequence by k with maxspan=1m [process where a == 1] [process where b == 1]");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(e.push_json(event(i, "\"a\":1,\"k\":" + std::to_string(i))).ok());
  EXPECT_EQ(e.stats().partials_live, 1000u);
  const std::int64_t ten_years = 10LL * 365 * 86400 * 1000;
  ASSERT_TRUE(e.push_json(event(ten_years, "\"b\":1,\"k\":1")).ok());
  EXPECT_EQ(e.stats().partials_live, 0u);
  EXPECT_EQ(e.stats().partials_expired, 1000u);
  EXPECT_EQ(e.stats().alerts, 0u);
  EXPECT_EQ(e.stats().state_bytes, 0u);
  EXPECT_FALSE(e.push_json("{\"@timestamp\":\"0001-01-01T00:00:00Z\"}").ok());
}

TEST(Hostile, OneKeyWithAMillionStageOneEventsKeepsOnePartial) {
  auto r = eqlpp::compile("sequence by k [process where a == 1] [process where b == 1]");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  eqlpp::FieldId cat = e.field("event.category"), k = e.field("k"), a = e.field("a");
  eqlpp::Record rec;
  for (int i = 0; i < 1'000'000; ++i) {
    rec.clear();
    rec.set_timestamp(i);
    rec.add(cat, eqlpp::Value("process"));
    rec.add(k, eqlpp::Value("same"));
    rec.add(a, eqlpp::Value(std::int64_t{1}));
    ASSERT_TRUE(e.push(rec).ok());
  }
  EXPECT_EQ(e.stats().partials_live, 1u);
  EXPECT_LT(e.stats().peak_state_bytes, 4096u);
}

TEST(Hostile, UntilStormsForKeysWithoutPartialsKeepNoState) {
  auto r = eqlpp::compile(
      "sequence by k [process where a == 1] [process where b == 1] until [process where u == 1]");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  for (int i = 0; i < 100000; ++i)
    ASSERT_TRUE(e.push_json(event(i, "\"u\":1,\"k\":" + std::to_string(i))).ok());
  EXPECT_EQ(e.stats().state_bytes, 0u);
  EXPECT_EQ(e.stats().peak_state_bytes, 0u);
}

TEST(Hostile, AlertRateLimitCountsWhatItSuppresses) {
  auto r = eqlpp::compile("process where true");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e({.max_alerts_per_second = 10});
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(e.push_json(event(i, "")).ok());  // all within one second
  EXPECT_EQ(n, 10);
  EXPECT_EQ(e.stats().alerts_suppressed, 990u);
}

// Compiled rules are shared across threads; each thread runs its own Engine.
TEST(Threads, EnginesOnThreadsShareRules) {
  auto loaded = eqlpp::load_rules(std::string(EQLPP_SOURCE_DIR) + "/rules");
  ASSERT_EQ(loaded.rules.size(), 1u);
  auto extra = eqlpp::compile(
      "process where process.name : (\"*.exe\", \"x?y\") and length(process.name) > 3");
  ASSERT_TRUE(extra.ok());
  std::vector<std::string> lines;
  {
    std::FILE* f =
        std::fopen((std::string(EQLPP_SOURCE_DIR) + "/examples/events.jsonl").c_str(), "r");
    ASSERT_NE(f, nullptr);
    char buf[1 << 16];
    while (std::fgets(buf, sizeof buf, f)) lines.emplace_back(buf);
    std::fclose(f);
  }
  constexpr int kThreads = 4;
  std::vector<std::uint64_t> alerts(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      eqlpp::Engine e;
      e.add_rule(loaded.rules[0]);
      e.add_rule(*extra);
      e.on_alert([&](const eqlpp::Alert&) { ++alerts[static_cast<std::size_t>(t)]; });
      for (const auto& l : lines) (void)e.push_json(l);
      e.finish();
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(alerts[static_cast<std::size_t>(t)], alerts[0]);
  EXPECT_GT(alerts[0], 6u);
}

}  // namespace
