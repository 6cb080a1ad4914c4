// SPDX-License-Identifier: Apache-2.0
// The matchers: what a rule does with each event given to it. One per rule,
// by query kind: event queries (event_matcher.cpp), sequences
// (sequence_matcher.*), samples (sample_matcher.cpp). Each is handed a small
// environment (the engine's options, the state budget, the rule's alert sink,
// tracer and statistics) and never sees the engine itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "compile/plan.hpp"
#include "eqlpp/engine.hpp"
#include "runtime/alert_sink.hpp"
#include "runtime/deadline_index.hpp"
#include "runtime/eval.hpp"
#include "runtime/event_ctx.hpp"
#include "runtime/key_table.hpp"
#include "runtime/rule_tracer.hpp"

namespace eqlpp::state {
class Writer;
class Reader;
}  // namespace eqlpp::state

namespace eqlpp::runtime {

struct MatcherEnv {
  const EngineOptions& opts;
  StateBudget& budget;
  AlertSink& alerts;
  RuleTracer& tracer;
  RuleStats& stats;
  std::uint64_t& key_combinations_dropped;  // EngineStats
  const std::int64_t& now;  // event time of the event being processed (the engine's watermark)
};

class Matcher {
 public:
  virtual ~Matcher() = default;
  /// Tests one event against the rule; `ctx` maps the rule's field slots.
  /// The traced copy notes what it does in env.tracer (which is active and open).
  virtual void on_event(EventCtx& ev, EvalCtx& ctx) = 0;
  virtual void on_event_traced(EventCtx& ev, EvalCtx& ctx) = 0;
  /// Expires the state that event time `now` has passed (a test inline,
  /// the work only when a deadline is due).
  void advance(std::int64_t now) {
    if (deadline() < now) [[unlikely]]
      expire(now);
  }
  /// Keeps the matcher's next deadline in `index` (as its rule number `k`)
  /// from now on: the engine finds the due rules there instead of visiting
  /// each matcher.
  void bind_deadline(DeadlineIndex* index, std::uint32_t k) {
    const std::int64_t d = deadline();
    deadlines_ = index;
    deadline_rule_ = k;
    set_deadline(d);
  }
  /// The earliest deadline the matcher may have to act on (or later: a
  /// stale one only costs a call).
  [[nodiscard]] std::int64_t deadline() const noexcept {
    return deadlines_ ? deadlines_->get(deadline_rule_) : own_deadline_;
  }
  /// End of stream: reports what waits on a trailing missing-event window
  /// and drops the rest.
  virtual void finish() {}
  /// Whether the rule keeps state between events (sequences and samples).
  [[nodiscard]] virtual bool stateful() const noexcept { return false; }
  [[nodiscard]] virtual std::size_t live_partials() const noexcept { return 0; }
  /// Whether the rule holds any join key's state (a partial, a mark): while
  /// it holds none, a sequence's continuation stages cannot act (the
  /// dispatcher does not give it their events).
  [[nodiscard]] virtual bool holds_keys() const noexcept { return false; }
  [[nodiscard]] virtual std::size_t expiry_entries() const noexcept { return 0; }
  /// Bytes of state the rule holds now (what it charged to the budget).
  [[nodiscard]] virtual std::size_t state_bytes() const noexcept { return 0; }

  /// Snapshot (docs/snapshot-format.md): the rule's state; nothing for a
  /// rule without state.
  virtual void save(state::Writer& /*w*/) const {}
  /// Reads what save() wrote into this fresh matcher; false (and `r`
  /// failed) when it is not valid for the rule.
  virtual bool load(state::Reader& /*r*/) { return true; }

 protected:
  /// Expires what `now` has passed and sets the next deadline.
  virtual void expire(std::int64_t /*now*/) {}
  void set_deadline(std::int64_t d) {
    if (deadlines_)
      deadlines_->set(deadline_rule_, d);
    else
      own_deadline_ = d;
  }

 private:
  std::int64_t own_deadline_ = std::numeric_limits<std::int64_t>::max();
  DeadlineIndex* deadlines_ = nullptr;
  std::uint32_t deadline_rule_ = 0;
};

/// The matcher for `plan`'s query kind.
std::unique_ptr<Matcher> make_matcher(const detail::CompiledRule& plan, MatcherEnv env);
std::unique_ptr<Matcher> make_event_matcher(const detail::CompiledRule& plan, MatcherEnv env);
std::unique_ptr<Matcher> make_sequence_matcher(const detail::CompiledRule& plan, MatcherEnv env);
std::unique_ptr<Matcher> make_sample_matcher(const detail::CompiledRule& plan, MatcherEnv env);

/// Notes what became of an alert in the open trace entry.
void note_outcome(RuleTracer& tracer, const AlertSink& sink, AlertSink::Outcome o);

/// What sequences and samples share: state by join key.
class KeyedMatcher : public Matcher {
 public:
  KeyedMatcher(const detail::CompiledRule& plan, MatcherEnv env, KeyState shape,
               bool count_idle_evictions);
  [[nodiscard]] bool stateful() const noexcept override { return true; }
  [[nodiscard]] std::size_t live_partials() const noexcept override {
    return table_.live_partials();
  }
  [[nodiscard]] bool holds_keys() const noexcept override { return table_.keys() != 0; }
  [[nodiscard]] std::size_t state_bytes() const noexcept override { return table_.bytes(); }
  void save(state::Writer& w) const override { table_.save(w); }
  bool load(state::Reader& r) override { return table_.load(r, plan_.alias_refs.size()); }

 protected:
  /// The event's join keys for stage `st` into keys_ (runtime/join_keys.hpp).
  bool compute_keys(const compiler::StagePlan& st, EvalCtx& ctx);
  /// Evicts least recently used keys while the engine is over max_state_bytes.
  void keep_budget() {
    if (env_.budget.over()) [[unlikely]]
      evict_for_budget();
  }
  void evict_for_budget();
  template <bool kTrace>
  bool test(const compiler::StagePlan& st, int stage, EvalCtx& ctx) {
    bool ok = eval_pred(*st.filter, ctx);
    if constexpr (kTrace) env_.tracer.test(plan_, st, stage, ok, ctx);
    return ok;
  }
  const detail::CompiledRule& plan_;
  MatcherEnv env_;
  KeyTable table_;
  std::vector<Key> keys_;
  std::vector<Key> next_keys_;

 private:
  static void on_evict(void* self, const Key& key, std::size_t partials);
};

}  // namespace eqlpp::runtime
