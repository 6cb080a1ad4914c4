// SPDX-License-Identifier: Apache-2.0
// Engine::snapshot and Engine::restore (docs/snapshot-format.md): a run cut
// at random points, snapshotted and restored into a new engine gives the
// alerts and statistics of an uninterrupted run; a snapshot reads back to
// the same bytes; a corrupt, truncated or foreign snapshot is an error that
// leaves the engine as it was; a changed rule set keeps the state of the
// unchanged rules.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "eqlpp/eqlpp.hpp"
#include "stats_balance.hpp"
#include "util/hash.hpp"

namespace {

using eqlpp_test::StatsBalance;

// Rules of every kind: sequences with maxspan, until, runs, leading, inner
// and trailing missing events, samples, Endpoint lineage, stage aliases,
// event queries, head.
const std::vector<std::string> kElastic = {
    "process where a == 1",
    "file where b == 1 | head 5",
    "sequence by h with maxspan=3s [process where a == 1] by p [file where b == 1] by p "
    "until [process where u == 1] by p",
    "sequence by h [process where a == 1] [process where b == 1] with runs=2 [file where true]",
    "sequence by h with maxspan=2s [process where a == 1] ![file where u == 1] [process where b == "
    "1]",
    "sequence by h with maxspan=2s ![file where u == 1] [process where a == 1] [process where b == "
    "1]",
    "sequence by h with maxspan=2s [process where a == 1] [process where b == 1] ![file where u == "
    "1]",
    "sample by h [process where a == 1] [file where b == 1]",
    "sequence with maxspan=1s [process where a == 1] [file where b == 1]",
};
const std::vector<std::string> kEndpoint = {
    "file where descendant of [process where a == 1]",
    "process where child of [process where b == 1]",
    "sequence by h with maxspan=3s [process where a == 1] as event0 [file where p == event0.p]",
};

std::vector<eqlpp::Rule> rules(bool endpoint_too = true) {
  std::vector<eqlpp::Rule> out;
  int n = 0;
  auto add = [&](const std::string& q, eqlpp::Dialect d) {
    eqlpp::CompileOptions o;
    o.dialect = d;
    eqlpp::RuleMetadata m;
    m.id = "rule-" + std::to_string(n++);
    m.name = m.id;
    auto r = eqlpp::compile(q, m, o);
    EXPECT_TRUE(r.ok()) << q << ": " << (r.ok() ? "" : r.error()[0].render());
    if (r.ok()) out.push_back(*r);
  };
  for (const auto& q : kElastic) add(q, eqlpp::Dialect::kElasticsearch);
  if (endpoint_too)
    for (const auto& q : kEndpoint) add(q, eqlpp::Dialect::kEndpoint);
  return out;
}

// A random stream: hosts, processes with parents, starts and ends, a few
// fields the rules test, some disorder (within the window) and some late
// events; join keys `h` from `hosts` hosts.
std::vector<std::string> stream(std::mt19937& rng, int n, unsigned hosts = 3) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    const std::int64_t ms = i * 150 + static_cast<std::int64_t>(rng() % 900);
    const bool file = rng() % 3 == 0;
    std::string e = "{\"@timestamp\":" + std::to_string(1'700'000'000'000 + ms) +
                    ",\"event\":{\"category\":\"" + (file ? "file" : "process") + "\"";
    if (!file) e += std::string(",\"type\":\"") + (rng() % 4 == 0 ? "end" : "start") + "\"";
    const auto pid = 1 + rng() % 12;
    e += "},\"h\":" + std::to_string(rng() % hosts) + ",\"p\":" + std::to_string(rng() % 4) +
         ",\"process\":{\"entity_id\":\"e" + std::to_string(pid) +
         "\",\"parent\":{\"entity_id\":\"e" + std::to_string(pid / 2) + "\"}}";
    const auto k = rng() % 6;
    e += k < 2 ? ",\"a\":1" : k < 4 ? ",\"b\":1" : k < 5 ? ",\"u\":1" : "";
    e += ",\"seq\":" + std::to_string(i) + "}";
    out.push_back(std::move(e));
  }
  return out;
}

struct Alerts {
  std::vector<std::string> alerts;  // to_json(), in delivery order
  eqlpp::EngineStats stats;
};

eqlpp::EngineOptions options(bool batch) {
  eqlpp::EngineOptions o;
  o.batch = batch;
  o.reorder_window = std::chrono::milliseconds(1000);
  o.tiebreaker_field = "seq";
  o.max_alerts_per_second = 7;
  return o;
}

std::unique_ptr<eqlpp::Engine> engine(const eqlpp::EngineOptions& o,
                                      const std::vector<eqlpp::Rule>& rs, Alerts& run) {
  auto e = std::make_unique<eqlpp::Engine>(o);
  for (const auto& r : rs) e->add_rule(r);
  e->on_alert([&run](const eqlpp::Alert& a) { run.alerts.push_back(a.to_json()); });
  return e;
}

// Counters a restored run must match (state_bytes and peak too: the
// restored engine holds what the original held).
void expect_same_stats(const eqlpp::EngineStats& a, const eqlpp::EngineStats& b,
                       const std::string& where) {
  EXPECT_EQ(a.events_in, b.events_in) << where;
  EXPECT_EQ(a.events_processed, b.events_processed) << where;
  EXPECT_EQ(a.late, b.late) << where;
  EXPECT_EQ(a.alerts, b.alerts) << where;
  EXPECT_EQ(a.alerts_suppressed, b.alerts_suppressed) << where;
  EXPECT_EQ(a.partials_created, b.partials_created) << where;
  EXPECT_EQ(a.partials_completed, b.partials_completed) << where;
  EXPECT_EQ(a.partials_expired, b.partials_expired) << where;
  EXPECT_EQ(a.partials_evicted, b.partials_evicted) << where;
  EXPECT_EQ(a.partials_live, b.partials_live) << where;
  EXPECT_EQ(a.state_bytes, b.state_bytes) << where;
  EXPECT_EQ(a.peak_state_bytes, b.peak_state_bytes) << where;
  EXPECT_EQ(a.lineage_entries, b.lineage_entries) << where;
  ASSERT_EQ(a.rules.size(), b.rules.size()) << where;
  for (std::size_t i = 0; i < a.rules.size(); ++i) {
    EXPECT_EQ(a.rules[i].matches, b.rules[i].matches) << where << " rule " << i;
    EXPECT_EQ(a.rules[i].alerts, b.rules[i].alerts) << where << " rule " << i;
    EXPECT_EQ(a.rules[i].partials_live, b.rules[i].partials_live) << where << " rule " << i;
  }
}

void restore_property(bool batch, std::size_t max_state_bytes, unsigned seed, int trials = 12,
                      int events_per_trial = 400, unsigned hosts = 3,
                      std::uint64_t min_live_at_cut = 0) {
  std::mt19937 rng(seed);
  const auto rs = rules();
  auto o = options(batch);
  o.max_state_bytes = max_state_bytes;
  std::uint64_t evicted = 0;  // over every trial
  for (int trial = 0; trial < trials; ++trial) {
    const auto events = stream(rng, events_per_trial, hosts);
    Alerts whole;
    auto e = engine(o, rs, whole);
    for (const auto& ev : events) (void)e->push_json(ev);
    e->finish();
    whole.stats = e->stats();
    evicted += whole.stats.partials_evicted;

    // The same stream cut at three random points: snapshot, restore into a
    // new engine, continue.
    std::vector<std::size_t> cuts = {rng() % events.size(), rng() % events.size(),
                                     rng() % events.size()};
    std::sort(cuts.begin(), cuts.end());
    Alerts cut;
    auto c = engine(o, rs, cut);
    std::size_t at = 0;
    for (std::size_t k : cuts) {
      for (; at < k; ++at) (void)c->push_json(events[at]);
      if (min_live_at_cut > 0 && k > events.size() / 2) {
        std::uint64_t most = 0;  // one rule's live partials: its key table's slots at least
        for (const auto& r : c->stats().rules) most = std::max(most, r.partials_live);
        EXPECT_GT(most, min_live_at_cut) << "cut " << k;
      }
      const std::string snap = c->snapshot();
      Alerts scratch;
      auto fresh = engine(o, rs, scratch);
      eqlpp::RestoreReport rep;
      const eqlpp::Status st = fresh->restore(snap, &rep);
      ASSERT_TRUE(st.ok()) << "trial " << trial << ": " << st.message();
      EXPECT_EQ(rep.rules_restored, rs.size());
      EXPECT_EQ(rep.rules_dropped + rep.rules_new + rep.partials_dropped, 0u);
      EXPECT_EQ(rep.partials_restored, c->stats().partials_live);
      // The format is deterministic: the restored engine writes the same bytes.
      EXPECT_EQ(fresh->snapshot(), snap) << "trial " << trial << " cut " << k;
      expect_same_stats(c->stats(), fresh->stats(),
                        "restored stats, trial " + std::to_string(trial));
      fresh->on_alert([&cut](const eqlpp::Alert& a) { cut.alerts.push_back(a.to_json()); });
      c = std::move(fresh);
    }
    for (; at < events.size(); ++at) (void)c->push_json(events[at]);
    c->finish();
    cut.stats = c->stats();
    EXPECT_EQ(cut.alerts, whole.alerts) << "trial " << trial;
    expect_same_stats(cut.stats, whole.stats, "final stats, trial " + std::to_string(trial));
    EXPECT_TRUE(StatsBalance(cut.stats));
    if (trial == 0) {
      EXPECT_GT(whole.alerts.size(), 10u);
    }
  }
  // A small budget is there to make the runs evict (and the snapshots hold
  // what eviction leaves).
  if (max_state_bytes < (std::size_t{1} << 20)) {
    EXPECT_GT(evicted, 0u);
  }
}

TEST(Snapshot, RestoredRunEqualsUninterruptedRun) {
  restore_property(false, std::size_t{256} << 20, 1);
}
TEST(Snapshot, RestoredRunEqualsUninterruptedRunUnderEviction) {
  restore_property(false, 8 << 10, 2);
}
TEST(Snapshot, RestoredBatchRunEqualsUninterruptedRun) {
  restore_property(true, std::size_t{256} << 20, 3);
}

// Thousands of join keys: a rule holds over 600 live partials, so its key
// table spans more than one chunk of slots (util::ChunkedVector, 512 slots
// a chunk), which the snapshot writes and reads back slot by slot.
TEST(Snapshot, RestoredRunEqualsUninterruptedRunWithThousandsOfKeys) {
  restore_property(false, std::size_t{256} << 20, 4, 2, 6000, 2500, 600);
}

TEST(Snapshot, HostRecordsAndFieldIdsSurviveRestore) {
  auto r = eqlpp::compile("sequence by h [process where a == 1] [process where b == 1]");
  ASSERT_TRUE(r.ok());
  eqlpp::EngineOptions o;
  o.reorder_window = std::chrono::seconds(10);
  Alerts run;
  eqlpp::Engine e(o);
  const eqlpp::FieldId cat = e.field("event.category"), h = e.field("h"), a = e.field("a"),
                       b = e.field("b");
  e.add_rule(*r);
  e.on_alert([&run](const eqlpp::Alert& al) {
    run.alerts.push_back(al.join_keys()[0].to_json() + " " + std::to_string(al.first_timestamp) +
                         " " + std::to_string(al.last_timestamp));
  });
  eqlpp::Record rec;
  auto push = [&](std::int64_t t, eqlpp::FieldId f, std::string_view host) {
    rec.clear();
    rec.set_timestamp(t);
    rec.add(cat, eqlpp::Value("process"));
    rec.add(h, eqlpp::Value(host));
    rec.add(f, eqlpp::Value(std::int64_t{1}));
    ASSERT_TRUE(e.push(rec).ok());
  };
  push(1'000'000'000, a, "x");
  push(2'000'000'000, b, "x");  // both still in the reorder buffer
  EXPECT_EQ(e.stats().buffered, 2u);
  const std::string snap = e.snapshot();
  ASSERT_TRUE(e.restore(snap).ok());  // restoring in place keeps the FieldIds valid
  push(3'000'000'000, a, "y");
  e.finish();
  ASSERT_EQ(run.alerts.size(), 1u);
  EXPECT_EQ(run.alerts[0], "\"x\" 1000000000 2000000000");
}

std::string valid_snapshot(std::size_t events = 200) {
  std::mt19937 rng(9);
  const auto rs = rules();
  Alerts run;
  auto e = engine(options(false), rs, run);
  for (const auto& ev : stream(rng, static_cast<int>(events))) (void)e->push_json(ev);
  EXPECT_GT(e->stats().partials_live, 0u);
  EXPECT_GT(e->stats().buffered, 0u);
  return e->snapshot();
}

// Every truncation and random byte flips: an error, and the engine is as it was.
TEST(Snapshot, CorruptSnapshotsAreErrorsAndChangeNothing) {
  const std::string snap = valid_snapshot();
  const auto rs = rules();
  Alerts run;
  auto e = engine(options(false), rs, run);
  std::mt19937 rng(5);
  for (const auto& ev : stream(rng, 50)) (void)e->push_json(ev);
  const std::string before = e->snapshot();
  for (std::size_t n = 0; n < snap.size(); ++n) {
    const eqlpp::Status st = e->restore(std::string_view(snap).substr(0, n));
    ASSERT_FALSE(st.ok()) << "truncated to " << n;
    EXPECT_EQ(st.code(), eqlpp::DiagCode::kInvalidSnapshot);
  }
  for (int i = 0; i < 2000; ++i) {
    std::string bad = snap;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    ASSERT_FALSE(e->restore(bad).ok()) << "flip " << i;
  }
  EXPECT_EQ(e->snapshot(), before);
  EXPECT_TRUE(e->restore(snap).ok());
}

// A corrupt body behind a valid checksum (a crafted file): never a crash,
// and an error or a consistent engine.
TEST(Snapshot, CraftedSnapshotsNeverCrash) {
  const std::string snap = valid_snapshot(120);
  const auto rs = rules();
  std::mt19937 rng(11);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string bad = snap;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f)
      bad[20 + rng() % (bad.size() - 28)] ^= static_cast<char>(1 + rng() % 255);
    const std::uint64_t sum = eqlpp::util::hash64(std::string_view(bad).substr(0, bad.size() - 8));
    for (int b = 0; b < 8; ++b)
      bad[bad.size() - 8 + static_cast<std::size_t>(b)] =
          static_cast<char>((sum >> (8 * b)) & 0xff);
    Alerts run;
    auto e = engine(options(false), rs, run);
    if (!e->restore(bad).ok()) continue;
    ++accepted;  // e.g. a flipped timestamp: a valid, different state
    std::mt19937 more(static_cast<unsigned>(i));
    for (const auto& ev : stream(more, 30)) (void)e->push_json(ev);
    e->finish();
  }
  EXPECT_LT(accepted, 3000);
}

TEST(Snapshot, NewerVersionAndOtherModeAreErrors) {
  std::string snap = valid_snapshot(40);
  Alerts run;
  auto streaming = engine(options(false), rules(), run);
  std::string newer = snap;
  newer[8] = 2;  // format version 2
  const eqlpp::Status st = streaming->restore(newer);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("newer"), std::string::npos) << st.message();
  auto batch = engine(options(true), rules(), run);
  const eqlpp::Status mode = batch->restore(snap);
  ASSERT_FALSE(mode.ok());
  EXPECT_NE(mode.message().find("streaming mode"), std::string::npos) << mode.message();
  EXPECT_FALSE(streaming->restore("not a snapshot").ok());
  std::istringstream in(snap);
  EXPECT_TRUE(streaming->restore(in).ok());
}

// A changed rule set: unchanged rules keep their state (their alerts are as
// if the run had not stopped), changed or removed ones lose it, new ones start empty.
TEST(Snapshot, ChangedRuleSetKeepsUnchangedRules) {
  const auto rs = rules(false);
  ASSERT_GE(rs.size(), 4u);
  std::mt19937 rng(3);
  const auto events = stream(rng, 400);
  const std::size_t cut = 200;
  // The kept rule (rule-2, a sequence with maxspan and until) on its own, uninterrupted.
  const std::vector<eqlpp::Rule> kept = {rs[2]};
  Alerts whole;
  auto w = engine(options(false), kept, whole);
  for (const auto& ev : events) (void)w->push_json(ev);
  w->finish();

  Alerts first;
  auto a = engine(options(false), {rs[2], rs[7]}, first);
  for (std::size_t i = 0; i < cut; ++i) (void)a->push_json(events[i]);
  const std::uint64_t live7 = a->stats().rules[1].partials_live;
  const std::string snap = a->snapshot();
  std::size_t before = 0;
  for (const auto& al : first.alerts) before += al.find("\"rule-2\"") != std::string::npos;

  eqlpp::RuleMetadata m;
  m.id = "rule-7";
  m.name = "rule-7";
  auto changed = eqlpp::compile("sample by h [process where a == 1] [file where u == 1]", m, {});
  ASSERT_TRUE(changed.ok());
  Alerts second;
  auto b = engine(options(false), {rs[2], *changed, rs[0]}, second);
  eqlpp::RestoreReport rep;
  ASSERT_TRUE(b->restore(snap, &rep).ok());
  EXPECT_EQ(rep.rules_restored, 1u);
  EXPECT_EQ(rep.rules_dropped, 1u);
  EXPECT_EQ(rep.rules_new, 2u);
  EXPECT_EQ(rep.partials_dropped, live7);
  ASSERT_EQ(rep.dropped_rules, std::vector<std::string>{"rule-7"});
  EXPECT_TRUE(StatsBalance(b->stats()));
  for (std::size_t i = cut; i < events.size(); ++i) (void)b->push_json(events[i]);
  b->finish();
  std::vector<std::string> after;
  for (const auto& al : second.alerts)
    if (al.find("\"rule-2\"") != std::string::npos) after.push_back(al);
  ASSERT_EQ(before + after.size(), whole.alerts.size());
  EXPECT_EQ(after,
            std::vector<std::string>(whole.alerts.begin() + static_cast<std::ptrdiff_t>(before),
                                     whole.alerts.end()));
  EXPECT_TRUE(StatsBalance(b->stats()));
}

TEST(Snapshot, AlertIdsAreDeterministic) {
  std::mt19937 rng(4);
  const auto events = stream(rng, 300);
  const auto rs = rules();
  std::vector<std::string> ids[2];
  for (auto& out : ids) {
    eqlpp::Engine e(options(false));
    for (const auto& r : rs) e.add_rule(r);
    e.on_alert([&out](const eqlpp::Alert& a) {
      out.push_back(a.id());
      EXPECT_NE(a.to_json().find("\"id\":\"" + a.id() + "\""), std::string::npos);
    });
    for (const auto& ev : events) (void)e.push_json(ev);
    e.finish();
  }
  ASSERT_GT(ids[0].size(), 10u);
  EXPECT_EQ(ids[0], ids[1]);
  std::vector<std::string> unique = ids[0];
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end()) << "two alerts share an id";
  EXPECT_EQ(ids[0][0].size(), 32u);
}

}  // namespace
