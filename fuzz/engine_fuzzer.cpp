// SPDX-License-Identifier: Apache-2.0
// Whole-engine fuzzer: a rule from a fixed set (or fuzzed text) and a stream
// of structured events built from the input. Invariants checked:
//  - streaming with a window at least as large as the disorder equals batch;
//  - on in-order input, window 0 equals batch;
//  - the rule index and shared conditions off equal them on (batch);
//  - alerts of a rule come with their events in stage order (ordinals rise);
//  - statistics add up, after every event and after finish(): events in =
//    processed + malformed + late + ahead + held + buffered, and partials
//    created = completed + expired + evicted + live;
//  - with the time guard on (max_time_ahead), one event forged ten years
//    ahead changes nothing: the alerts equal those of the stream without it;
//  - under a one-key flood the expiry heap stays within its bound;
//  - a projected field nested deeper than max_json_depth is an error, never a crash;
//  - a run cut at a random point, snapshotted and restored into a new engine
//    gives the alerts of the uninterrupted run, and the restored engine
//    writes the same snapshot bytes.
// Rules compile in the Endpoint dialect (a superset), so lineage, stage
// aliases and _arraysearch are held to the same invariants.
#include <fuzzer/FuzzedDataProvider.h>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eqlpp/eqlpp.hpp"

namespace {

const char* const kRules[] = {
    "sequence by h with maxspan=3s [process where a == 1] by p [file where b == 1] by p",
    "sequence by h [process where a == 1] [process where b == 1] until [process where u == 1]",
    "sequence by h with maxspan=2s [process where a == 1] ![file where b == 1] [process where c == "
    "1]",
    "sequence by h with maxspan=2s ![file where u == 1] [process where a == 1] [process where b == "
    "1]",
    "sequence by h with maxspan=5s [process where a == 1] [file where b == 1] ![network where "
    "true]",
    "sequence by ?h [any where a == 1] with runs=3",
    "sample by h [process where a == 1] [file where b == 1]",
    "process where a == 1 and not p : (\"x*\", \"*y\")",
    "sequence with maxspan=1s [process where true] [file where true] [network where true]",
    // The Endpoint dialect: a stage alias, lineage (p names the process, q
    // its parent, s the start/end), _arraysearch over `arr`, field comparison.
    "sequence by h with maxspan=3s [process where a == 1] as e0 [file where b == e0.b and p == "
    "e0.p]",
    "process where descendant of [process where a == 1] or child of [file where b == 1]",
    "any where event of [process where c == 1] and not child of [process where u == 1]",
    "any where _arraysearch(arr, $e, $e.x == 1 and $e.y == 1)",
    "sequence by h [any where _arraysearch(arr, $e, $e.x == b)] [any where p == q]",
    // Index keys from a regex's literals, through _arraysearch, by presence.
    "any where p regex~ \"X[0-9]\" and _arraysearch(arr, $e, $e.y == 1)",
    "sequence by h with maxspan=2s [process where p : \"x?\"] [file where a >= 1 or c == 1]",
};

// The partial balance of EngineStats (eqlpp/engine.hpp).
void check_balance(const eqlpp::EngineStats& s) {
  if (s.partials_created !=
      s.partials_completed + s.partials_expired + s.partials_evicted + s.partials_live)
    __builtin_trap();
  if (s.events_in !=
      s.events_processed + s.malformed + s.late + s.ahead + s.held_ahead + s.buffered)
    __builtin_trap();
}

struct Out {
  std::vector<std::vector<std::uint64_t>> alerts;  // arrival indexes of each alert's events
};

// `cut`: after that many lines, the engine is snapshotted and replaced by a
// new one restored from the snapshot (none when past the end).
Out run(const eqlpp::Rule& rule, const std::vector<std::string>& lines, eqlpp::EngineOptions o,
        bool check_heap = false, std::size_t cut = std::numeric_limits<std::size_t>::max()) {
  Out out;
  o.tiebreaker_field = "i";  // a total order, so every run sees the same order
  o.lineage.process_field = "p";
  o.lineage.parent_field = "q";
  o.lineage.subtype_field = "s";
  const bool ordered = rule.kind() == eqlpp::QueryKind::kSequence;
  auto engine = std::make_unique<eqlpp::Engine>(o);
  engine->add_rule(rule);
  auto on_alert = [&](const eqlpp::Alert& a) {
    std::vector<std::uint64_t> ids;
    std::uint64_t last = 0;
    bool first = true;
    for (const auto& ev : a.events) {
      if (ev.missing) continue;
      if (ordered && !first && ev.ordinal <= last)
        __builtin_trap();  // stage order = processing order
      first = false;
      last = ev.ordinal;
      auto at = ev.payload->find("\"i\":");
      ids.push_back(std::stoull(ev.payload->substr(at + 4)));
    }
    out.alerts.push_back(ids);
  };
  engine->on_alert(on_alert);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i == cut) {
      const std::string snap = engine->snapshot();
      auto fresh = std::make_unique<eqlpp::Engine>(o);
      fresh->add_rule(rule);
      fresh->on_alert(on_alert);
      if (!fresh->restore(snap).ok()) __builtin_trap();
      if (fresh->snapshot() != snap) __builtin_trap();
      engine = std::move(fresh);
    }
    if (!engine->push_json(lines[i])) __builtin_trap();  // every generated line is valid
    const auto s = engine->stats();
    check_balance(s);
    if (check_heap && s.expiry_entries > 2 * (s.partials_live + 64) + 1024) __builtin_trap();
  }
  eqlpp::Engine& e = *engine;
  e.finish();
  const auto s = e.stats();
  check_balance(s);
  if (s.events_in != s.events_processed + s.malformed + s.late + s.ahead) __builtin_trap();
  if (s.held_ahead != 0) __builtin_trap();
  if (s.partials_live != 0 || s.buffered != 0) __builtin_trap();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  std::string query;
  const bool fixed_rule = fdp.ConsumeBool();
  if (fixed_rule)
    query = kRules[fdp.ConsumeIntegralInRange<std::size_t>(0, std::size(kRules) - 1)];
  else
    query = fdp.ConsumeRandomLengthString(256);
  eqlpp::CompileOptions endpoint;  // a superset of Elasticsearch's EQL
  endpoint.dialect = eqlpp::Dialect::kEndpoint;
  auto rule = eqlpp::compile(query, eqlpp::RuleMetadata{}, endpoint);
  if (!rule) return 0;
  // Deep nesting on a projected field: an error beyond the limit, never a crash.
  {
    const std::size_t depth = fdp.ConsumeIntegralInRange<std::size_t>(1, 5000);
    std::string v(depth, '[');
    v += "1";
    v.append(depth, ']');
    static const eqlpp::Rule reader = eqlpp::compile("any where a == 1").value();  // projects `a`
    eqlpp::Engine e;
    e.add_rule(*rule);
    e.add_rule(reader);
    const bool ok = e.push_json("{\"@timestamp\":1,\"a\":" + v + ",\"p\":" + v + "}").ok();
    if (ok != (depth + 1 <= e.options().max_json_depth)) __builtin_trap();
  }
  // One-key flood: every event on the same key, tiny time steps.
  const bool flood = fdp.ConsumeBool();
  static constexpr const char* kCats[] = {"process", "file", "network"};
  std::vector<std::pair<std::int64_t, std::string>> events;
  std::int64_t t = 0;
  const int count = flood ? 3000 : 200;
  for (int i = 0; i < count && fdp.remaining_bytes() > 0; ++i) {
    t += flood ? fdp.ConsumeIntegralInRange<int>(0, 3) : fdp.ConsumeIntegralInRange<int>(0, 800);
    std::string line = "{\"@timestamp\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) +
                       ",\"event\":{\"category\":\"" + kCats[fdp.ConsumeIntegralInRange(0, 2)] +
                       "\"}";
    if (flood)
      line += ",\"h\":0";
    else if (fdp.ConsumeBool())
      line += ",\"h\":" + std::to_string(fdp.ConsumeIntegralInRange(0, 2));
    line += ",\"p\":\"" + std::string(fdp.ConsumeBool() ? "x1" : "y2") + "\"";
    for (const char* f : {"a", "b", "c", "u"})
      if (fdp.ConsumeBool()) line += std::string(",\"") + f + "\":1";
    if (fdp.ConsumeBool()) {  // a parent and a start or an end, for lineage
      line += ",\"q\":\"" + std::string(fdp.ConsumeBool() ? "x1" : "y2") + "\"";
      line += ",\"s\":\"" + std::string(fdp.ConsumeBool() ? "start" : "end") + "\"";
    }
    if (fdp.ConsumeBool()) {  // an array of objects, for _arraysearch
      line += ",\"arr\":[";
      const int n = fdp.ConsumeIntegralInRange(0, 3);
      for (int k = 0; k < n; ++k)
        line += std::string(k ? "," : "") +
                "{\"x\":" + std::to_string(fdp.ConsumeIntegralInRange(0, 1)) +
                ",\"y\":" + std::to_string(fdp.ConsumeIntegralInRange(0, 1)) + "}";
      line += "]";
    }
    events.emplace_back(t, line + "}");
  }
  std::vector<std::string> sorted;
  for (auto& [ts, l] : events) sorted.push_back(l);
  eqlpp::EngineOptions batch;
  batch.reorder_window = std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::max());
  batch.max_buffered_events = std::numeric_limits<std::size_t>::max();
  Out b = run(*rule, sorted, batch);
  eqlpp::EngineOptions plain = batch;
  plain.index_rules = false;
  plain.share_conditions = false;
  if (run(*rule, sorted, plain).alerts != b.alerts) __builtin_trap();
  Out s = run(*rule, sorted, eqlpp::EngineOptions{}, flood);
  if (b.alerts != s.alerts) __builtin_trap();
  // One forged event ten years ahead, set aside by the guard, changes nothing.
  if (fixed_rule && !sorted.empty()) {
    std::vector<std::string> forged = sorted;
    const std::size_t at = fdp.ConsumeIntegralInRange<std::size_t>(0, forged.size() - 1);
    const std::int64_t future = events[at].first + std::int64_t{10} * 365 * 86'400'000;
    forged.insert(forged.begin() + static_cast<std::ptrdiff_t>(at) + 1,
                  "{\"@timestamp\":" + std::to_string(future) +
                      ",\"i\":999999,\"event\":{\"category\":\"forged\"}}");
    eqlpp::EngineOptions guarded;
    guarded.max_time_ahead = std::chrono::hours(1);
    Out g = run(*rule, forged, guarded);
    if (g.alerts != s.alerts) __builtin_trap();
  }
  // Delay each event by less than 1 s of event time and stream with a 1 s window.
  std::vector<std::pair<std::int64_t, std::string>> arrival;
  for (auto& [ts, l] : events)
    arrival.emplace_back(ts + fdp.ConsumeIntegralInRange<int>(0, 999), l);
  std::stable_sort(arrival.begin(), arrival.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> shuffled;
  for (auto& [ts, l] : arrival) shuffled.push_back(l);
  eqlpp::EngineOptions windowed;
  windowed.reorder_window = std::chrono::seconds(1);
  Out w = run(*rule, shuffled, windowed);
  if (b.alerts != w.alerts) __builtin_trap();
  // The same, cut, snapshotted and restored at a random point.
  if (!shuffled.empty()) {
    const std::size_t cut = fdp.ConsumeIntegralInRange<std::size_t>(0, shuffled.size() - 1);
    Out c = run(*rule, shuffled, windowed, false, cut);
    if (c.alerts != w.alerts) __builtin_trap();
  }
  return 0;
}
