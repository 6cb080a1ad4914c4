// SPDX-License-Identifier: Apache-2.0
// Samples (eql-semantics.md §8), as Elasticsearch computes them
// (x-pack/plugin/eql, execution/sample/SampleIterator): per join key, each
// filter's first matching events (at most filters x max_samples_per_key of
// them, the `size` of its per-filter query), then one event per filter
// chosen by backtracking so that no event fills two filters
// (SampleIterator.matchSample: "pick three different documents from each
// group"), the earliest candidates first. A key reports at most
// max_samples_per_key samples, each of distinct events. Streaming, a sample
// is reported as soon as its key has such a choice; in batch mode the alert
// queue puts a rule's samples in join key order, as the composite
// aggregation that enumerates the keys returns them.
//
// A key with candidates and samples still to report counts as one partial.
#include <algorithm>
#include <utility>

#include "runtime/matcher.hpp"
#include "runtime/trace.hpp"

namespace eqlpp::runtime {
namespace {

class SampleMatcher final : public KeyedMatcher {
 public:
  SampleMatcher(const detail::CompiledRule& plan, MatcherEnv env)
      : KeyedMatcher(plan, env, shape(plan), true),
        max_samples_(std::max<std::size_t>(env.opts.max_samples_per_key, 1)),
        cap_(plan.stages.size() * max_samples_) {}

  void on_event(EventCtx& ev, EvalCtx& ctx) override { run<false>(ev, ctx); }
  void on_event_traced(EventCtx& ev, EvalCtx& ctx) override { run<true>(ev, ctx); }
  void finish() override { table_.clear(PartialEnd::kExpired); }

 private:
  static KeyState shape(const detail::CompiledRule& plan) {
    KeyState st;
    st.extra = std::make_unique<KeyExtra>();
    st.extra->sample.resize(plan.stages.size());
    return st;
  }

  template <bool kTrace>
  void run(EventCtx& ev, EvalCtx& ctx) {
    // Every filter first: the event is a candidate of each filter it matches.
    touched_.clear();
    for (std::size_t i = 0; i < plan_.stages.size(); ++i) {
      const compiler::StagePlan& st = plan_.stages[i];
      if (!test<kTrace>(st, static_cast<int>(i), ctx)) continue;
      ++env_.stats.matches;
      if (!compute_keys(st, ctx)) {
        if constexpr (kTrace)
          env_.tracer.note("a join key is null: this filter does not take the event");
        continue;
      }
      for (const Key& key : keys_) take<kTrace>(i, key, ev);
    }
    // Then each key it joined: report what can be reported.
    for (const auto& [s, gen] : touched_)
      if (table_.holds(s, gen)) report<kTrace>(s);  // not evicted since

    keep_budget();
  }

  template <bool kTrace>
  void take(std::size_t i, const Key& key, EventCtx& ev) {
    std::uint32_t s = table_.get_or_create(key);
    KeyState& ks = table_.state(s);
    if (ks.x().samples >= max_samples_) {
      if constexpr (kTrace)
        env_.tracer.note("the samples for key " + key_text(key) + " were already reported");
      return;
    }
    auto& cand = ks.x().sample[i];
    if (cand.size() >= cap_) {
      if constexpr (kTrace)
        env_.tracer.note("this filter already holds its first " + std::to_string(cap_) +
                         " events for key " + key_text(key));
      return;
    }
    if (!cand.empty() && cand.back().ordinal == ev.ordinal) return;  // one key value twice
    if constexpr (kTrace) env_.tracer.note("taken for key " + key_text(key));
    if (!has_candidates(ks)) table_.begin_partial(s);
    cand.push_back(ev.ref());
    table_.charge(s, cand.back(), sizeof(AlertEvent));
    const std::pair<std::uint32_t, std::uint32_t> at{s, table_.gen(s)};
    if (std::find(touched_.begin(), touched_.end(), at) == touched_.end()) touched_.push_back(at);
  }

  template <bool kTrace>
  void report(std::uint32_t s) {
    KeyState& ks = table_.state(s);
    while (ks.x().samples < max_samples_ && choose(ks)) {
      // The chosen events leave every filter's candidates: samples are disjoint.
      std::vector<AlertEvent> events;
      for (std::size_t i = 0; i < ks.x().sample.size(); ++i)
        events.push_back(ks.x().sample[i][pick_[i]]);
      for (auto& cand : ks.x().sample) {
        auto used = [&](const AlertEvent& e) {
          return std::any_of(events.begin(), events.end(),
                             [&](const AlertEvent& u) { return u.ordinal == e.ordinal; });
        };
        for (const auto& e : cand)
          if (used(e)) table_.credit(s, e, sizeof(AlertEvent));
        std::erase_if(cand, used);
      }
      ++ks.x().samples;
      table_.end_partial(s, PartialEnd::kCompleted);
      if (ks.x().samples >= max_samples_) {
        // Done with this key: what is left can never be reported.
        for (auto& cand : ks.x().sample) {
          for (const auto& e : cand) table_.credit(s, e, sizeof(AlertEvent));
          cand.clear();
        }
      } else if (has_candidates(ks)) {
        table_.begin_partial(s);
      }
      AlertSink::Outcome o = env_.alerts.emit(table_.key(s), events);
      if constexpr (kTrace) note_outcome(env_.tracer, env_.alerts, o);
      (void)o;
    }
  }

  static bool has_candidates(const KeyState& ks) {
    return std::any_of(ks.x().sample.begin(), ks.x().sample.end(),
                       [](const auto& c) { return !c.empty(); });
  }

  // One candidate per filter, no event twice, earliest first (into pick_).
  bool choose(const KeyState& ks) {
    for (const auto& c : ks.x().sample)
      if (c.empty()) return false;
    pick_.assign(ks.x().sample.size(), 0);
    return choose_from(ks, 0);
  }
  bool choose_from(const KeyState& ks, std::size_t stage) {
    if (stage == ks.x().sample.size()) return true;
    const auto& cand = ks.x().sample[stage];
    for (std::size_t j = 0; j < cand.size(); ++j) {
      bool taken = false;
      for (std::size_t p = 0; p < stage && !taken; ++p)
        taken = ks.x().sample[p][pick_[p]].ordinal == cand[j].ordinal;
      if (taken) continue;
      pick_[stage] = j;
      if (choose_from(ks, stage + 1)) return true;
    }
    return false;
  }

  std::size_t max_samples_;
  std::size_t cap_;  // candidates kept per key and filter
  std::vector<std::pair<std::uint32_t, std::uint32_t>>
      touched_;  // keys (slot, gen) this event joined
  std::vector<std::size_t> pick_;
};

}  // namespace

std::unique_ptr<Matcher> make_sample_matcher(const detail::CompiledRule& plan, MatcherEnv env) {
  return std::make_unique<SampleMatcher>(plan, env);
}

}  // namespace eqlpp::runtime
