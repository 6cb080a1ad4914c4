// SPDX-License-Identifier: Apache-2.0
// The cross-rule literal prefilter, three ways. The rule index needs, per
// field and case-folding, one scan of each value for every literal the
// rules require of it (Dispatcher::scan). The literal sets here are the
// dispatcher's own: every substring key of every corpus rule (detection and
// Endpoint), grouped by field and folding. The values are those fields'
// values in examples/events.jsonl, plus values into which a literal of the
// set was planted (2 % of them, so the matchers also report hits).
//
//   BM_Prefilter/re2_set      RE2::Set, unanchored, Latin-1 (the dispatcher's first matcher)
//   BM_Prefilter/vectorscan   Vectorscan hs_compile_lit_multi, block mode, single match
//   BM_Prefilter/aho_corasick util::AhoCorasick, a dense automaton over byte classes
//                             (what the dispatcher uses)
//
// Each reports ns per value scanned and checks that all three find the
// same literals in every value (the run aborts otherwise).
#include <benchmark/benchmark.h>
#include <hs/hs.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "compile/plan.hpp"
#include "eqlpp/eqlpp.hpp"
#include "util/aho_corasick.hpp"

namespace {

struct FieldSet {
  std::string field;
  bool folded = false;
  std::vector<std::string> literals;
  std::vector<std::string> values;  // folded when `folded`
};

std::string fold(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

void collect(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_array()) {
    for (const auto& e : j) collect(e, out);
    return;
  }
  if (j.is_string()) out.push_back(j.get<std::string>());
}

const nlohmann::json* at_path(const nlohmann::json& doc, const std::string& path) {
  const nlohmann::json* cur = &doc;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

const std::vector<FieldSet>& field_sets() {
  static const std::vector<FieldSet> sets = [] {
    std::map<std::pair<std::string, bool>, std::vector<std::string>> by_field;
    for (const char* f : {"detection-rules-eql.jsonl", "protections-artifacts-eql.jsonl"}) {
      for (const auto& r :
           eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/" + f).rules) {
        const auto& plan = *eqlpp::detail::RuleAccess::plan(r);
        auto add = [&](const std::vector<eqlpp::compiler::IndexKey>& keys) {
          for (const auto& k : keys) {
            if (!k.substring) continue;
            auto& v = by_field[{plan.fields[k.slot], k.insensitive}];
            v.insert(v.end(), k.values.begin(), k.values.end());
          }
        };
        if (plan.gated) {
          if (plan.entry.indexed) add(plan.entry.keys);
          if (plan.continuation.indexed) add(plan.continuation.keys);
        } else if (plan.indexed) {
          add(plan.index_keys);
        }
      }
    }
    std::vector<nlohmann::json> events;
    std::ifstream in(std::string(EQLPP_SOURCE_DIR) + "/examples/events.jsonl");
    for (std::string l; std::getline(in, l);) events.push_back(nlohmann::json::parse(l));
    std::mt19937_64 rng(42);
    std::vector<FieldSet> out;
    for (auto& [key, lits] : by_field) {
      std::sort(lits.begin(), lits.end());
      lits.erase(std::unique(lits.begin(), lits.end()), lits.end());
      FieldSet fs{key.first, key.second, lits, {}};
      for (const auto& e : events)
        if (const auto* v = at_path(e, fs.field)) collect(*v, fs.values);
      if (fs.values.empty()) continue;
      const std::size_t n = fs.values.size();
      for (std::size_t i = 0; i < n / 50 + 1; ++i) {  // plant a literal into 2 % of them
        std::string v = fs.values[rng() % n];
        v.insert(rng() % (v.size() + 1), lits[rng() % lits.size()]);
        fs.values.push_back(v);
      }
      if (fs.folded)
        for (auto& v : fs.values) v = fold(v);
      out.push_back(std::move(fs));
    }
    return out;
  }();
  return sets;
}

// ---- the three matchers: each returns the literal numbers found, sorted --------------

class Re2Matcher {
 public:
  explicit Re2Matcher(const std::vector<std::string>& lits) {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_max_mem(std::int64_t{256} << 20);
    set_ = std::make_unique<RE2::Set>(o, RE2::UNANCHORED);
    for (const auto& l : lits) set_->Add(RE2::QuoteMeta(l), nullptr);
    if (!set_->Compile()) std::abort();
  }
  void scan(std::string_view v, std::vector<int>& hits) const {
    hits.clear();
    set_->Match(v, &hits);
    std::sort(hits.begin(), hits.end());
  }

 private:
  std::unique_ptr<RE2::Set> set_;
};

class HsMatcher {
 public:
  explicit HsMatcher(const std::vector<std::string>& lits) {
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    std::vector<unsigned> flags(lits.size(), HS_FLAG_SINGLEMATCH), ids;
    for (std::size_t i = 0; i < lits.size(); ++i) {
      ptrs.push_back(lits[i].data());
      lens.push_back(lits[i].size());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(ptrs.data(), flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(lits.size()), HS_MODE_BLOCK, nullptr, &db_,
                             &err) != HS_SUCCESS) {
      std::fprintf(stderr, "hs_compile_lit_multi: %s\n", err ? err->message : "?");
      std::abort();
    }
    if (hs_alloc_scratch(db_, &scratch_) != HS_SUCCESS) std::abort();
  }
  ~HsMatcher() {
    hs_free_scratch(scratch_);
    hs_free_database(db_);
  }
  HsMatcher(const HsMatcher&) = delete;
  HsMatcher& operator=(const HsMatcher&) = delete;
  void scan(std::string_view v, std::vector<int>& hits) const {
    hits.clear();
    hs_scan(
        db_, v.data(), static_cast<unsigned>(v.size()), 0, scratch_,
        [](unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
          static_cast<std::vector<int>*>(ctx)->push_back(static_cast<int>(id));
          return 0;
        },
        &hits);
    std::sort(hits.begin(), hits.end());
  }

 private:
  hs_database_t* db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
};

// Aho-Corasick (util/aho_corasick.hpp, what the dispatcher uses).
class AcMatcher {
 public:
  explicit AcMatcher(const std::vector<std::string>& lits) {
    if (!ac_.build(lits, std::size_t{64} << 20)) std::abort();
  }
  void scan(std::string_view v, std::vector<int>& hits) const {
    hits.clear();
    ac_.scan(v, [&](std::uint32_t i) { hits.push_back(static_cast<int>(i)); });
    std::sort(hits.begin(), hits.end());
    hits.erase(std::unique(hits.begin(), hits.end()), hits.end());
  }

 private:
  eqlpp::util::AhoCorasick ac_;
};

template <class M>
void prefilter(benchmark::State& state) {
  const auto& sets = field_sets();
  std::vector<std::unique_ptr<M>> ms;
  std::size_t literals = 0, values = 0;
  for (const auto& fs : sets) {
    ms.push_back(std::make_unique<M>(fs.literals));
    literals += fs.literals.size();
    values += fs.values.size();
  }
  // The three agree on every value (checked once, against the RE2 set).
  static bool checked = false;
  if (!checked) {
    std::vector<int> a, b, c;
    for (const auto& fs : sets) {
      Re2Matcher r(fs.literals);
      HsMatcher h(fs.literals);
      AcMatcher ac(fs.literals);
      for (const auto& v : fs.values) {
        r.scan(v, a);
        h.scan(v, b);
        ac.scan(v, c);
        if (a != b || a != c) {
          std::fprintf(stderr, "prefilters disagree on %s value %s\n", fs.field.c_str(), v.c_str());
          std::abort();
        }
      }
    }
    checked = true;
  }
  std::vector<int> hits;
  std::size_t found = 0;
  for (auto _ : state) {
    found = 0;
    for (std::size_t i = 0; i < sets.size(); ++i)
      for (const auto& v : sets[i].values) {
        ms[i]->scan(v, hits);
        found += !hits.empty();
      }
    benchmark::DoNotOptimize(found);
  }
  state.counters["fields"] = static_cast<double>(sets.size());
  state.counters["literals"] = static_cast<double>(literals);
  state.counters["hit_rate"] = static_cast<double>(found) / static_cast<double>(values);
  state.counters["s/value"] =
      benchmark::Counter(static_cast<double>(values) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Prefilter_re2_set(benchmark::State& s) { prefilter<Re2Matcher>(s); }
void BM_Prefilter_vectorscan(benchmark::State& s) { prefilter<HsMatcher>(s); }
void BM_Prefilter_aho_corasick(benchmark::State& s) { prefilter<AcMatcher>(s); }
BENCHMARK(BM_Prefilter_re2_set)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Prefilter_vectorscan)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Prefilter_aho_corasick)->Unit(benchmark::kMillisecond);

}  // namespace
