// SPDX-License-Identifier: Apache-2.0
// The runtime's rooms one by one (docs/architecture.md): reorder buffer, key
// table and state budget, expiry heap, alert sink and queue, dispatcher; and
// the statistics balance across every kind of rule.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "compile/plan.hpp"
#include "eqlpp/eqlpp.hpp"
#include "runtime/alert_sink.hpp"
#include "runtime/deadline_index.hpp"
#include "runtime/dispatcher.hpp"
#include "runtime/expiry_heap.hpp"
#include "runtime/key_table.hpp"
#include "runtime/reorder_buffer.hpp"
#include "stats_balance.hpp"

namespace {

using eqlpp::runtime::Key;
using eqlpp::runtime::KeyTable;
using eqlpp::runtime::PartialEnd;
using eqlpp::runtime::StateBudget;

eqlpp::Rule rule(const std::string& q) {
  auto r = eqlpp::compile(q);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().render());
  return *r;
}

Key key_of(const std::string& s) {
  Key k;
  eqlpp::runtime::key_add_value(k, eqlpp::Value(s));
  return k;
}

// ---- reorder buffer -----------------------------------------------------------------

struct Released {
  std::vector<std::pair<std::int64_t, std::string>> events;  // timestamp, tiebreaker text
  static void sink(void* self, const eqlpp::Record& r, std::string_view,
                   std::shared_ptr<const std::string>) {
    static_cast<Released*>(self)->events.push_back({r.timestamp(), r.tiebreaker().to_json()});
  }
};

TEST(ReorderBuffer, ReleasesByTimeThenTiebreakerWithNullsLastThenArrival) {
  eqlpp::EngineOptions o;
  o.reorder_window = std::chrono::nanoseconds(100);
  eqlpp::EngineStats stats;
  Released out;
  eqlpp::runtime::ReorderBuffer buf(o, stats, &Released::sink, &out);
  auto push = [&](std::int64_t ts, eqlpp::Value tb) {
    eqlpp::Record r;
    r.set_timestamp(ts);
    r.set_tiebreaker(tb);
    ++stats.events_in;
    buf.accept(r, {});
  };
  push(10, eqlpp::Value());
  push(10, eqlpp::Value(std::int64_t{2}));
  push(5, eqlpp::Value(std::int64_t{9}));
  push(10, eqlpp::Value(std::int64_t{1}));
  EXPECT_TRUE(out.events.empty());  // all within the window
  EXPECT_EQ(buf.buffered(), 4u);
  push(200, eqlpp::Value());  // moves the watermark past them
  ASSERT_EQ(out.events.size(), 4u);
  EXPECT_EQ(out.events[0], (std::pair<std::int64_t, std::string>{5, "9"}));
  EXPECT_EQ(out.events[1], (std::pair<std::int64_t, std::string>{10, "1"}));
  EXPECT_EQ(out.events[2], (std::pair<std::int64_t, std::string>{10, "2"}));
  EXPECT_EQ(out.events[3], (std::pair<std::int64_t, std::string>{10, "null"}));
  EXPECT_EQ(buf.watermark(), 10);
  // Older than what was released: late, counted, never evaluated.
  push(7, eqlpp::Value());
  EXPECT_EQ(stats.late, 1u);
  buf.drain();
  ASSERT_EQ(out.events.size(), 5u);
  EXPECT_EQ(out.events[4].first, 200);
}

// ---- key table and state budget -----------------------------------------------------

TEST(KeyTable, EvictsTheLeastRecentlyUsedKeyAndCountsItsPartials) {
  StateBudget budget(1 << 20);
  KeyTable t(budget, 2, eqlpp::runtime::KeyState{}, false);
  std::vector<std::string> evicted;
  t.set_evict_hook(
      [](void* ctx, const Key& k, std::size_t) {
        static_cast<std::vector<std::string>*>(ctx)->push_back(
            eqlpp::runtime::key_values(k)[0].to_json());
      },
      &evicted);
  auto a = t.get_or_create(key_of("a"));
  t.begin_partial(a);
  auto b = t.get_or_create(key_of("b"));
  t.begin_partial(b);
  t.begin_partial(b);
  EXPECT_EQ(t.get_or_create(key_of("a")), a);  // a is now the most recent
  auto c = t.get_or_create(key_of("c"));       // over max_keys: b (least recent) goes
  EXPECT_EQ(evicted, std::vector<std::string>{"\"b\""});
  EXPECT_EQ(t.find(key_of("b")), KeyTable::kNil);
  EXPECT_NE(t.find(key_of("c")), KeyTable::kNil);
  EXPECT_EQ(t.keys(), 2u);
  EXPECT_EQ(t.live_partials(), 1u);
  eqlpp::EngineStats s;
  budget.copy_to(s);
  EXPECT_EQ(s.partials_created, 3u);
  EXPECT_EQ(s.partials_evicted, 2u);
  EXPECT_EQ(s.keys_evicted, 1u);
  EXPECT_EQ(s.partials_live, 1u);
  (void)c;
}

// The key index is open addressing with backward-shift deletion: random
// creates, finds and releases over a small key space (long runs, wrapped
// runs, many erasures inside runs) agree with a reference map at every step,
// and each slot still holds its own key.
// A freed slot keeps its per-stage array for the next key, emptied: the
// next key starts with the rule's shape and none of the old key's partials.
TEST(KeyTable, AReusedSlotStartsEmptyInTheRulesShape) {
  StateBudget budget(1 << 20);
  eqlpp::runtime::KeyState shape;
  shape.at.resize(2);
  KeyTable t(budget, 8, shape, false);
  const auto a = t.get_or_create(key_of("a"));
  t.begin_partial(a);
  eqlpp::runtime::Partial p;
  p.events.emplace_back();
  p.first_ts = 7;
  p.bytes = 100;
  t.charge(a, p);
  t.state(a).at[1] = std::move(p);
  // Ended, its bytes going with the key (as when a key is evicted).
  t.end_partial(a, eqlpp::runtime::PartialEnd::kExpired);
  t.release(a);
  EXPECT_EQ(budget.bytes(), 0u);
  const auto b = t.get_or_create(key_of("b"));
  ASSERT_EQ(b, a);  // the freed slot, reused
  const auto& st = t.state(b);
  ASSERT_EQ(st.at.size(), 2u);
  EXPECT_FALSE(st.at[0].has_value());
  EXPECT_FALSE(st.at[1].has_value());
  EXPECT_EQ(st.live, 0u);
  EXPECT_EQ(t.live_partials(), 0u);
  // Its bytes are its key's alone, as those of a key in a new slot.
  const auto c = t.get_or_create(key_of("c"));
  ASSERT_NE(c, b);
  EXPECT_EQ(t.state(b).bytes, t.state(c).bytes);
}

TEST(KeyTable, TheIndexAgreesWithAReferenceMapUnderChurn) {
  // Few keys held at once (max_keys evicts the rest) keep the index at 16
  // entries, where runs often wrap past its end; many make long runs.
  struct Case {
    unsigned space;
    std::size_t max_keys;
  };
  for (const Case c : {Case{40, 6}, Case{40, 7}, Case{600, 1'000'000}}) {
    SCOPED_TRACE(c.max_keys);
    StateBudget budget(std::size_t{1} << 30);
    KeyTable t(budget, c.max_keys, eqlpp::runtime::KeyState{}, false);
    std::map<std::string, std::uint32_t> ref;  // key -> slot
    t.set_evict_hook(
        [](void* ctx, const Key& k, std::size_t) {
          static_cast<std::map<std::string, std::uint32_t>*>(ctx)->erase(k);
        },
        &ref);
    std::mt19937 rng(c.space);
    for (int step = 0; step < 100'000; ++step) {
      // Short keys, and a long one now and then (past SSO).
      std::string text = std::to_string(rng() % c.space);
      if (rng() % 8 == 0) text += std::string(40, 'x');
      const Key k = key_of(text);
      switch (rng() % 3) {
        case 0: {  // get_or_create (evicting the least recent key when full)
          const std::uint32_t s = t.get_or_create(k);
          auto [it, fresh] = ref.emplace(k, s);
          if (!fresh) {
            ASSERT_EQ(it->second, s) << "step " << step;
          }
          break;
        }
        case 1: {  // find
          auto it = ref.find(k);
          ASSERT_EQ(t.find(k), it == ref.end() ? KeyTable::kNil : it->second) << "step " << step;
          break;
        }
        default: {  // release
          auto it = ref.find(k);
          if (it == ref.end()) break;
          t.release(it->second);
          ref.erase(it);
        }
      }
      ASSERT_EQ(t.keys(), ref.size());
    }
    for (const auto& [k, s] : ref) {
      EXPECT_EQ(t.key(s), k);
      EXPECT_EQ(t.find(k), s);
    }
  }
}

// A freed slot keeps a typical key's buffer for its next key, but not a
// long key's: the budget counts live keys only, so what freed slots hold
// must stay small (an attacker's long keys, once evicted, leave nothing).
TEST(KeyTable, AFreedSlotDoesNotKeepALongKeysBuffer) {
  StateBudget budget(std::size_t{1} << 30);
  KeyTable t(budget, 1'000, eqlpp::runtime::KeyState{}, false);
  const std::uint32_t s = t.get_or_create(key_of(std::string(10'000, 'k')));
  EXPECT_GE(t.key(s).capacity(), 10'000u);
  t.release(s);
  EXPECT_LT(t.key(s).capacity(), 1'000u);
  EXPECT_EQ(budget.bytes(), 0u);
  // The slot is reused, with the new key.
  const std::uint32_t again = t.get_or_create(key_of("host-1"));
  EXPECT_EQ(again, s);
  EXPECT_EQ(t.key(again), key_of("host-1"));
}

TEST(KeyTable, TheEngineEvictsTheColdKeyNotTheNewestOne) {
  // Before the key table had a room of its own, a new key was linked by
  // touch() while unlinked, which reset the list's head to it: the key
  // evicted next was the newest, not the least recently used.
  eqlpp::EngineOptions o;
  o.max_keys_per_rule = 2;
  eqlpp::Engine e(o);
  e.add_rule(rule("sequence by h [process where a == 1] [file where b == 1]"));
  std::vector<std::string> hosts;
  e.on_alert([&](const eqlpp::Alert& a) { hosts.push_back(a.join_keys()[0].to_json()); });
  int t = 0;
  auto push = [&](int h, const char* cat, const char* f) {
    std::string line = "{\"@timestamp\":" + std::to_string(++t) + ",\"h\":" + std::to_string(h) +
                       ",\"event\":{\"category\":\"" + cat + "\"}," + f + "}";
    ASSERT_TRUE(e.push_json(line).ok()) << line;
  };
  push(1, "process", "\"a\":1");
  push(2, "process", "\"a\":1");
  push(1, "process", "\"a\":1");  // key 1 is now the most recently used
  push(3, "process", "\"a\":1");  // over the limit: key 2 goes
  push(1, "file", "\"b\":1");
  push(2, "file", "\"b\":1");
  push(3, "file", "\"b\":1");
  e.finish();
  EXPECT_EQ(hosts, (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(e.stats().keys_evicted, 1u);
}

TEST(KeyTable, BytesArePerKeyPerRuleAndEngineWideWithAPeak) {
  StateBudget budget(1000);
  KeyTable t1(budget, 100, eqlpp::runtime::KeyState{}, false);
  KeyTable t2(budget, 100, eqlpp::runtime::KeyState{}, false);
  auto a = t1.get_or_create(key_of("a"));
  const std::size_t key_cost = t1.bytes();  // the slot, the index entry, the key
  EXPECT_GT(key_cost, 0u);
  t1.charge(a, 500);
  auto b = t2.get_or_create(key_of("b"));
  t2.charge(b, 300);
  EXPECT_EQ(budget.bytes(), 2 * key_cost + 800);
  EXPECT_TRUE(budget.over());
  t1.release(a);  // its bytes, key included, go back
  EXPECT_EQ(t1.bytes(), 0u);
  EXPECT_EQ(budget.bytes(), key_cost + 300);
  EXPECT_FALSE(budget.over());
  eqlpp::EngineStats s;
  budget.copy_to(s);
  EXPECT_EQ(s.peak_state_bytes, 2 * key_cost + 800);
  t2.clear(PartialEnd::kExpired);
  EXPECT_EQ(budget.bytes(), 0u);
}

// The payload ledger (runtime/payload_ledger.hpp): random holds and drops
// of a few hundred payloads (the table grows, long runs form, erasures
// shift entries back, and it shrinks again) agree with a reference map at
// every step: holder counts, payloads held, and their bytes, each once.
TEST(PayloadLedger, CountsHoldersAndBytesOncePerPayloadAsAReferenceMapDoes) {
  using eqlpp::runtime::PayloadLedger;
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) texts.push_back(std::string(static_cast<std::size_t>(i * 7), 'x'));
  std::mt19937 rng(11);
  PayloadLedger l;
  std::map<const std::string*, std::uint32_t> ref;
  std::size_t ref_bytes = 0;
  const std::string* prev = &texts[0];
  for (int step = 0; step < 200'000; ++step) {
    // Phases: mostly holds (growth), then mostly drops (shrinking). One
    // step in four repeats the last payload (an event taken by rule after
    // rule, which the ledger's last-entry shortcut serves).
    const bool growing = (step / 20'000) % 2 == 0;
    const std::string* p = rng() % 4 == 0 ? prev : &texts[rng() % texts.size()];
    prev = p;
    const bool hold = ref.count(p) == 0 || (rng() % 10 < (growing ? 7u : 2u));
    if (hold) {
      const std::size_t b = l.hold(p);
      if (ref[p]++ == 0) {
        EXPECT_EQ(b, PayloadLedger::cost(*p));
        ref_bytes += b;
      } else {
        EXPECT_EQ(b, 0u);
      }
    } else {
      const std::size_t b = l.drop(p);
      if (--ref[p] == 0) {
        ref.erase(p);
        EXPECT_EQ(b, PayloadLedger::cost(*p));
        ref_bytes -= b;
      } else {
        EXPECT_EQ(b, 0u);
      }
    }
    ASSERT_EQ(l.size(), ref.size()) << "step " << step;
    ASSERT_EQ(l.bytes(), ref_bytes) << "step " << step;
    if (step % 97 == 0)
      for (const auto& t : texts) {
        auto it = ref.find(&t);
        ASSERT_EQ(l.holders(&t), it == ref.end() ? 0u : it->second) << "step " << step;
      }
  }
  EXPECT_EQ(l.hold(nullptr), 0u);  // a missing-event entry has no payload
  EXPECT_EQ(l.drop(nullptr), 0u);
}

// One event taken by partials of several rules is one string in memory:
// the state estimate counts its payload once, and gives it back when the
// last partial holding it ends.
TEST(StateBudget, AnEventHeldByPartialsOfSeveralRulesCountsItsPayloadOnce) {
  const std::string big(20'000, 'z');
  const std::string first =
      "{\"@timestamp\":1,\"event\":{\"category\":\"process\"},\"h\":1,"
      "\"a\":1,\"pad\":\"" +
      big + "\"}";
  auto bytes_with = [&](int rules) {
    eqlpp::Engine e;
    for (int i = 0; i < rules; ++i)
      e.add_rule(
          rule("sequence by h [process where a == 1] [file where b == " + std::to_string(i) + "]"));
    EXPECT_TRUE(e.push_json(first).ok());
    const auto s = e.stats();
    EXPECT_EQ(s.partials_live, static_cast<std::uint64_t>(rules));
    // The second stage of rule 0 completes its sequence; the others' partials live on.
    EXPECT_TRUE(
        e.push_json("{\"@timestamp\":2,\"event\":{\"category\":\"file\"},\"h\":1,\"b\":0}").ok());
    EXPECT_EQ(e.stats().alerts, 1u);
    if (rules > 1) {
      EXPECT_GE(e.stats().state_bytes, big.size());  // still held by the other rules
    }
    e.finish();
    EXPECT_EQ(e.stats().state_bytes, 0u);
    return s.state_bytes;
  };
  const std::uint64_t one = bytes_with(1), four = bytes_with(4);
  EXPECT_GE(one, big.size());
  // Three more rules add their keys and partials, not three more copies.
  EXPECT_LT(four - one, big.size() / 4);
}

TEST(KeyTable, ClearEndsLivePartialsAsTold) {
  StateBudget budget(1 << 20);
  KeyTable t(budget, 10, eqlpp::runtime::KeyState{}, false);
  auto a = t.get_or_create(key_of("a"));
  t.begin_partial(a);
  t.begin_partial(a);
  t.end_partial(a, PartialEnd::kCompleted);
  t.clear(PartialEnd::kExpired);
  eqlpp::EngineStats s;
  budget.copy_to(s);
  EXPECT_EQ(s.partials_created, 2u);
  EXPECT_EQ(s.partials_completed, 1u);
  EXPECT_EQ(s.partials_expired, 1u);
  EXPECT_EQ(s.partials_live, 0u);
  EXPECT_TRUE(t.empty());
}

// ---- expiry heap ----------------------------------------------------------------------

TEST(ExpiryHeap, PopsDeadlinesInOrderAndCompactsOnlyPastItsBound) {
  eqlpp::runtime::ExpiryHeap h;
  for (std::int64_t d : {5, 1, 4, 2, 3}) h.push({d, 0, 0, 0, static_cast<std::uint64_t>(d)});
  std::vector<std::int64_t> order;
  while (!h.empty()) {
    order.push_back(h.top().deadline);
    h.pop();
  }
  EXPECT_EQ(order, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  // 3,000 entries of which only ids < 10 are live: compaction keeps those.
  for (std::uint64_t i = 0; i < 3000; ++i) h.push({static_cast<std::int64_t>(i), 0, 0, 0, i});
  auto live = [](const eqlpp::runtime::ExpiryEntry& e) { return e.id < 10; };
  EXPECT_FALSE(h.maybe_compact(1000, live));  // 3000 <= 2 * 1000 + 1024
  EXPECT_TRUE(h.maybe_compact(10, live));
  EXPECT_EQ(h.size(), 10u);
  EXPECT_EQ(h.top().deadline, 0);
}

// ---- alert sink and queue -------------------------------------------------------------

std::vector<eqlpp::AlertEvent> events_at(std::initializer_list<std::uint64_t> ordinals) {
  std::vector<eqlpp::AlertEvent> out;
  for (auto o : ordinals) {
    eqlpp::AlertEvent e;
    e.ordinal = o;
    e.timestamp = static_cast<std::int64_t>(o) * 1'000'000'000;
    out.push_back(e);
  }
  return out;
}

// The engine's index of stateful rules' deadlines: at every event, the
// rules it gives as due are exactly those a scan of every rule's deadline
// finds (in the rules' order), while deadlines are raised, lowered, cleared
// and set again to old values, and stale entries pile up past a rebuild.
TEST(DeadlineIndex, GivesTheDueRulesAScanFinds) {
  using eqlpp::runtime::DeadlineIndex;
  std::mt19937 rng(5);
  for (const std::uint32_t rules : {1u, 3u, 40u, 700u}) {
    DeadlineIndex idx;
    std::vector<std::int64_t> ref;
    for (std::uint32_t k = 0; k < rules; ++k) {
      ASSERT_EQ(idx.add(), k);
      ref.push_back(DeadlineIndex::kNever);
    }
    std::vector<std::uint32_t> due;
    std::size_t most = 0;
    std::int64_t now = 0;
    for (int event = 0; event < 20'000; ++event) {
      now += static_cast<std::int64_t>(rng() % 5);
      // Some rules' deadlines change between events (new partials lower
      // them; kNever when a rule's state empties).
      for (int c = static_cast<int>(rng() % 4); c > 0; --c) {
        const std::uint32_t k = static_cast<std::uint32_t>(rng() % rules);
        const std::int64_t d =
            rng() % 8 == 0 ? DeadlineIndex::kNever : now + static_cast<std::int64_t>(rng() % 40);
        idx.set(k, d);
        ref[k] = d;
        ASSERT_EQ(idx.get(k), d);
      }
      std::vector<std::uint32_t> want;
      for (std::uint32_t k = 0; k < rules; ++k)
        if (ref[k] < now) want.push_back(k);
      if (!want.empty()) {
        ASSERT_TRUE(idx.any_before(now));
      }
      if (idx.any_before(now)) {
        idx.take_due(now, due);
      } else {
        due.clear();
      }
      ASSERT_EQ(due, want) << "rules " << rules << " event " << event;
      // A due rule advances and sets its next deadline, never before now.
      for (const std::uint32_t k : due) {
        const std::int64_t d =
            rng() % 3 == 0 ? DeadlineIndex::kNever : now + static_cast<std::int64_t>(rng() % 40);
        idx.set(k, d);
        ref[k] = d;
      }
      most = std::max(most, idx.entries());
    }
    EXPECT_LE(most, 2 * rules + 65);  // stale entries are bounded by rebuilds
  }
}

TEST(AlertSink, BatchOrdersSequencesByTheirLastEventThenAppliesThePipesInOrder) {
  eqlpp::Rule r = rule("sequence [process where true] [file where true] | head 4 | tail 2");
  const auto& plan = *eqlpp::detail::RuleAccess::plan(r);
  eqlpp::EngineStats es;
  eqlpp::RuleStats rs;
  eqlpp::runtime::AlertQueue q(true, es);
  std::vector<std::uint64_t> got;
  q.on_alert = [&](const eqlpp::Alert& a) { got.push_back(a.events.back().ordinal); };
  eqlpp::runtime::AlertSink sink(r, plan, 0, q, rs);
  // Completed out of their final order (first event order 0,1,2,3,4).
  for (auto evs : {events_at({0, 9}), events_at({1, 5}), events_at({2, 7}), events_at({3, 6}),
                   events_at({4, 8})})
    EXPECT_EQ(sink.emit({}, evs), eqlpp::runtime::AlertSink::Outcome::kKept);
  EXPECT_TRUE(got.empty());  // nothing before finish()
  q.finish();
  // By last event: 5,6,7,8,9; head 4 -> 5,6,7,8; tail 2 -> 7,8.
  EXPECT_EQ(got, (std::vector<std::uint64_t>{7, 8}));
  EXPECT_EQ(rs.alerts, 2u);
  EXPECT_EQ(rs.alerts_suppressed, 3u);
  EXPECT_EQ(es.alerts_suppressed, 3u);
}

TEST(AlertSink, StreamingAppliesALeadingHeadAndTheRateLimit) {
  eqlpp::Rule r = rule("process where true | head 3");
  const auto& plan = *eqlpp::detail::RuleAccess::plan(r);
  eqlpp::EngineStats es;
  eqlpp::RuleStats rs;
  eqlpp::runtime::AlertQueue q(false, es);
  std::size_t n = 0;
  q.on_alert = [&](const eqlpp::Alert&) { ++n; };
  eqlpp::runtime::AlertSink sink(r, plan, 2, q, rs);  // 2 per second of event time
  using O = eqlpp::runtime::AlertSink::Outcome;
  EXPECT_EQ(sink.emit({}, events_at({1})), O::kDelivered);
  EXPECT_EQ(sink.emit({}, events_at({1})), O::kDelivered);
  EXPECT_EQ(sink.emit({}, events_at({1})), O::kOverRate);  // third in second 1
  EXPECT_EQ(sink.emit({}, events_at({2})), O::kDelivered);
  EXPECT_EQ(sink.emit({}, events_at({3})), O::kOverHead);  // head 3 reached
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(rs.alerts_suppressed, 2u);
}

TEST(AlertSink, MissingStagesGetAnEmptyEntryInStageOrder) {
  eqlpp::Rule r =
      rule("sequence with maxspan=1m [process where true] ![file where true] [network where true]");
  const auto& plan = *eqlpp::detail::RuleAccess::plan(r);
  eqlpp::EngineStats es;
  eqlpp::RuleStats rs;
  eqlpp::runtime::AlertQueue q(false, es);
  std::vector<bool> missing;
  q.on_alert = [&](const eqlpp::Alert& a) {
    for (const auto& e : a.events) missing.push_back(e.missing);
    EXPECT_EQ(a.first_timestamp, 1'000'000'000);
    EXPECT_EQ(a.last_timestamp, 2'000'000'000);
  };
  eqlpp::runtime::AlertSink sink(r, plan, 0, q, rs);
  (void)sink.emit({}, events_at({1, 2}));
  EXPECT_EQ(missing, (std::vector<bool>{false, true, false}));
}

// Streaming, the queue refills one Alert per delivery: a copy the callback
// takes is a value that later alerts do not touch, each delivery shows its
// own key, events and times, the events' payloads are released when the
// callback returns, and an emit from inside the callback gets an alert of
// its own.
TEST(AlertSink, TheReusedStreamingAlertIsAValueToTheCallback) {
  eqlpp::Rule r = rule("sequence by host.id [process where true] [file where true]");
  const auto& plan = *eqlpp::detail::RuleAccess::plan(r);
  eqlpp::EngineStats es;
  eqlpp::RuleStats rs;
  eqlpp::runtime::AlertQueue q(false, es);
  eqlpp::runtime::AlertSink sink(r, plan, 0, q, rs);
  auto key = [](std::string_view host) {
    eqlpp::runtime::Key k;
    eqlpp::runtime::key_add_value(k, eqlpp::Value(host));
    return k;
  };
  auto with_payload = [](std::initializer_list<std::uint64_t> ordinals, const std::string& text) {
    auto evs = events_at(ordinals);
    for (auto& e : evs) e.payload = std::make_shared<const std::string>(text);
    return evs;
  };
  std::vector<eqlpp::Alert> copies;
  std::vector<const eqlpp::Alert*> seen;
  std::weak_ptr<const std::string> first_payload;
  bool nested = false;
  q.on_alert = [&](const eqlpp::Alert& a) {
    seen.push_back(&a);
    copies.push_back(a);
    if (copies.size() == 1) first_payload = a.events[0].payload;
    if (copies.size() == 2 && !nested) {
      nested = true;  // an alert delivered while this one is being delivered
      EXPECT_EQ(sink.emit(key("host-nested"), with_payload({7, 8}, "{\"n\":1}")),
                eqlpp::runtime::AlertSink::Outcome::kDelivered);
      // This alert is still the one it was.
      ASSERT_EQ(a.join_keys().size(), 1u);
      EXPECT_EQ(a.join_keys()[0].as_string(), "host-two");
    }
  };
  std::vector<eqlpp::AlertEvent> evs = with_payload({1, 2}, "{\"a\":1}");
  EXPECT_EQ(sink.emit(key("host-one"), evs), eqlpp::runtime::AlertSink::Outcome::kDelivered);
  EXPECT_TRUE(evs.empty());                 // taken
  EXPECT_EQ(first_payload.use_count(), 1);  // only the copy holds it now
  EXPECT_EQ(sink.emit(key("host-two"), with_payload({3, 5}, "{\"b\":2}")),
            eqlpp::runtime::AlertSink::Outcome::kDelivered);
  EXPECT_EQ(sink.emit(key("host-three-with-a-long-name"), with_payload({6, 9}, "{\"c\":3}")),
            eqlpp::runtime::AlertSink::Outcome::kDelivered);
  ASSERT_EQ(copies.size(), 4u);
  EXPECT_EQ(seen[0], seen[1]);  // one object, refilled
  EXPECT_NE(seen[2], seen[1]);  // the nested delivery's own
  EXPECT_EQ(seen[3], seen[0]);
  const char* hosts[] = {"host-one", "host-two", "host-nested", "host-three-with-a-long-name"};
  const char* texts[] = {"{\"a\":1}", "{\"b\":2}", "{\"n\":1}", "{\"c\":3}"};
  const std::int64_t first[] = {1, 3, 7, 6}, last[] = {2, 5, 8, 9};
  for (std::size_t i = 0; i < copies.size(); ++i) {
    SCOPED_TRACE(i);
    auto k = copies[i].join_keys();
    ASSERT_EQ(k.size(), 1u);
    EXPECT_EQ(k[0].as_string(), hosts[i]);
    ASSERT_EQ(copies[i].events.size(), 2u);
    EXPECT_EQ(*copies[i].events[0].payload, texts[i]);
    EXPECT_EQ(copies[i].first_timestamp, first[i] * 1'000'000'000);
    EXPECT_EQ(copies[i].last_timestamp, last[i] * 1'000'000'000);
    EXPECT_EQ(copies[i].rule.query(), r.query());
  }
  // The refilled alert is the alert the public constructor makes.
  const eqlpp::Value one[] = {eqlpp::Value(std::string_view("host-one"))};
  const eqlpp::Alert made(r, one, with_payload({1, 2}, "{\"a\":1}"));
  EXPECT_EQ(copies[0].id(), made.id());
  EXPECT_EQ(copies[0].to_json(), made.to_json());
  EXPECT_EQ(rs.alerts, 4u);
}

TEST(Alert, OwnsItsJoinKeys) {
  std::vector<eqlpp::Alert> kept;
  {
    std::string text = "host-1";
    eqlpp::Value keys[] = {eqlpp::Value(std::string_view(text)), eqlpp::Value(std::int64_t{7})};
    kept.emplace_back(rule("process where true"), keys, events_at({1}));
    text.assign("XXXXXX");  // the source bytes change and die
  }
  auto k = kept[0].join_keys();
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[0].as_string(), "host-1");
  EXPECT_EQ(k[1].as_int(), 7);
  eqlpp::Alert copy = kept[0];
  kept.clear();
  EXPECT_EQ(copy.join_keys()[0].as_string(), "host-1");
}

// ---- dispatcher -----------------------------------------------------------------------

// Whether rule `r`'s plan (`eqlpp explain`) has `text`; the plan is the
// failure message.
::testing::AssertionResult explains(const eqlpp::Rule& r, std::string_view text) {
  const std::string plan = r.explain();
  if (plan.find(text) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no \"" << text << "\" in\n" << plan;
}

// The rules `d` selects for a new event with these field values.
std::vector<std::uint32_t> select_event(
    eqlpp::runtime::Dispatcher& d, eqlpp::compiler::FieldTable& fields,
    eqlpp::runtime::EvalCtx& ctx,
    std::initializer_list<std::pair<const char*, eqlpp::Value>> values) {
  eqlpp::Record r;
  ctx.new_event();
  for (const auto& [f, v] : values) r.add(fields.intern(f), v);
  return d.select(r, ctx);
}

// Registers `rules` in order, each with the categories its stages read;
// how each is selected.
std::vector<eqlpp::runtime::Dispatcher::Selection> add_all(eqlpp::runtime::Dispatcher& d,
                                                           eqlpp::compiler::FieldTable& fields,
                                                           const std::vector<eqlpp::Rule>& rules) {
  std::vector<eqlpp::runtime::Dispatcher::Selection> how;
  for (std::uint32_t i = 0; i < rules.size(); ++i) {
    const auto& plan = *eqlpp::detail::RuleAccess::plan(rules[i]);
    std::vector<eqlpp::FieldId> map;
    for (const auto& f : plan.fields) map.push_back(fields.intern(f));
    std::vector<std::string> cats;
    for (const auto& st : plan.stages)
      if (!st.category.empty()) cats.push_back(st.category);
    how.push_back(d.add(i, plan, map, cats));
  }
  return how;
}

TEST(Dispatcher, SelectsByIndexCategoryOrAlways) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule("process where process.name : (\"a.exe\", \"b.exe\")"),  // index
      rule("file where file.size != 3"),                            // category (no key)
      rule("any where x != 1"),                                     // always
  };
  using S = eqlpp::runtime::Dispatcher::Selection;
  const std::vector<S> how = add_all(d, fields, rules);
  EXPECT_EQ(how, (std::vector<S>{S::kIndex, S::kCategory, S::kAlways}));
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](const std::string& cat, const std::string& name) {
    eqlpp::Record r;
    ctx.new_event();  // the fold cache is per event
    r.add(fields.intern("event.category"), eqlpp::Value(cat));
    r.add(fields.intern("process.name"), eqlpp::Value(name));
    return d.select(r, ctx);
  };
  EXPECT_EQ(select("process", "A.EXE"), (std::vector<std::uint32_t>{0, 2}));  // `:` folds case
  EXPECT_EQ(select("process", "c.exe"), (std::vector<std::uint32_t>{2}));
  // An index hit still needs the rule's category: rule 0 reads only process events.
  EXPECT_EQ(select("file", "a.exe"), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_TRUE(d.selected(1));
  EXPECT_FALSE(d.selected(0));
}

// A selected sequence comes with the stages the event may match: a stage
// none of whose keys the event has is left out (the matcher does not test
// it); a rule selected by category has every stage.
TEST(Dispatcher, SelectedStages) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule(R"(sequence by host.id
          [process where process.name : "a.exe"]
          [process where process.name : ("b.exe", "a.exe")]
          [process where process.name == "c.exe"]
        until [process where process.name : "*stop*"])"),
      rule(R"(process where process.pid != 3)"),  // a `not`: no key
  };
  add_all(d, fields, rules);
  using eqlpp::compiler::kUntilStageBit;
  using eqlpp::compiler::stage_bit;
  eqlpp::runtime::EvalCtx ctx;
  auto stages = [&](const std::string& name) {
    eqlpp::Record r;
    ctx.new_event();
    r.add(fields.intern("event.category"), eqlpp::Value("process"));
    r.add(fields.intern("process.name"), eqlpp::Value(name));
    d.select(r, ctx);
    EXPECT_TRUE(d.selected(1));
    EXPECT_EQ(d.stages(1), ~std::uint32_t{0});  // by category: every stage
    return d.selected(0) ? d.stages(0) : 0u;    // 0: not a candidate
  };
  EXPECT_EQ(stages("A.exe"), stage_bit(0) | stage_bit(1));
  EXPECT_EQ(stages("b.exe"), stage_bit(1));
  EXPECT_EQ(stages("c.exe"), stage_bit(2));
  EXPECT_EQ(stages("C.exe"), 0u);  // `==` is exact: no stage, not a candidate
  EXPECT_EQ(stages("full STOP"), kUntilStageBit);
  EXPECT_EQ(stages("x.exe"), 0u);
  EXPECT_EQ(stage_bit(30), stage_bit(45));  // stages past 30 share the last bit
}

// A stage's second conjunct with keys (IndexKey::second) confirms a rule
// that its first selected, when its table is one the first groups use
// anyway (no new lookup or scan): an event without the second's keys does
// not make the rule a candidate.
TEST(Dispatcher, SecondGroupsConfirm) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule(R"(process where process.name : "a.exe" and process.command_line : "*evil*")"),
      rule(R"(process where process.command_line : "*foo*")"),
      // A second group on a field no first group indexes: not used.
      rule(R"(process where process.name : "b.exe" and process.parent.name : "x.exe")"),
  };
  add_all(d, fields, rules);
  EXPECT_TRUE(explains(rules[0],
                       "where the engine indexes the field anyway, one of\n"
                       "    process.command_line contains~ one of [\"evil\"]"));
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](const std::string& name, const std::string& cmd, const std::string& parent) {
    eqlpp::Record r;
    ctx.new_event();
    r.add(fields.intern("event.category"), eqlpp::Value("process"));
    r.add(fields.intern("process.name"), eqlpp::Value(name));
    r.add(fields.intern("process.command_line"), eqlpp::Value(cmd));
    r.add(fields.intern("process.parent.name"), eqlpp::Value(parent));
    return d.select(r, ctx);
  };
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(select("A.EXE", "run EVIL now", "y"), V{0});
  EXPECT_EQ(select("a.exe", "benign", "y"), V{});  // the second group is missing
  EXPECT_FALSE(d.selected(0));
  EXPECT_EQ(select("a.exe", "foo", "y"), V{1});
  EXPECT_EQ(select("a.exe", "foo evil", "y"), (V{0, 1}));
  EXPECT_EQ(select("b.exe", "x", "y.exe"), V{2});  // its second group is not registered
}

// A rule whose only key is on a field with few values per stream
// (event.dataset) is indexed by it, where it would otherwise take every
// event; so is one whose only condition is on a field most events share
// (host.os.type): a Windows rule then skips the Linux and macOS events of
// its category. Either kind of key loses to any other conjunct's.
TEST(Dispatcher, KeysOfLastResort) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule(R"(any where event.dataset == "aws.cloudtrail" and event.outcome == "success")"),
      rule(R"(process where host.os.type == "windows")"),
      rule(R"(process where event.action == "start" and process.name : "x.exe")"),
  };
  using S = eqlpp::runtime::Dispatcher::Selection;
  const std::vector<S> how = add_all(d, fields, rules);
  EXPECT_EQ(how, (std::vector<S>{S::kIndex, S::kIndex, S::kIndex}));
  // Rule 2 is selected by process.name, the better key, not event.action.
  EXPECT_TRUE(explains(rules[2], "process.name"));
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](const std::string& dataset, const std::string& action,
                    const std::string& os = "windows", const std::string& name = "y.exe") {
    eqlpp::Record r;
    ctx.new_event();
    r.add(fields.intern("event.category"), eqlpp::Value("process"));
    r.add(fields.intern("event.dataset"), eqlpp::Value(dataset));
    r.add(fields.intern("event.action"), eqlpp::Value(action));
    r.add(fields.intern("host.os.type"), eqlpp::Value(os));
    r.add(fields.intern("process.name"), eqlpp::Value(name));
    return d.select(r, ctx);
  };
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(select("endpoint.events.process", "start"), V{1});
  EXPECT_EQ(select("aws.cloudtrail", "start"), (V{0, 1}));
  EXPECT_EQ(select("endpoint.events.process", "start", "linux"), V{});
  EXPECT_EQ(select("aws.cloudtrail", "start", "macos", "X.EXE"), (V{0, 2}));
}

// A regex selects a rule by the literals of RE2's prefilter (one of them is
// in every match), searched in the folded value whether or not the regex
// folds case. A pattern with no such literal, or written with letters beyond
// ASCII (RE2 lower-cases the Kelvin sign to 'k', ASCII folding does not),
// requires only the field's presence.
TEST(Dispatcher, SelectsByRegexLiterals) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule(R"(process where process.command_line regex ".*[ ]{20,}.*")"),
      rule(R"(process where process.name regex "CMD\\.exe")"),
      rule(R"(process where process.name regex~ "(power|pwsh)shell.*")"),
      rule(R"(process where process.name regex ".*")"),
      rule("process where process.name regex \"\u212Aernel.*\""),
      // Both literals are needed: the longer alone is the key.
      rule(R"(process where process.command_line regex "[Hh][Tt][Tt][Pp][sS]?://.*")"),
  };
  using S = eqlpp::runtime::Dispatcher::Selection;
  EXPECT_EQ(add_all(d, fields, rules),
            (std::vector<S>{S::kIndex, S::kIndex, S::kIndex, S::kIndex, S::kIndex, S::kIndex}));
  for (std::size_t i : {std::size_t{3}, std::size_t{4}})
    EXPECT_TRUE(explains(rules[i], "requires one of\n  process.name has a value\n"));
  EXPECT_TRUE(explains(rules[5],
                       "requires one of\n  process.command_line contains~ one of "
                       "[\"http\"]\n"));
  EXPECT_TRUE(explains(rules[1], "process.name contains~ one of [\"cmd.exe\"]"));
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](const std::string& name, const std::string& cmd) {
    return select_event(d, fields, ctx,
                        {{"event.category", eqlpp::Value("process")},
                         {"process.name", eqlpp::Value(name)},
                         {"process.command_line", eqlpp::Value(cmd)}});
  };
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(select("x.exe", "a b"), (V{3, 4}));
  EXPECT_EQ(select("x.exe", "see HTTPS://x"), (V{3, 4, 5}));
  EXPECT_EQ(select("x.exe", "see ftp://x"), (V{3, 4}));
  EXPECT_EQ(select("x.exe", "a" + std::string(20, ' ') + "b"), (V{0, 3, 4}));
  EXPECT_EQ(select("x.exe", "a" + std::string(18, ' ') + "b"), (V{3, 4}));
  EXPECT_EQ(select("CMD.exe", ""), (V{1, 3, 4}));
  EXPECT_EQ(select("cmd.EXE", ""), (V{1, 3, 4}));  // a candidate; the regex decides
  EXPECT_EQ(select("PowerShell.exe", ""), (V{2, 3, 4}));
  EXPECT_EQ(select("PWSHSHELL", ""), (V{2, 3, 4}));
  EXPECT_EQ(select("pwsh.exe", ""), (V{3, 4}));
  // The Kelvin sign's rule still matches its event (it is not indexed).
  eqlpp::Engine e;
  e.add_rule(rules[4]);
  std::size_t alerts = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++alerts; });
  ASSERT_TRUE(e.push_json(R"({"@timestamp":1,"event":{"category":"process"},)"
                          "\"process\":{\"name\":\"\u212Aernel32\"}}")
                  .ok());
  e.finish();
  EXPECT_EQ(alerts, 1u);
}

// A condition false on an event without its field (a number compared, a
// boolean, a date, an address) keys the rule by the field's presence, the
// very last resort: any value key comes first, a shared field's included.
// `!=` (a `not`, true on a missing field) and `== null` are no keys.
TEST(Dispatcher, PresenceKeysOfVeryLastResort) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule(R"(process where (problemchild.prediction == 1 and
                             problemchild.prediction_probability <= 0.98) or
                            blocklist_label == 1)"),
      rule(R"(process where process.pid == 4 and event.type == "start")"),
      rule(R"(process where process.pid != 4 or process.parent.pid == null)"),
  };
  using S = eqlpp::runtime::Dispatcher::Selection;
  EXPECT_EQ(add_all(d, fields, rules), (std::vector<S>{S::kIndex, S::kIndex, S::kCategory}));
  EXPECT_TRUE(explains(rules[0],
                       "requires one of\n  problemchild.prediction has a value\n"
                       "  blocklist_label has a value\n"));
  EXPECT_TRUE(explains(rules[1], "requires one of\n  event.type in [\"start\"]\n"));
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](const char* field, eqlpp::Value v) {
    // (A null value is no value: Record::add drops it.)
    return select_event(d, fields, ctx,
                        {{"event.category", eqlpp::Value("process")},
                         {"event.type", eqlpp::Value("end")},
                         {"process.pid", eqlpp::Value(std::int64_t{4})},
                         {field != nullptr ? field : "process.pid", v}});
  };
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(select(nullptr, {}), V{2});
  EXPECT_EQ(select("blocklist_label", eqlpp::Value(std::int64_t{0})), (V{0, 2}));
  EXPECT_EQ(select("problemchild.prediction", eqlpp::Value("1")), (V{0, 2}));
  EXPECT_EQ(select("problemchild.prediction_probability", eqlpp::Value(0.5)), V{2});
  // Through the engine: evaluated only on the event that has the field.
  eqlpp::Engine e;
  e.add_rule(rules[0]);
  std::size_t alerts = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++alerts; });
  ASSERT_TRUE(e.push_json(R"({"@timestamp":1,"event":{"category":"process"}})").ok());
  ASSERT_TRUE(
      e.push_json(R"({"@timestamp":2,"event":{"category":"process"},"blocklist_label":1})").ok());
  e.finish();
  EXPECT_EQ(alerts, 1u);
  EXPECT_EQ(e.stats().rule_evaluations, 1u);
}

// A substring key with a fragment of three bytes or fewer (":\\" of
// `?:\\*`, in most Windows paths) prunes little: any other conjunct's key is
// taken before it, and it is still a key when there is no other.
TEST(Dispatcher, ShortFragmentsAreKeysOfLastResort) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule(R"(process where process.executable : "?:\\*" and user.id like "S-1-5-21*")"),
      rule(R"(process where process.executable : ("?:\\*", "\\Device\\Mup*"))"),
      // Four bytes is no longer short: the fewer values win.
      rule(
          R"(process where process.executable : "*.exe" and user.id like ("S-1-5-21*", "S-1-12-*"))"),
  };
  using S = eqlpp::runtime::Dispatcher::Selection;
  EXPECT_EQ(add_all(d, fields, rules), (std::vector<S>{S::kIndex, S::kIndex, S::kIndex}));
  EXPECT_TRUE(explains(rules[0], "requires one of\n  user.id contains one of [\"S-1-5-21\"]"));
  EXPECT_TRUE(explains(rules[2], "requires one of\n  process.executable contains~ one of"));
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](const std::string& exe, const std::string& user) {
    return select_event(d, fields, ctx,
                        {{"event.category", eqlpp::Value("process")},
                         {"process.executable", eqlpp::Value(exe)},
                         {"user.id", eqlpp::Value(user)}});
  };
  using V = std::vector<std::uint32_t>;
  // Rule 0 needs its user; rule 2 too, its second group (user.id is indexed anyway).
  EXPECT_EQ(select("C:\\Windows\\x.exe", "S-1-5-18"), V{1});
  EXPECT_EQ(select("C:\\Windows\\x.exe", "S-1-12-1-7"), (V{1, 2}));
  EXPECT_EQ(select("C:\\Windows\\x.exe", "S-1-5-21-7"), (V{0, 1, 2}));
  EXPECT_EQ(select("/usr/bin/x", "S-1-5-21-7"), V{0});  // no ":\\", no ".exe"
}

// A condition on a field most events share is a key only when nothing
// better is there, and a rule keyed by one is still dispatched by category
// too: a rule's `event.type == "end"` keeps it from every process start, not
// from the category test.
TEST(Dispatcher, SharedFieldKeysSelectByValueAndCategory) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule(R"(process where event.type == "end" and host.os.type == "windows")"),
      rule(R"(process where event.type == "end" and process.name == "a.exe")"),
      rule(R"(file where event.type in ("deletion", "change"))"),
  };
  using S = eqlpp::runtime::Dispatcher::Selection;
  EXPECT_EQ(add_all(d, fields, rules), (std::vector<S>{S::kIndex, S::kIndex, S::kIndex}));
  EXPECT_TRUE(explains(rules[1], "process.name"));
  EXPECT_EQ(rules[1].explain().find("event.type in"), std::string::npos) << rules[1].explain();
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](const std::string& category, const std::string& type, const std::string& os,
                    const std::string& name) {
    eqlpp::Record r;
    ctx.new_event();
    r.add(fields.intern("event.category"), eqlpp::Value(category));
    r.add(fields.intern("event.type"), eqlpp::Value(type));
    r.add(fields.intern("host.os.type"), eqlpp::Value(os));
    r.add(fields.intern("process.name"), eqlpp::Value(name));
    return d.select(r, ctx);
  };
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(select("process", "start", "windows", "b.exe"), V{});
  EXPECT_EQ(select("process", "start", "windows", "a.exe"), V{1});  // keyed by its name only
  EXPECT_EQ(select("process", "end", "windows", "b.exe"), V{0});
  EXPECT_EQ(select("process", "end", "linux", "a.exe"), (V{0, 1}));
  EXPECT_EQ(select("file", "end", "windows", "a.exe"), V{});
  EXPECT_EQ(select("file", "change", "windows", "a.exe"), V{2});
  EXPECT_EQ(select("process", "deletion", "windows", "b.exe"), V{});
}

// A sequence's stages after the first positive one act only on state a
// join key holds: while the rule holds none, their events are not its
// candidates; once it holds a partial, they are.
TEST(Dispatcher, ContinuationStagesWaitForState) {
  eqlpp::Engine e;
  e.add_rule(rule(R"(sequence by host.id with maxspan=1h
      [process where process.name : "a.exe"]
      [any where true])"));
  auto push = [&](int ts, const char* cat, const char* name) {
    std::string line = R"({"@timestamp":)" + std::to_string(ts) + R"(,"host":{"id":"h"},)" +
                       R"("event":{"category":")" + cat + R"("},"process":{"name":")" + name +
                       R"("}})";
    ASSERT_TRUE(e.push_json(line).ok()) << line;
  };
  std::size_t alerts = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++alerts; });
  push(1, "file", "b.exe");     // stage 1 only, no state: not evaluated
  push(2, "network", "c.exe");  // the same
  EXPECT_EQ(e.stats().rule_evaluations, 0u);
  push(3, "process", "a.exe");  // stage 0: evaluated, starts a partial
  EXPECT_EQ(e.stats().rule_evaluations, 1u);
  push(4, "file", "b.exe");  // now stage 1 is evaluated and completes it
  EXPECT_EQ(e.stats().rule_evaluations, 2u);
  EXPECT_EQ(alerts, 1u);
  push(5, "file", "b.exe");  // the key's state is gone again
  EXPECT_EQ(e.stats().rule_evaluations, 2u);
  e.finish();
  EXPECT_EQ(alerts, 1u);
  ASSERT_EQ(e.stats().rules.size(), 1u);
  EXPECT_EQ(e.stats().rules[0].evaluations, 2u);
}

// Wildcard patterns select a rule by the literal every matching value must
// contain (each pattern's longest run without `*` or `?`), scanned for all
// rules at once; `:` folds case, `like` does not; "*" alone cannot select.
TEST(Dispatcher, SelectsByRequiredSubstrings) {
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  std::vector<eqlpp::Rule> rules = {
      rule(R"(process where process.command_line : ("*mimikatz*", "*sekurlsa::*"))"),
      rule(R"(process where process.command_line like "*Invoke-?xpression*")"),
      // "*" matches any value: only the field's presence is required.
      rule(R"(process where process.command_line : ("*a*", "*"))"),
  };
  using S = eqlpp::runtime::Dispatcher::Selection;
  const std::vector<S> how = add_all(d, fields, rules);
  EXPECT_EQ(how, (std::vector<S>{S::kIndex, S::kIndex, S::kIndex}));
  EXPECT_TRUE(explains(rules[2], "requires one of\n  process.command_line has a value\n"));
  EXPECT_TRUE(explains(rules[0], "process.command_line contains~ one of [\"mimikatz\""));
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](const std::string& cmd) {
    eqlpp::Record r;
    ctx.new_event();
    r.add(fields.intern("event.category"), eqlpp::Value("process"));
    r.add(fields.intern("process.command_line"), eqlpp::Value(cmd));
    return d.select(r, ctx);
  };
  EXPECT_EQ(select("run MIMIKATZ.exe"), (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(select("x SEKURLSA::logonpasswords"), (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(select("powershell Invoke-Expression"), (std::vector<std::uint32_t>{1, 2}));
  // like is case-sensitive: the required literal is "xpression", the longest run.
  EXPECT_EQ(select("powershell INVOKE-EXPRESSION"), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(select("powershell invoke-expression"), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(select("notepad"), (std::vector<std::uint32_t>{2}));
}

// The scan memo (Dispatcher::ScanMemo): a value seen before selects what a
// scan selects, through cache collisions, a value longer than the memo
// keeps, and the stretches where it rests because few values repeat. Each
// selection of a long-running dispatcher equals a fresh one's.
TEST(Dispatcher, TheScanMemoSelectsWhatAScanSelects) {
  std::vector<eqlpp::Rule> rules = {
      rule(R"(process where process.command_line : ("*mimikatz*", "*sekurlsa::*"))"),
      rule(R"(process where process.command_line like "*Invoke-?xpression*")"),
      rule(R"(process where process.command_line : "*cmd*" and process.command_line : "*/c*")"),
  };
  eqlpp::compiler::FieldTable fields;
  eqlpp::runtime::Dispatcher d(fields.intern("event.category"), "event.category", true);
  add_all(d, fields, rules);
  eqlpp::runtime::EvalCtx ctx;
  auto select = [&](eqlpp::runtime::Dispatcher& on, eqlpp::compiler::FieldTable& f,
                    const std::string& cmd) {
    eqlpp::Record r;
    ctx.new_event();
    r.add(f.intern("event.category"), eqlpp::Value("process"));
    r.add(f.intern("process.command_line"), eqlpp::Value(cmd));
    return on.select(r, ctx);
  };
  const std::vector<std::string> values = {
      "run MIMIKATZ.exe",
      "x sekurlsa::logonpasswords",
      "powershell Invoke-Expression",
      "powershell INVOKE-EXPRESSION",
      "cmd.exe /c whoami",
      "notepad",
      "cmd.exe /c " + std::string(300, 'x') + " mimikatz"};  // past the memo's 256 bytes
  std::mt19937 rng(5);
  std::size_t selected = 0;
  for (int step = 0; step < 60'000; ++step) {
    // Mostly repeats; stretches of distinct values put the memo to rest and back.
    const bool distinct = (step / 5'000) % 3 == 1;
    std::string v = values[rng() % values.size()];
    if (distinct) v += " " + std::to_string(step);
    const std::vector<std::uint32_t> got = select(d, fields, v);
    eqlpp::compiler::FieldTable fresh_fields;
    eqlpp::runtime::Dispatcher fresh(fresh_fields.intern("event.category"), "event.category", true);
    add_all(fresh, fresh_fields, rules);
    ASSERT_EQ(got, select(fresh, fresh_fields, v)) << "step " << step << ": " << v;
    selected += got.size();
  }
  EXPECT_GT(selected, 10'000u);  // the values do select rules
}

// ---- the statistics balance, every kind of rule ---------------------------------------

TEST(StatsBalance, FinishCountsATrailingMissingEventCompletionOnceAsCompleted) {
  // Before the rooms, finish() reported the held completion and also counted
  // it in partials_expired (a clamp hid the mismatch).
  eqlpp::Engine e;
  e.add_rule(rule("sequence by h with maxspan=1h [process where true] ![file where true]"));
  std::size_t alerts = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++alerts; });
  ASSERT_TRUE(e.push_json(R"({"@timestamp":1,"h":1,"event":{"category":"process"}})").ok());
  EXPECT_EQ(e.stats().partials_live, 1u);
  e.finish();
  const auto s = e.stats();
  EXPECT_EQ(alerts, 1u);
  EXPECT_EQ(s.partials_created, 1u);
  EXPECT_EQ(s.partials_completed, 1u);
  EXPECT_EQ(s.partials_expired, 0u);
  EXPECT_TRUE(eqlpp_test::StatsBalance(s));
}

TEST(StatsBalance, HoldsAfterEveryEventAndFinishForEveryKindOfRule) {
  const char* const queries[] = {
      "sequence by h with maxspan=3s [process where a == 1] [file where b == 1]",
      "sequence by h [process where a == 1] [process where b == 1] until [process where u == 1]",
      "sequence by h with maxspan=2s [process where a == 1] ![file where b == 1] [process where "
      "c == 1]",
      "sequence by h with maxspan=2s ![file where u == 1] [process where a == 1] [process where "
      "b == 1]",
      "sequence by h with maxspan=5s [process where a == 1] [file where b == 1] ![network where "
      "true]",
      "sequence by h [any where a == 1] with runs=3",
      "sample by h [process where a == 1] [file where b == 1]",
      "process where a == 1",
  };
  for (bool small : {false, true}) {
    eqlpp::EngineOptions o;
    if (small) {  // memory limits on: evictions of every kind
      o.max_keys_per_rule = 3;
      o.max_partials_per_key = 2;
      o.max_state_bytes = 20'000;
    }
    eqlpp::Engine e(o);
    for (const char* q : queries) e.add_rule(rule(q));
    std::mt19937 rng(small ? 7 : 11);
    const char* cats[] = {"process", "file", "network"};
    std::size_t alerts = 0;
    e.on_alert([&](const eqlpp::Alert&) { ++alerts; });
    for (int i = 0; i < 4000; ++i) {
      nlohmann::json j;
      j["@timestamp"] = i * 250;
      j["event"]["category"] = cats[rng() % 3];
      j["h"] = rng() % 8;
      for (const char* f : {"a", "b", "c", "u"}) j[f] = (rng() % 3 == 0) ? 1 : 0;
      ASSERT_TRUE(e.push_json(j.dump()).ok());
      ASSERT_TRUE(eqlpp_test::StatsBalance(e.stats())) << "event " << i;
    }
    e.finish();
    const auto s = e.stats();
    EXPECT_TRUE(eqlpp_test::StatsBalance(s));
    EXPECT_EQ(s.partials_live, 0u);
    // The stream exercised what it is meant to.
    EXPECT_GT(alerts, 100u);
    EXPECT_GT(s.partials_completed, 100u);
    EXPECT_GT(s.partials_expired, 100u);
    if (small) {
      EXPECT_GT(s.partials_evicted, 0u);
    }
  }
}

}  // namespace
