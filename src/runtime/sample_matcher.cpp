// SPDX-License-Identifier: Apache-2.0
// Samples (eql-semantics.md §8): per join key, the first event each filter
// takes; when every filter holds one, the sample is reported, once per key.
// A sample in progress counts as a partial.
#include "runtime/matcher.hpp"
#include "runtime/trace.hpp"

namespace eqlpp::runtime {
namespace {

class SampleMatcher final : public KeyedMatcher {
 public:
  SampleMatcher(const detail::CompiledRule& plan, MatcherEnv env)
      : KeyedMatcher(plan, env, shape(plan), true) {}

  void on_event(EventCtx& ev, EvalCtx& ctx) override { run<false>(ev, ctx); }
  void on_event_traced(EventCtx& ev, EvalCtx& ctx) override { run<true>(ev, ctx); }
  void finish() override { table_.clear(PartialEnd::kExpired); }

 private:
  static KeyState shape(const detail::CompiledRule& plan) {
    KeyState st;
    st.sample.resize(plan.stages.size());
    return st;
  }

  template <bool kTrace>
  void run(EventCtx& ev, EvalCtx& ctx) {
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
    keep_budget();
  }

  template <bool kTrace>
  void take(std::size_t i, const Key& key, EventCtx& ev) {
    std::uint32_t s = table_.get_or_create(key);
    KeyState& ks = table_.state(s);
    if (ks.sample_done || ks.sample[i]) {
      if constexpr (kTrace)
        env_.tracer.note(std::string(ks.sample_done
                                         ? "the sample for key "
                                         : "this filter already holds an event for key ") +
                         key_text(key) + (ks.sample_done ? " was already reported" : ""));
      return;
    }
    if constexpr (kTrace) env_.tracer.note("taken for key " + key_text(key));
    const bool started = std::any_of(ks.sample.begin(), ks.sample.end(),
                                     [](const auto& e) { return e.has_value(); });
    if (!started) table_.begin_partial(s);
    ks.sample[i] = ev.ref();
    table_.charge(s, static_cast<std::ptrdiff_t>(event_bytes(*ks.sample[i])));
    bool full = std::all_of(ks.sample.begin(), ks.sample.end(),
                            [](const auto& e) { return e.has_value(); });
    if (!full) return;
    std::vector<AlertEvent> events;
    std::size_t bytes = 0;
    for (auto& e : ks.sample) {
      bytes += event_bytes(*e);
      events.push_back(std::move(*e));
    }
    ks.sample_done = true;
    ks.sample.assign(ks.sample.size(), std::nullopt);
    table_.end_partial(s, PartialEnd::kCompleted, bytes);
    AlertSink::Outcome o = env_.alerts.emit(table_.key(s), std::move(events));
    if constexpr (kTrace) note_outcome(env_.tracer, env_.alerts, o);
    (void)o;
  }

  static std::size_t event_bytes(const AlertEvent& e) {
    return sizeof(AlertEvent) + (e.payload ? e.payload->size() : 0);
  }
};

}  // namespace

std::unique_ptr<Matcher> make_sample_matcher(const detail::CompiledRule& plan, MatcherEnv env) {
  return std::make_unique<SampleMatcher>(plan, env);
}

}  // namespace eqlpp::runtime
