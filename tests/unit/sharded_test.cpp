// SPDX-License-Identifier: Apache-2.0
// The sharded runner (eqlpp/sharded.hpp) on threads: partition-safe rules
// on every partition shard, the others on a dedicated shard fed every
// event; alerts and statistics equal one engine's. Named Threads.* so that
// CI runs them under ThreadSanitizer.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "eqlpp/eqlpp.hpp"
#include "stats_balance.hpp"

namespace {

std::vector<eqlpp::Rule> rules() {
  const char* qs[] = {
      "process where a == 1",                                                      // safe: no state
      "sequence by h with maxspan=3s [process where a == 1] [file where b == 1]",  // safe by h
      ("sequence by h [process where a == 1] by p [process where b == 1] by p until [process where "
       "u == 1] by p"),                                                               // safe by h
      "sample by h [process where a == 1] [file where b == 1]",                       // safe by h
      "sequence by p with maxspan=2s [process where a == 1] [process where b == 1]",  // not by h
      "file where b == 1 | head 7",                                                   // a pipe
      "sequence with maxspan=1s [process where a == 1] [file where u == 1]",          // no key
  };
  std::vector<eqlpp::Rule> out;
  int n = 0;
  for (const char* q : qs) {
    eqlpp::RuleMetadata m;
    m.id = "r" + std::to_string(n++);
    m.name = m.id;
    auto r = eqlpp::compile(q, m, {});
    EXPECT_TRUE(r.ok()) << q;
    out.push_back(*r);
  }
  return out;
}

std::vector<std::string> stream(unsigned seed, int n) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    const std::int64_t ms = i * 100 + static_cast<std::int64_t>(rng() % 500);
    std::string e = "{\"@timestamp\":" + std::to_string(1'700'000'000'000 + ms) +
                    ",\"event\":{\"category\":\"" + (rng() % 3 == 0 ? "file" : "process") +
                    "\"},\"p\":" + std::to_string(rng() % 5);
    if (rng() % 10 != 0) e += ",\"h\":\"host-" + std::to_string(rng() % 7) + "\"";
    const auto k = rng() % 6;
    e += k < 2 ? ",\"a\":1" : k < 4 ? ",\"b\":1" : k < 5 ? ",\"u\":1" : "";
    out.push_back(e + ",\"seq\":" + std::to_string(i) + "}");
  }
  return out;
}

std::string text(const eqlpp::Alert& a) { return a.rule.metadata().id + " " + a.id(); }

void compare(bool batch, std::size_t threads) {
  const auto rs = rules();
  const auto lines = stream(static_cast<unsigned>(threads) + (batch ? 100u : 0u), 3000);
  eqlpp::EngineOptions o;
  o.batch = batch;
  o.reorder_window = std::chrono::seconds(1);
  o.tiebreaker_field = "seq";
  eqlpp::Engine one(o);
  for (const auto& r : rs) one.add_rule(r);
  std::vector<std::string> expected;
  one.on_alert([&](const eqlpp::Alert& a) { expected.push_back(text(a)); });
  for (const auto& l : lines) ASSERT_TRUE(one.push_json(l).ok());
  ASSERT_FALSE(one.push_json("{not json").ok());
  one.finish();
  ASSERT_GT(expected.size(), 100u);

  eqlpp::ShardedEngine sharded(o, {.threads = threads, .partition_by = "h", .batch_lines = 50});
  for (const auto& r : rs) sharded.add_rule(r);
  ASSERT_EQ(sharded.plan().size(), rs.size());
  std::size_t safe = 0;
  for (const auto& v : sharded.plan()) safe += v.safe ? 1u : 0u;
  EXPECT_EQ(safe, 4u);
  EXPECT_EQ(sharded.engines(), threads + 1);
  std::vector<std::string> got;
  sharded.on_alert([&](const eqlpp::Alert& a) { got.push_back(text(a)); });
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(sharded.push_json(lines[i]).ok());
    if (i == lines.size() / 2) {
      EXPECT_TRUE(eqlpp_test::StatsBalance(sharded.stats()));
    }
  }
  const eqlpp::Status bad = sharded.push_json("{not json");
  EXPECT_FALSE(bad.ok());
  sharded.finish();
  if (batch) {
    EXPECT_EQ(got, expected);
  } else {
    EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()),
              std::multiset<std::string>(expected.begin(), expected.end()));
  }
  const auto a = one.stats(), b = sharded.stats();
  EXPECT_TRUE(eqlpp_test::StatsBalance(b));
  EXPECT_EQ(b.events_in, a.events_in);
  EXPECT_EQ(b.malformed, a.malformed);
  EXPECT_EQ(b.events_processed, a.events_processed);
  EXPECT_EQ(b.alerts, a.alerts);
  EXPECT_EQ(b.partials_created, a.partials_created);
  EXPECT_EQ(b.partials_completed, a.partials_completed);
  ASSERT_EQ(b.rules.size(), a.rules.size());
  for (std::size_t i = 0; i < a.rules.size(); ++i) {
    EXPECT_EQ(b.rules[i].rule_id, a.rules[i].rule_id);
    EXPECT_EQ(b.rules[i].alerts, a.rules[i].alerts) << a.rules[i].rule_id;
    EXPECT_EQ(b.rules[i].matches, a.rules[i].matches) << a.rules[i].rule_id;
  }
}

TEST(Threads, ShardedStreamingEqualsOneEngine) {
  for (std::size_t t : {1u, 2u, 4u}) compare(false, t);
}
TEST(Threads, ShardedBatchEqualsOneEngineInOrder) {
  for (std::size_t t : {1u, 2u, 4u}) compare(true, t);
}

// push_json_lines(): the lines of one buffer, routed as push_json() routes
// them one by one (the same alerts, in batch mode in the same order), bad
// lines reported with their number and offset and skipped.
TEST(Threads, ShardedPushJsonLinesEqualsPushJson) {
  const auto rs = rules();
  const auto lines = stream(7, 2000);
  eqlpp::EngineOptions o;
  o.batch = true;
  o.tiebreaker_field = "seq";
  auto run = [&](bool buffer, std::vector<eqlpp::LineError>* errors) {
    eqlpp::ShardedEngine s(o, {.threads = 2, .partition_by = "h", .batch_lines = 64});
    for (const auto& r : rs) s.add_rule(r);
    std::vector<std::string> got;
    s.on_alert([&](const eqlpp::Alert& a) { got.push_back(text(a)); });
    if (buffer) {
      std::string text;
      for (std::size_t i = 0; i < lines.size(); ++i) {
        text += lines[i] + (i % 2 ? "\r\n" : "\n");
        if (i == 10) text += "{not json\n\n";  // a bad line, then a blank one
      }
      const std::size_t accepted =
          s.push_json_lines(text, [&](const eqlpp::LineError& e) { errors->push_back(e); });
      EXPECT_EQ(accepted, lines.size());
    } else {
      for (const auto& l : lines) EXPECT_TRUE(s.push_json(l).ok());
    }
    s.finish();
    EXPECT_EQ(s.stats().events_processed, lines.size());
    return got;
  };
  std::vector<eqlpp::LineError> errors;
  const auto one_by_one = run(false, nullptr);
  ASSERT_GT(one_by_one.size(), 50u);
  EXPECT_EQ(run(true, &errors), one_by_one);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 12u);
  std::size_t offset = 0;
  for (std::size_t i = 0; i <= 10; ++i) offset += lines[i].size() + (i % 2 ? 2 : 1);
  EXPECT_EQ(errors[0].offset, offset);
  EXPECT_FALSE(errors[0].status.ok());
}

// flush(): a live stream's alerts come out without waiting for a full batch.
TEST(Threads, ShardedFlushDeliversWithoutAFullBatch) {
  const auto rs = rules();
  eqlpp::ShardedEngine s({}, {.threads = 2, .partition_by = "h", .batch_lines = 1000});
  s.add_rule(rs[0]);  // process where a == 1
  std::size_t n = 0;
  s.on_alert([&](const eqlpp::Alert&) { ++n; });
  ASSERT_TRUE(s.push_json(R"({"@timestamp":1,"event":{"category":"process"},"h":"x","a":1})").ok());
  EXPECT_EQ(n, 0u);  // still in the router's batch
  s.flush();
  EXPECT_EQ(n, 1u);
  s.finish();
  EXPECT_EQ(n, 1u);
}

// Only partition-safe rules: no dedicated shard; only unsafe ones: no
// partition shards; destroyed without finish(): the threads stop.
TEST(Threads, ShardedEngineShapes) {
  const auto rs = rules();
  {
    eqlpp::ShardedEngine s({}, {.threads = 3, .partition_by = "h"});
    s.add_rule(rs[1]);
    EXPECT_EQ(s.engines(), 3u);
    for (const auto& l : stream(1, 200)) ASSERT_TRUE(s.push_json(l).ok());
  }
  eqlpp::ShardedEngine s({}, {.threads = 3, .partition_by = "h"});
  s.add_rule(rs[6]);
  EXPECT_EQ(s.engines(), 1u);
  std::size_t n = 0;
  s.on_alert([&](const eqlpp::Alert&) { ++n; });
  for (const auto& l : stream(2, 500)) ASSERT_TRUE(s.push_json(l).ok());
  s.finish();
  EXPECT_EQ(s.stats().events_processed + s.stats().late, 500u);  // no window: late ones
  EXPECT_EQ(s.stats().alerts, n);
}

}  // namespace
