// SPDX-License-Identifier: Apache-2.0
// Event queries: one filter, one alert per matching event, no state.
#include "runtime/matcher.hpp"

namespace eqlpp::runtime {
namespace {

class EventMatcher final : public Matcher {
 public:
  EventMatcher(const detail::CompiledRule& plan, MatcherEnv env) : plan_(plan), env_(env) {}

  void on_event(EventCtx& ev, EvalCtx& ctx) override { run<false>(ev, ctx); }
  void on_event_traced(EventCtx& ev, EvalCtx& ctx) override { run<true>(ev, ctx); }

 private:
  template <bool kTrace>
  void run(EventCtx& ev, EvalCtx& ctx) {
    const compiler::StagePlan& st = plan_.stages[0];
    bool ok = eval_pred(*st.filter, ctx);
    if constexpr (kTrace) env_.tracer.test(plan_, st, 0, ok, ctx);
    if (!ok) return;
    ++env_.stats.matches;
    events_.push_back(ev.ref());
    [[maybe_unused]] AlertSink::Outcome o = env_.alerts.emit({}, events_);
    if constexpr (kTrace) note_outcome(env_.tracer, env_.alerts, o);
  }

  const detail::CompiledRule& plan_;
  MatcherEnv env_;
  std::vector<AlertEvent> events_;  // the alert's one event (emit() hands back an empty buffer)
};

}  // namespace

std::unique_ptr<Matcher> make_event_matcher(const detail::CompiledRule& plan, MatcherEnv env) {
  return std::make_unique<EventMatcher>(plan, env);
}

}  // namespace eqlpp::runtime
