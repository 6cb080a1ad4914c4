// SPDX-License-Identifier: Apache-2.0
// Every EQL query Elastic publishes (../shared/corpus) parses, round-trips
// through the printer, and compiles; Endpoint-dialect rules fail only with
// "not supported yet:" (or Elasticsearch's own field-comparison error).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "diag/diag.hpp"
#include "eqlpp/eqlpp.hpp"
#include "eqlpp/rule.hpp"
#include "syntax/parser.hpp"

namespace {

struct CorpusQuery {
  std::string file, name, query;
};

std::vector<CorpusQuery> load(const std::string& file) {
  std::vector<CorpusQuery> out;
  std::ifstream in(std::string(EQLPP_SHARED_DIR) + "/corpus/" + file);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    out.push_back({file, j.value("name", ""), j.value("query", "")});
  }
  return out;
}

std::vector<CorpusQuery> all() {
  std::vector<CorpusQuery> out;
  for (const char* f : {"detection-rules-eql.jsonl", "detection-rules-hunting-eql.jsonl",
                        "protections-artifacts-eql.jsonl"}) {
    auto v = load(f);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

TEST(Corpus, EveryQueryParsesAndRoundTrips) {
  auto qs = all();
  ASSERT_EQ(qs.size(), 2408u) << "the corpus should hold 2,408 queries";
  std::size_t parsed = 0, round_tripped = 0;
  for (const auto& q : qs) {
    auto file = std::make_shared<eqlpp::SourceFile>(q.name, q.query);
    eqlpp::DiagSink d1(file);
    auto ast = eqlpp::syntax::parse(q.query, d1);
    EXPECT_TRUE(ast.has_value()) << q.file << ": " << q.name << "\n" << d1.diagnostics().render();
    if (!ast) continue;
    ++parsed;
    std::string printed = eqlpp::syntax::print(*ast);
    eqlpp::DiagSink d2(std::make_shared<eqlpp::SourceFile>("printed", printed));
    auto again = eqlpp::syntax::parse(printed, d2);
    EXPECT_TRUE(again.has_value()) << q.name << "\n"
                                   << printed << "\n"
                                   << d2.diagnostics().render();
    if (!again) continue;
    EXPECT_EQ(eqlpp::syntax::dump(*ast), eqlpp::syntax::dump(*again)) << q.name;
    if (eqlpp::syntax::dump(*ast) == eqlpp::syntax::dump(*again)) ++round_tripped;
  }
  std::printf("corpus: %zu of %zu queries parse, %zu round-trip\n", parsed, qs.size(),
              round_tripped);
}

TEST(Corpus, DetectionRulesAllCompile) {
  std::size_t ok = 0;
  auto qs = load("detection-rules-eql.jsonl");
  auto hunting = load("detection-rules-hunting-eql.jsonl");
  qs.insert(qs.end(), hunting.begin(), hunting.end());
  for (const auto& q : qs) {
    auto r = eqlpp::compile(q.query);
    EXPECT_TRUE(r.ok()) << q.name << "\n" << (r.ok() ? "" : r.error().render());
    ok += r.ok();
  }
  std::printf("detection rules: %zu of %zu compile\n", ok, qs.size());
  EXPECT_EQ(qs.size(), 1094u) << "the corpus should hold 1,094 detection and hunting queries";
  EXPECT_EQ(ok, qs.size());
}

// With ECS's field types (mappings/ecs.json, generated from ECS's published
// field definitions) every detection rule still compiles: no rule compares
// a typed ECS field with a literal its type cannot read.
TEST(Corpus, DetectionRulesAllCompileAgainstTheEcsMapping) {
  std::ifstream in(std::string(EQLPP_SOURCE_DIR) + "/mappings/ecs.json");
  std::stringstream text;
  text << in.rdbuf();
  eqlpp::CompileOptions o;
  auto st = eqlpp::load_mapping(text.str(), o);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_GT(o.field_mappings.size(), 1500u);
  EXPECT_EQ(o.field_mappings.at("process.pid").type, eqlpp::FieldType::kInteger);
  EXPECT_EQ(o.field_mappings.at("source.ip").type, eqlpp::FieldType::kIp);
  EXPECT_EQ(o.field_mappings.at("process.name.text").type, eqlpp::FieldType::kKeyword);
  std::size_t ok = 0, typed = 0;
  auto qs = load("detection-rules-eql.jsonl");
  for (const auto& q : qs) {
    auto r = eqlpp::compile(q.query, eqlpp::RuleMetadata{}, o, q.name);
    EXPECT_TRUE(r.ok()) << q.name << "\n" << (r.ok() ? "" : r.error().render());
    ok += r.ok();
    if (r.ok() && (r->explain().find(" as an ip address ") != std::string::npos)) ++typed;
  }
  std::printf("detection rules with the ECS mapping: %zu of %zu compile, %zu compare ip fields\n",
              ok, qs.size(), typed);
  EXPECT_EQ(ok, qs.size());
  EXPECT_GT(typed, 10u);  // source.ip != "127.0.0.1" and the like became address comparisons
}

TEST(Corpus, EndpointRulesCompileOrAreNotSupportedYet) {
  auto qs = load("protections-artifacts-eql.jsonl");
  std::map<std::string, std::size_t> reasons;
  std::size_t ok = 0, es_ok = 0;
  eqlpp::CompileOptions endpoint;
  endpoint.dialect = eqlpp::Dialect::kEndpoint;
  for (const auto& q : qs) {
    auto es = eqlpp::compile(q.query);  // the Elasticsearch dialect rejects what it lacks
    es_ok += es.ok();
    if (!es) {
      EXPECT_NE(es.error()[0].message.find("--dialect endpoint"), std::string::npos)
          << q.name << "\n"
          << es.error().render();
    }
    auto r = eqlpp::compile(q.query, eqlpp::RuleMetadata{}, endpoint, q.name);
    if (r) {
      ++ok;
      continue;
    }
    const auto& d = r.error()[0];
    bool allowed = d.code == eqlpp::DiagCode::kNotSupportedYet;
    EXPECT_TRUE(allowed) << q.name << "\n" << r.error().render();
    std::string reason = d.message.substr(0, d.message.find('\''));
    if (d.message.find("lineage") != std::string::npos)
      reason = "not supported yet: lineage (descendant of)";
    ++reasons[reason];
  }
  std::printf("endpoint rules: %zu of %zu compile (%zu in the Elasticsearch dialect)\n", ok,
              qs.size(), es_ok);
  for (const auto& [reason, n] : reasons) std::printf("  %4zu  %s\n", n, reason.c_str());
  EXPECT_EQ(qs.size(), 1314u) << "the corpus should hold 1,314 Endpoint rules";
  EXPECT_EQ(ok, 1314u);  // every Endpoint behaviour rule, in the Endpoint dialect
  EXPECT_EQ(es_ok, 1017u);
}

}  // namespace

// The rule index (EngineOptions::index_rules) only skips rules that cannot
// match, and shared conditions (EngineOptions::share_conditions) only save
// evaluations: every detection rule over the sample stream, and over a
// variant with upper-cased executables (case-insensitive `:` and `in~`),
// gives the same alerts, in the same order, with and without them.
static std::vector<std::string> sample_lines() {
  std::vector<std::string> lines;
  std::ifstream in(std::string(EQLPP_SOURCE_DIR) + "/examples/events.jsonl");
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(Corpus, RuleIndexChangesNoResult) {
  auto loaded =
      eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/detection-rules-eql.jsonl");
  ASSERT_GT(loaded.rules.size(), 1000u);
  std::vector<std::string> lines = sample_lines();
  ASSERT_GT(lines.size(), 3000u);
  const std::size_t n = lines.size();
  for (std::size_t i = 0; i < n; ++i) {
    std::string v = lines[i];
    for (std::size_t at = v.find(".exe"); at != std::string::npos; at = v.find(".exe", at + 4))
      v.replace(at, 4, ".EXE");
    lines.push_back(v);
  }
  auto run = [&](bool index) {
    eqlpp::EngineOptions o;
    o.index_rules = index;
    o.share_conditions = index;
    o.reorder_window = std::chrono::hours(24 * 365);
    eqlpp::Engine engine(o);
    for (const auto& r : loaded.rules) engine.add_rule(r);
    std::vector<std::string> out;
    engine.on_alert([&](const eqlpp::Alert& a) {
      std::string s = a.rule.metadata().id;
      for (const auto& e : a.events) s += " " + std::to_string(e.ordinal);
      out.push_back(s);
    });
    for (const auto& l : lines) EXPECT_TRUE(engine.push_json(l).ok());
    engine.finish();
    if (index) {
      EXPECT_GT(engine.stats().rules_indexed, 900u);  // 961 with substring keys, 761 without
      std::printf("rules indexed: %llu of %zu\n",
                  static_cast<unsigned long long>(engine.stats().rules_indexed),
                  loaded.rules.size());
    } else {
      EXPECT_EQ(engine.stats().rules_indexed, 0u);
      EXPECT_EQ(engine.stats().shared_conditions, 0u);
    }
    return out;
  };
  auto with = run(true), without = run(false);
  EXPECT_GT(with.size(), 100u);
  EXPECT_EQ(with, without);
}

// Every Endpoint behaviour rule eqlpp compiles (the loader picks the
// Endpoint dialect from the corpus layout) runs in one engine over the sample
// stream and events with call stacks (_arraysearch), with the same alerts
// with and without the rule index and shared conditions.
TEST(Corpus, EndpointRulesRunTogether) {
  auto loaded =
      eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/protections-artifacts-eql.jsonl");
  EXPECT_EQ(loaded.rules.size(), 1314u);
  std::vector<std::string> lines = sample_lines();
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i);
    lines.push_back(
        R"({"@timestamp":"2026-01-01T00:00:)" + std::string(i < 10 ? "0" : "") + n +
        R"(Z","event":{"category":"api","action":"VirtualProtect"},"process":{"name":"x)" + n +
        R"(.exe","entity_id":"e)" + n +
        R"(","Ext":{"api":{"name":"VirtualProtect"}},"thread":{"Ext":{"call_stack":[{"symbol_info":"Unbacked","callsite_trailing_bytes":"4883c4305dc3"},{"symbol_info":"c:\\windows\\system32\\ntdll.dll!NtProtectVirtualMemory"}],"call_stack_summary":"ntdll.dll|Unbacked","call_stack_final_user_module":{"name":"Unbacked","code_signature":[{"trusted":false,"exists":true,"status":"errorExpired","subject_name":"X"}]}}}}})");
  }
  auto run = [&](bool index) {
    eqlpp::EngineOptions o;
    o.index_rules = index;
    o.share_conditions = index;
    o.batch = true;
    eqlpp::Engine engine(o);
    for (const auto& r : loaded.rules) engine.add_rule(r);
    std::vector<std::string> out;
    engine.on_alert([&](const eqlpp::Alert& a) {
      std::string s = a.rule.metadata().id;
      for (const auto& e : a.events) s += " " + std::to_string(e.ordinal);
      out.push_back(s);
    });
    for (const auto& l : lines) EXPECT_TRUE(engine.push_json(l).ok()) << l;
    engine.finish();
    EXPECT_EQ(engine.stats().malformed, 0u);
    return out;
  };
  auto with = run(true), without = run(false);
  std::printf("endpoint rules: %zu loaded, %zu alerts over %zu events\n", loaded.rules.size(),
              with.size(), lines.size());
  EXPECT_GT(with.size(), 0u);
  EXPECT_EQ(with, without);
}

// Every rule of both sets (detection and Endpoint) at once over a stream in
// which a tenth of the events carry values taken from the rules' own
// conditions, half of them near-misses (bench/gen_rule_stream.py): the same
// alerts, in the same order, and the same per-rule match counts, with the
// dispatcher's optimisations (rule index, category masks, keys of last
// resort, continuation stages waiting for state) on and off, and shared
// conditions on and off.
TEST(Corpus, DispatchChangesNoResultOnARuleShapedStream) {
  const std::string cmd = "python3 " + std::string(EQLPP_SOURCE_DIR) +
                          "/bench/gen_rule_stream.py --events 2000 --hosts 20 --hit-rate 0.1 "
                          "--seed 5 2>/dev/null";
  std::vector<std::string> lines;
  {
    std::FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr) << cmd;
    std::string cur;
    char buf[65536];
    for (std::size_t got; (got = std::fread(buf, 1, sizeof buf, p)) > 0;) {
      for (std::size_t i = 0; i < got; ++i) {
        if (buf[i] == '\n') {
          lines.push_back(std::move(cur));
          cur.clear();
        } else {
          cur += buf[i];
        }
      }
    }
    ASSERT_EQ(::pclose(p), 0) << cmd;
  }
  ASSERT_EQ(lines.size(), 2000u);
  std::vector<eqlpp::Rule> rules;
  for (const char* f : {"detection-rules-eql.jsonl", "protections-artifacts-eql.jsonl"})
    for (auto& r : eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/" + f).rules)
      rules.push_back(std::move(r));
  ASSERT_GT(rules.size(), 2300u);
  struct Out {
    std::vector<std::string> alerts;
    std::vector<std::uint64_t> matches;
    std::uint64_t evaluations = 0;
    std::uint64_t shared = 0, shared_places = 0;
  };
  auto run = [&](bool index, bool share) {
    eqlpp::EngineOptions o;
    o.index_rules = index;
    o.share_conditions = share;
    o.batch = true;
    eqlpp::Engine engine(o);
    for (const auto& r : rules) engine.add_rule(r);
    Out out;
    engine.on_alert([&](const eqlpp::Alert& a) {
      std::string s = a.rule.metadata().id;
      for (const auto& e : a.events) s += " " + std::to_string(e.ordinal);
      out.alerts.push_back(s);
    });
    for (const auto& l : lines) EXPECT_TRUE(engine.push_json(l).ok()) << l;
    engine.finish();
    const auto st = engine.stats();
    EXPECT_EQ(st.malformed, 0u);
    for (const auto& r : st.rules) out.matches.push_back(r.matches);
    out.evaluations = st.rule_evaluations;
    out.shared = st.shared_conditions;
    out.shared_places = st.shared_condition_places;
    return out;
  };
  const Out with = run(true, true), unshared = run(true, false), without = run(false, false);
  std::printf(
      "rule-shaped stream: %zu rules, %zu alerts; rule evaluations per event %.1f (%.1f "
      "without the dispatcher's optimisations)\n",
      rules.size(), with.alerts.size(),
      static_cast<double>(with.evaluations) / static_cast<double>(lines.size()),
      static_cast<double>(without.evaluations) / static_cast<double>(lines.size()));
  std::printf("shared conditions: %llu, read in %llu places\n",
              static_cast<unsigned long long>(with.shared),
              static_cast<unsigned long long>(with.shared_places));
  EXPECT_GT(with.alerts.size(), 100u);
  EXPECT_EQ(with.alerts, without.alerts);
  EXPECT_EQ(with.matches, without.matches);
  EXPECT_EQ(with.alerts, unshared.alerts);
  EXPECT_EQ(with.matches, unshared.matches);
  EXPECT_LT(with.evaluations * 10, without.evaluations);  // it does prune
  EXPECT_GT(with.shared, 1000u);                          // it does share
  EXPECT_GT(with.shared_places, 2 * with.shared);
  EXPECT_EQ(unshared.shared, 0u);
}

// The partition planner's promise, checked: every detection rule it calls
// partition-safe by host.id gives the same alerts when the sample stream is
// split by host.id and each part runs on its own engine.
TEST(Corpus, PartitionSafeRulesGiveTheSameAlertsPerHost) {
  auto loaded =
      eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/detection-rules-eql.jsonl");
  std::vector<eqlpp::Rule> safe;
  for (const auto& v : eqlpp::plan_partitions(loaded.rules, "host.id"))
    if (v.safe) safe.push_back(v.rule);
  ASSERT_GT(safe.size(), 900u);
  auto lines = sample_lines();
  auto run = [&](const std::vector<std::string>& part, std::multiset<std::string>& out) {
    eqlpp::EngineOptions o;
    o.batch = true;
    eqlpp::Engine engine(o);
    for (const auto& r : safe) engine.add_rule(r);
    engine.on_alert([&](const eqlpp::Alert& a) {
      std::string s = a.rule.metadata().id;
      for (const auto& e : a.events) s += "|" + (e.payload ? *e.payload : std::string("-"));
      out.insert(s);
    });
    for (const auto& l : part) EXPECT_TRUE(engine.push_json(l).ok());
    engine.finish();
  };
  std::multiset<std::string> whole, split;
  run(lines, whole);
  std::map<std::string, std::vector<std::string>> by_host;
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    std::string host = "<none>";
    if (j.contains("host") && j["host"].contains("id")) host = j["host"]["id"].dump();
    by_host[host].push_back(l);
  }
  ASSERT_GT(by_host.size(), 2u);
  for (const auto& [host, part] : by_host) run(part, split);
  std::printf("partition-safe rules: %zu, alerts: %zu whole, %zu over %zu hosts\n", safe.size(),
              whole.size(), split.size(), by_host.size());
  EXPECT_GT(whole.size(), 50u);
  EXPECT_EQ(whole, split);
}

// The sharded runner (eqlpp/sharded.hpp) over every detection rule, safe or
// not: with 1, 2 and 4 partition shards the alerts equal one engine's, in
// the same order in batch mode and as the same multiset streaming.
TEST(Corpus, ShardedRunsEqualOneEngine) {
  auto loaded =
      eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/detection-rules-eql.jsonl");
  auto lines = sample_lines();
  auto text = [](const eqlpp::Alert& a) {
    std::string s = a.rule.metadata().id + " " + a.id();
    for (const auto& e : a.events) s += "|" + (e.payload ? *e.payload : std::string("-"));
    return s;
  };
  for (const bool batch : {true, false}) {
    eqlpp::EngineOptions o;
    o.batch = batch;
    o.reorder_window = std::chrono::seconds(5);
    eqlpp::Engine one(o);
    for (const auto& r : loaded.rules) one.add_rule(r);
    std::vector<std::string> expected;
    one.on_alert([&](const eqlpp::Alert& a) { expected.push_back(text(a)); });
    for (const auto& l : lines) ASSERT_TRUE(one.push_json(l).ok());
    one.finish();
    ASSERT_GT(expected.size(), 50u);
    for (const std::size_t threads : {1u, 2u, 4u}) {
      eqlpp::ShardedEngine sharded(o, {.threads = threads, .batch_lines = 64});
      for (const auto& r : loaded.rules) sharded.add_rule(r);
      EXPECT_EQ(sharded.engines(), threads + 1);  // some rules are not partition-safe
      std::vector<std::string> got;
      sharded.on_alert([&](const eqlpp::Alert& a) { got.push_back(text(a)); });
      for (const auto& l : lines) ASSERT_TRUE(sharded.push_json(l).ok());
      sharded.finish();
      const auto st = sharded.stats();
      EXPECT_EQ(st.events_in, lines.size());
      EXPECT_EQ(st.events_processed, lines.size());
      EXPECT_EQ(st.alerts, one.stats().alerts);
      EXPECT_EQ(st.partials_created, st.partials_completed + st.partials_expired +
                                         st.partials_evicted + st.partials_live);
      if (batch) {
        EXPECT_EQ(got, expected) << threads << " threads, batch";
      } else {
        std::multiset<std::string> a(got.begin(), got.end()), b(expected.begin(), expected.end());
        EXPECT_EQ(a, b) << threads << " threads, streaming";
      }
    }
  }
}
