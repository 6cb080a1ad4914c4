// SPDX-License-Identifier: Apache-2.0
#include "runtime/matcher.hpp"

#include "runtime/join_keys.hpp"
#include "runtime/trace.hpp"

namespace eqlpp::runtime {

std::unique_ptr<Matcher> make_matcher(const detail::CompiledRule& plan, MatcherEnv env) {
  switch (plan.kind) {
    case QueryKind::kEvent: return make_event_matcher(plan, env);
    case QueryKind::kSequence: return make_sequence_matcher(plan, env);
    case QueryKind::kSample: return make_sample_matcher(plan, env);
  }
  return make_event_matcher(plan, env);
}

KeyedMatcher::KeyedMatcher(const detail::CompiledRule& plan, MatcherEnv env, KeyState shape,
                           bool count_idle_evictions)
    : plan_(plan),
      env_(env),
      table_(env.budget, env.opts.max_keys_per_rule, std::move(shape), count_idle_evictions) {
  table_.set_evict_hook(&KeyedMatcher::on_evict, this);
}

void KeyedMatcher::on_evict(void* self, const Key& key, std::size_t partials) {
  auto& m = *static_cast<KeyedMatcher*>(self);
  if (!m.env_.tracer.active()) return;
  m.env_.tracer.state(TraceEntry::Kind::kEvicted, m.env_.now,
                      "key " + key_text(key) + " and its " + std::to_string(partials) +
                          " partial(s), least recently used (max_keys_per_rule " +
                          std::to_string(m.env_.opts.max_keys_per_rule) + " or max_state_bytes " +
                          std::to_string(m.env_.opts.max_state_bytes) + " reached)");
}

bool KeyedMatcher::compute_keys(const compiler::StagePlan& st, EvalCtx& ctx) {
  return join_keys(st, ctx, env_.opts.max_join_key_combinations, keys_, next_keys_,
                   env_.key_combinations_dropped);
}

void KeyedMatcher::evict_for_budget() {
  while (env_.budget.over() && table_.evict_lru()) {
  }
}

void note_outcome(RuleTracer& tracer, const AlertSink& sink, AlertSink::Outcome o) {
  switch (o) {
    case AlertSink::Outcome::kDelivered:
    case AlertSink::Outcome::kKept: tracer.note("alert"); break;
    case AlertSink::Outcome::kOverHead:
      tracer.note("alert suppressed: `| head " + std::to_string(sink.stream_head().value_or(0)) +
                  "` reached");
      break;
    case AlertSink::Outcome::kOverRate:
      tracer.note("alert suppressed: max_alerts_per_second reached");
      break;
  }
}

}  // namespace eqlpp::runtime
