// SPDX-License-Identifier: Apache-2.0
// Durable state: snapshot and restore speed with 1M live partials of the
// seed rule, and the snapshot's bytes per partial (Engine::snapshot,
// docs/snapshot-format.md). Arg 0: records without payload (the engine's
// own state); arg 1: each event keeps a 320-byte JSON payload, as events
// pushed as JSON lines do.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "eqlpp/eqlpp.hpp"

namespace {

eqlpp::Rule seed() {
  auto l = eqlpp::load_rules(std::string(EQLPP_SOURCE_DIR) + "/rules");
  return l.rules.at(0);
}

void fill(eqlpp::Engine& engine, std::size_t n, bool payload) {
  auto F = [&](const char* p) { return engine.field(p); };
  const eqlpp::FieldId cat = F("event.category"), type = F("event.type"), host = F("host.id"),
                       os = F("host.os.type"), exe = F("process.executable");
  eqlpp::Record r;
  std::string h, x;
  for (std::size_t i = 0; i < n; ++i) {
    h = "6cd44f91-9d46-4013-89d9-" + std::to_string(100000000000 + i);
    x = "C:\\Users\\u\\AppData\\Local\\Temp\\tool" + std::to_string(i % 97) + ".exe";
    r.clear();
    r.set_timestamp(static_cast<std::int64_t>(i) * 1'000);  // 1 us apart: all within maxspan
    r.add(cat, eqlpp::Value("process"));
    r.add(type, eqlpp::Value("end"));
    r.add(host, eqlpp::Value(std::string_view(h)));
    r.add(os, eqlpp::Value("windows"));
    r.add(exe, eqlpp::Value(std::string_view(x)));
    if (payload) {
      std::string json =
          "{\"@timestamp\":" + std::to_string(i) +
          ",\"event\":{\"category\":\"process\",\"type\":\"end\"},\"host\":{\"id\":\"" + h +
          "\",\"os\":{\"type\":\"windows\"}},\"process\":{\"executable\":\"" + x + "\"}}";
      json.resize(320, ' ');
      r.set_payload(std::make_shared<const std::string>(std::move(json)));
    }
    (void)engine.push(r);
  }
}

void BM_SnapshotRestore1MPartials(benchmark::State& state) {
  constexpr std::size_t kN = 1'000'000;
  const bool payload = state.range(0) != 0;
  eqlpp::EngineOptions o;
  o.max_state_bytes = std::size_t{8} << 30;
  const eqlpp::Rule rule = seed();
  eqlpp::Engine engine(o);
  engine.add_rule(rule);
  fill(engine, kN, payload);
  if (engine.stats().partials_live != kN) state.SkipWithError("expected 1M live partials");
  double snap_s = 0, restore_s = 0;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    const std::string snap = engine.snapshot();
    auto t1 = std::chrono::steady_clock::now();
    eqlpp::Engine fresh(o);
    fresh.add_rule(rule);
    auto t2 = std::chrono::steady_clock::now();
    if (!fresh.restore(snap).ok()) state.SkipWithError("restore failed");
    auto t3 = std::chrono::steady_clock::now();
    snap_s += std::chrono::duration<double>(t1 - t0).count();
    restore_s += std::chrono::duration<double>(t3 - t2).count();
    bytes = snap.size();
    benchmark::DoNotOptimize(fresh);
  }
  const double it = static_cast<double>(state.iterations());
  const double mb = static_cast<double>(bytes) / 1e6;
  state.counters["snapshot_MB/s"] = mb / (snap_s / it);
  state.counters["restore_MB/s"] = mb / (restore_s / it);
  state.counters["snapshot_partials/s"] = static_cast<double>(kN) / (snap_s / it);
  state.counters["restore_partials/s"] = static_cast<double>(kN) / (restore_s / it);
  state.counters["snapshot_bytes/partial"] = static_cast<double>(bytes) / static_cast<double>(kN);
}
BENCHMARK(BM_SnapshotRestore1MPartials)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

}  // namespace
