// SPDX-License-Identifier: Apache-2.0
// Google Benchmark suites: parse, compile, JSON decode, filters, the sequence
// matcher at 1 / 10k / 1M keys, and end to end. Counters report events/s,
// MB/s and bytes of state per live partial. See bench/README.md.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "compile/field_table.hpp"
#include "compile/plan.hpp"
#include "diag/diag.hpp"
#include "eqlpp/eqlpp.hpp"
#include "ingest/json_decoder.hpp"
#include "runtime/eval.hpp"
#include "syntax/parser.hpp"

namespace {

std::vector<std::string> corpus_queries() {
  std::vector<std::string> out;
  for (const char* f : {"detection-rules-eql.jsonl", "detection-rules-hunting-eql.jsonl",
                        "protections-artifacts-eql.jsonl"}) {
    std::ifstream in(std::string(EQLPP_SHARED_DIR) + "/corpus/" + f);
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded()) out.push_back(j.value("query", ""));
    }
  }
  return out;
}

// Iterations as the unsigned count the per-event rates multiply.
std::uint64_t iters(const benchmark::State& state) {
  return static_cast<std::uint64_t>(state.iterations());
}

eqlpp::Rule seed_rule() {
  auto l = eqlpp::load_rules(std::string(EQLPP_SOURCE_DIR) + "/rules");
  return l.rules.at(0);
}

void BM_ParseCorpus(benchmark::State& state) {
  auto qs = corpus_queries();
  std::size_t bytes = 0;
  for (const auto& q : qs) bytes += q.size();
  for (auto _ : state) {
    for (const auto& q : qs) {
      eqlpp::DiagSink d(nullptr);
      auto ast = eqlpp::syntax::parse(q, d);
      benchmark::DoNotOptimize(ast);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes * iters(state)));
  state.counters["queries/s"] = benchmark::Counter(static_cast<double>(qs.size() * iters(state)),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseCorpus)->Unit(benchmark::kMillisecond);

void BM_CompileCorpus(benchmark::State& state) {
  auto qs = corpus_queries();
  for (auto _ : state) {
    for (const auto& q : qs) {
      auto r = eqlpp::compile(q);
      benchmark::DoNotOptimize(r);
    }
  }
  state.counters["queries/s"] = benchmark::Counter(static_cast<double>(qs.size() * iters(state)),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CompileCorpus)->Unit(benchmark::kMillisecond);

std::vector<std::string> sample_lines() {
  std::vector<std::string> lines;
  std::ifstream in(std::string(EQLPP_SOURCE_DIR) + "/examples/events.jsonl");
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

void BM_JsonDecode(benchmark::State& state) {
  auto lines = sample_lines();
  eqlpp::compiler::FieldTable fields;
  for (const auto& f : seed_rule().fields()) fields.intern(f);
  fields.intern("@timestamp");
  eqlpp::ingest::JsonDecoder dec;
  eqlpp::Record rec;
  std::size_t bytes = 0;
  for (auto& l : lines) bytes += l.size() + 1;
  for (auto _ : state) {
    for (const auto& l : lines) {
      auto st = dec.decode(l, fields, rec);
      benchmark::DoNotOptimize(st);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes * iters(state)));
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(lines.size() * iters(state)),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_JsonDecode)->Unit(benchmark::kMillisecond);

// Host-filled records for the seed rule over `hosts` distinct hosts; every
// 50th pair is a termination followed by a deletion of the same file.
struct RecordStream {
  std::vector<std::string> strings;
  std::vector<eqlpp::Record> records;
};

RecordStream make_records(eqlpp::Engine& engine, std::size_t n, std::size_t hosts) {
  RecordStream s;
  s.strings.reserve(hosts + 64);
  for (std::size_t h = 0; h < hosts; ++h) s.strings.push_back("host-" + std::to_string(h));
  const std::size_t first_path = s.strings.size();
  for (int i = 0; i < 32; ++i)
    s.strings.push_back("C:\\Users\\u\\AppData\\Local\\Temp\\tool" + std::to_string(i) + ".exe");
  auto F = [&](const char* p) { return engine.field(p); };
  eqlpp::FieldId cat = F("event.category"), type = F("event.type"), host = F("host.id"),
                 os = F("host.os.type"), exe = F("process.executable"), name = F("process.name"),
                 trusted = F("process.code_signature.trusted"), fpath = F("file.path"),
                 ext = F("file.extension"), pexe = F("process.executable");
  std::mt19937_64 rng(42);
  for (std::size_t i = 0; i < n; ++i) {
    eqlpp::Record r;
    r.set_timestamp(static_cast<std::int64_t>(i) * 1'000'000);  // 1 ms apart
    std::string_view h = s.strings[rng() % hosts];
    std::string_view path = s.strings[first_path + rng() % 32];
    r.add(host, eqlpp::Value(h));
    r.add(os, eqlpp::Value("windows"));
    if (i % 2 == 0) {
      r.add(cat, eqlpp::Value("process"));
      r.add(type, eqlpp::Value("end"));
      r.add(exe, eqlpp::Value(path));
      r.add(name, eqlpp::Value("tool.exe"));
      r.add(trusted, eqlpp::Value(false));
    } else {
      r.add(cat, eqlpp::Value("file"));
      r.add(type, eqlpp::Value("deletion"));
      r.add(fpath, eqlpp::Value(path));
      r.add(ext, eqlpp::Value("exe"));
      r.add(pexe, eqlpp::Value("C:\\Windows\\System32\\cmd.exe"));
    }
    s.records.push_back(std::move(r));
  }
  return s;
}

// The seed rule's two stage filters alone, on pre-decoded records (no sequence state).
void BM_SeedRuleFilters(benchmark::State& state) {
  eqlpp::Rule rule = seed_rule();
  eqlpp::Engine engine;  // only for FieldIds
  auto stream = make_records(engine, 100'000, 100);
  std::vector<eqlpp::FieldId> map;
  for (const auto& f : rule.fields()) map.push_back(engine.field(f));
  const auto& plan = *eqlpp::detail::RuleAccess::plan(rule);
  eqlpp::runtime::EvalCtx ctx;
  ctx.map = map.data();
  std::uint64_t matched = 0;
  for (auto _ : state) {
    for (const auto& r : stream.records) {
      ctx.rec = &r;
      ctx.new_event();
      matched += eqlpp::runtime::eval_pred(*plan.stages[0].filter, ctx);
      matched += eqlpp::runtime::eval_pred(*plan.stages[1].filter, ctx);
      ctx.scratch.clear();
    }
  }
  benchmark::DoNotOptimize(matched);
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(stream.records.size() * iters(state)), benchmark::Counter::kIsRate);
  state.counters["ns/event"] =
      benchmark::Counter(static_cast<double>(stream.records.size() * iters(state)),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SeedRuleFilters)->Unit(benchmark::kMillisecond);

void BM_SeedRuleRecords(benchmark::State& state) {
  auto hosts = static_cast<std::size_t>(state.range(0));
  eqlpp::Engine engine;
  engine.add_rule(seed_rule());
  std::uint64_t alerts = 0;
  engine.on_alert([&](const eqlpp::Alert&) { ++alerts; });
  auto stream = make_records(engine, 1'000'000, hosts);
  std::uint64_t peak_live = 0, peak_bytes = 0;
  for (auto _ : state) {
    for (const auto& r : stream.records) {
      auto st = engine.push(r);
      benchmark::DoNotOptimize(st);
    }
    const auto& s = engine.stats();
    peak_live = std::max<std::uint64_t>(peak_live, s.partials_live);
    peak_bytes = std::max<std::uint64_t>(peak_bytes, s.state_bytes);
    engine.finish();
  }
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(stream.records.size() * iters(state)), benchmark::Counter::kIsRate);
  state.counters["live_partials"] = static_cast<double>(peak_live);
  state.counters["state_bytes/partial"] =
      peak_live ? static_cast<double>(peak_bytes) / static_cast<double>(peak_live) : 0;
  state.counters["alerts"] = static_cast<double>(alerts);
}
BENCHMARK(BM_SeedRuleRecords)->Arg(1)->Arg(10'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// Bytes in use on the heap: glibc's arena (uordblks) and its mmapped blocks
// (hblkhd), where a large array such as the key table's slots lives.
std::size_t heap_in_use() {
  const auto m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Process terminations of the seed rule on `n` hosts within maxspan, so
// that each leaves one partial (and its key) alive. Records carry no
// payload: what grows is the engine's own state (key, slot, index, partial,
// expiry entry).
class OnePartialPerHost {
 public:
  explicit OnePartialPerHost(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      hosts_.push_back("6cd44f91-9d46-4013-89d9-" + std::to_string(100000000000 + i));
      exes_.push_back("C:\\Users\\u\\AppData\\Local\\Temp\\tool" + std::to_string(i % 97) + ".exe");
    }
    engine_.add_rule(seed_rule());
    auto F = [&](const char* p) { return engine_.field(p); };
    cat_ = F("event.category"), type_ = F("event.type"), host_ = F("host.id"),
    os_ = F("host.os.type"), exe_ = F("process.executable");
  }
  eqlpp::Engine& engine() { return engine_; }
  // The termination on host i, 1 us after the one before (all within 5 s).
  void push(std::size_t i) {
    r_.clear();
    r_.set_timestamp(static_cast<std::int64_t>(i) * 1'000);
    r_.add(cat_, eqlpp::Value("process"));
    r_.add(type_, eqlpp::Value("end"));
    r_.add(host_, eqlpp::Value(std::string_view(hosts_[i])));
    r_.add(os_, eqlpp::Value("windows"));
    r_.add(exe_, eqlpp::Value(std::string_view(exes_[i])));
    auto st = engine_.push(r_);
    benchmark::DoNotOptimize(st);
  }

 private:
  std::vector<std::string> hosts_, exes_;
  eqlpp::Engine engine_;
  eqlpp::FieldId cat_, type_, host_, os_, exe_;
  eqlpp::Record r_;
};

// Memory per live partial sequence, measured on the heap (glibc mallinfo2),
// not estimated: 100k hosts with one live partial each.
void BM_PartialStateBytes(benchmark::State& state) {
  constexpr std::size_t kN = 100'000;
  double heap_per = 0, est_per = 0;
  for (auto _ : state) {
    OnePartialPerHost run(kN);
    // Warm up the engine's own buffers with one event, then measure.
    run.push(0);
    std::size_t before = heap_in_use();
    for (std::size_t i = 1; i < kN; ++i) run.push(i);
    std::size_t after = heap_in_use();
    const auto& st = run.engine().stats();
    heap_per = static_cast<double>(after - before) / static_cast<double>(kN - 1);
    est_per = static_cast<double>(st.state_bytes) / static_cast<double>(st.partials_live);
    if (st.partials_live != kN) state.SkipWithError("expected one live partial per host");
  }
  state.counters["heap_bytes/partial"] = heap_per;
  state.counters["estimated_bytes/partial"] = est_per;
}
BENCHMARK(BM_PartialStateBytes)->Unit(benchmark::kMillisecond)->Iterations(1);

// The worst single push() while the state grows to 1M keys (the default
// max_keys_per_rule): an array that doubles (the expiry heap, the key index;
// the key slots before they were chunked) moves all it holds inside one push,
// a stall that grows with the state. The mean is reported beside it.
// Wall-clock per push, so the max is noisy: compare runs of one machine, and
// the order of magnitude.
void BM_StateGrowthWorstPush(benchmark::State& state) {
  constexpr std::size_t kN = 1'000'000;
  double worst_us = 0, mean_us = 0;
  for (auto _ : state) {
    OnePartialPerHost run(kN);
    std::int64_t worst = 0, total = 0;
    for (std::size_t i = 0; i < kN; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      run.push(i);
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      worst = std::max<std::int64_t>(worst, ns);
      total += ns;
    }
    worst_us = static_cast<double>(worst) / 1e3;
    mean_us = static_cast<double>(total) / 1e3 / static_cast<double>(kN);
    if (run.engine().stats().partials_live != kN)
      state.SkipWithError("expected one live partial per host");
  }
  state.counters["worst_push_us"] = worst_us;
  state.counters["mean_push_us"] = mean_us;
}
BENCHMARK(BM_StateGrowthWorstPush)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_SeedRuleJsonEndToEnd(benchmark::State& state) {
  auto lines = sample_lines();
  std::size_t bytes = 0;
  for (auto& l : lines) bytes += l.size() + 1;
  for (auto _ : state) {
    eqlpp::Engine engine;
    engine.add_rule(seed_rule());
    std::uint64_t alerts = 0;
    engine.on_alert([&](const eqlpp::Alert&) { ++alerts; });
    for (const auto& l : lines) {
      auto st = engine.push_json(l);
      benchmark::DoNotOptimize(st);
    }
    engine.finish();
    benchmark::DoNotOptimize(alerts);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes * iters(state)));
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(lines.size() * iters(state)),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SeedRuleJsonEndToEnd)->Unit(benchmark::kMillisecond);

// The same lines as one buffer, one push_json_lines() call: each line is
// parsed where it lies instead of being copied into a padded buffer.
void BM_SeedRuleJsonLinesEndToEnd(benchmark::State& state) {
  std::string text;
  std::size_t n = 0;
  for (const auto& l : sample_lines()) {
    text += l;
    text += '\n';
    ++n;
  }
  for (auto _ : state) {
    eqlpp::Engine engine;
    engine.add_rule(seed_rule());
    std::uint64_t alerts = 0;
    engine.on_alert([&](const eqlpp::Alert&) { ++alerts; });
    benchmark::DoNotOptimize(engine.push_json_lines(text));
    engine.finish();
    benchmark::DoNotOptimize(alerts);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(text.size() * iters(state)));
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(n * iters(state)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SeedRuleJsonLinesEndToEnd)->Unit(benchmark::kMillisecond);

// A whole corpus file of rules at once over the sample stream (the loader
// picks each rule's dialect from its layout).
void all_rules(benchmark::State& state, const char* corpus_file) {
  auto loaded = eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/" + corpus_file);
  auto lines = sample_lines();
  for (auto _ : state) {
    eqlpp::Engine engine;
    for (const auto& r : loaded.rules) engine.add_rule(r);
    for (const auto& l : lines) {
      auto st = engine.push_json(l);
      benchmark::DoNotOptimize(st);
    }
    engine.finish();
  }
  state.counters["rules"] = static_cast<double>(loaded.rules.size());
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(lines.size() * iters(state)),
                                                  benchmark::Counter::kIsRate);
}

void BM_AllDetectionRules(benchmark::State& state) {
  all_rules(state, "detection-rules-eql.jsonl");
}
BENCHMARK(BM_AllDetectionRules)->Unit(benchmark::kMillisecond);

// All 1,314 Endpoint behaviour rules at once, in the Endpoint dialect.
void BM_AllEndpointRules(benchmark::State& state) {
  all_rules(state, "protections-artifacts-eql.jsonl");
}
BENCHMARK(BM_AllEndpointRules)->Unit(benchmark::kMillisecond);

// Heap bytes per lineage table entry (glibc mallinfo2): a chain of 100k
// process starts below a matching ancestor, each inheriting the match, with
// 36-character entity ids as Elastic Endpoint writes them.
void BM_LineageEntryBytes(benchmark::State& state) {
  constexpr std::size_t kN = 100'000;
  eqlpp::CompileOptions co;
  co.dialect = eqlpp::Dialect::kEndpoint;
  auto rule =
      eqlpp::compile(R"(process where descendant of [process where process.name == "cmd.exe"])",
                     eqlpp::RuleMetadata{}, co);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i <= kN; ++i)
    ids.push_back("6cd44f91-9d46-4013-89d9-" + std::to_string(100000000000 + i));
  double per = 0;
  for (auto _ : state) {
    eqlpp::Engine engine;
    engine.add_rule(*rule);
    auto F = [&](const char* p) { return engine.field(p); };
    eqlpp::FieldId cat = F("event.category"), type = F("event.type"), pid = F("process.entity_id"),
                   ppid = F("process.parent.entity_id"), name = F("process.name");
    eqlpp::Record r;
    auto push = [&](std::size_t i, const char* n) {
      r.clear();
      r.set_timestamp(static_cast<std::int64_t>(i) * 1'000);
      r.add(cat, eqlpp::Value("process"));
      r.add(type, eqlpp::Value("start"));
      r.add(pid, eqlpp::Value(std::string_view(ids[i + 1])));
      r.add(ppid, eqlpp::Value(std::string_view(ids[i])));
      r.add(name, eqlpp::Value(n));
      auto st = engine.push(r);
      benchmark::DoNotOptimize(st);
    };
    push(0, "cmd.exe");
    std::size_t before = heap_in_use();
    for (std::size_t i = 1; i < kN; ++i) push(i, "x.exe");
    std::size_t after = heap_in_use();
    const auto st = engine.stats();
    if (st.lineage_entries != kN) state.SkipWithError("expected one entry per process");
    per = static_cast<double>(after - before) / static_cast<double>(kN - 1);
  }
  state.counters["heap_bytes/lineage_entry"] = per;
}
BENCHMARK(BM_LineageEntryBytes)->Unit(benchmark::kMillisecond)->Iterations(1);

// ---- hostile key distributions (issue: one busy key) ------------------------------
// Each pushes host-filled Records for one join key; before the expiry heap
// dropped superseded entries, each of these compacted the whole heap on every
// event once it was full (O(n) per event).

eqlpp::Rule seed_rule_with_maxspan(const char* maxspan) {
  std::string q = seed_rule().query();
  auto at = q.find("maxspan=5s");
  q.replace(at, 10, std::string("maxspan=") + maxspan);
  return eqlpp::compile(q).value();
}

// The seed rule under maxspan 1h: one host terminating a process twice a
// second (every event is stage 1 and replaces the key's partial).
void BM_OneKeyLongMaxspan(benchmark::State& state) {
  constexpr std::size_t kN = 200'000;
  std::uint64_t entries = 0;
  for (auto _ : state) {
    eqlpp::Engine engine;
    engine.add_rule(seed_rule_with_maxspan("1h"));
    auto F = [&](const char* p) { return engine.field(p); };
    eqlpp::FieldId cat = F("event.category"), type = F("event.type"), host = F("host.id"),
                   os = F("host.os.type"), exe = F("process.executable");
    eqlpp::Record r;
    for (std::size_t i = 0; i < kN; ++i) {
      r.clear();
      r.set_timestamp(static_cast<std::int64_t>(i) * 500'000'000);  // 2 events/s
      r.add(cat, eqlpp::Value("process"));
      r.add(type, eqlpp::Value("end"));
      r.add(host, eqlpp::Value("one-busy-host"));
      r.add(os, eqlpp::Value("windows"));
      r.add(exe, eqlpp::Value("C:\\Users\\u\\AppData\\Local\\Temp\\tool.exe"));
      auto st = engine.push(r);
      benchmark::DoNotOptimize(st);
    }
    entries = engine.stats().expiry_entries;
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(kN * iters(state)), benchmark::Counter::kIsRate);
  state.counters["expiry_entries"] = static_cast<double>(entries);
}
BENCHMARK(BM_OneKeyLongMaxspan)->Unit(benchmark::kMillisecond);

// An until storm on one key: stage-1 events and `until` events alternate.
void BM_UntilStormOneKey(benchmark::State& state) {
  constexpr std::size_t kN = 200'000;
  auto rule = eqlpp::compile(
                  "sequence by h with maxspan=1h [process where a == 1] [file where b == 1] "
                  "until [network where u == 1]")
                  .value();
  for (auto _ : state) {
    eqlpp::Engine engine;
    engine.add_rule(rule);
    eqlpp::FieldId cat = engine.field("event.category"), h = engine.field("h"),
                   a = engine.field("a"), u = engine.field("u");
    eqlpp::Record r;
    for (std::size_t i = 0; i < kN; ++i) {
      r.clear();
      r.set_timestamp(static_cast<std::int64_t>(i) * 1'000'000);
      const bool until = i % 2 == 1;
      r.add(cat, eqlpp::Value(until ? "network" : "process"));
      r.add(h, eqlpp::Value(std::int64_t{1}));
      r.add(until ? u : a, eqlpp::Value(std::int64_t{1}));
      auto st = engine.push(r);
      benchmark::DoNotOptimize(st);
    }
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(kN * iters(state)), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_UntilStormOneKey)->Unit(benchmark::kMillisecond);

// A 50-stage sequence on one key whose every stage matches every event: each
// event moves all 49 partials one stage on (and completes one).
void BM_FiftyStagesOneKey(benchmark::State& state) {
  constexpr std::size_t kN = 100'000;
  std::string q = "sequence by h with maxspan=1h";
  for (int i = 0; i < 50; ++i) q += " [process where s >= 0]";
  auto rule = eqlpp::compile(q).value();
  std::uint64_t alerts = 0;
  for (auto _ : state) {
    eqlpp::Engine engine;
    engine.add_rule(rule);
    engine.on_alert([&](const eqlpp::Alert&) { ++alerts; });
    eqlpp::FieldId cat = engine.field("event.category"), h = engine.field("h"),
                   stage = engine.field("s");
    eqlpp::Record r;
    for (std::size_t i = 0; i < kN; ++i) {
      r.clear();
      r.set_timestamp(static_cast<std::int64_t>(i) * 1'000'000);
      r.add(cat, eqlpp::Value("process"));
      r.add(h, eqlpp::Value(std::int64_t{1}));
      r.add(stage, eqlpp::Value(static_cast<std::int64_t>(i % 50)));
      auto st = engine.push(r);
      benchmark::DoNotOptimize(st);
    }
  }
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(kN * iters(state)), benchmark::Counter::kIsRate);
  state.counters["alerts"] = static_cast<double>(alerts);
}
BENCHMARK(BM_FiftyStagesOneKey)->Unit(benchmark::kMillisecond);

}  // namespace
