// SPDX-License-Identifier: Apache-2.0
#include "runtime/rule_tracer.hpp"

#include <algorithm>

#include "runtime/trace.hpp"

namespace eqlpp::runtime {

void RuleTracer::set_sink(std::function<void(const TraceEntry&)> sink) {
  if (!sink) {
    on_.reset();
    return;
  }
  on_ = std::make_unique<Open>();
  on_->sink = std::move(sink);
}

void RuleTracer::test(const detail::CompiledRule& plan, const compiler::StagePlan& st, int stage,
                      bool ok, EvalCtx& ctx) {
  if (!on_->open) return;
  TraceStage ts;
  ts.stage = stage;
  ts.category = st.category.empty() ? "any" : st.category;
  ts.missing_stage = st.missing;
  ts.matched = ok;
  if (!ok) ts.rejected_by = explain_rejection(plan, *st.filter, ctx);
  on_->cur.stages.push_back(std::move(ts));
}

void RuleTracer::note(std::string text) {
  if (!on_ || !on_->open || on_->cur.stages.empty()) return;
  on_->cur.stages.back().outcome.push_back(std::move(text));
}

void RuleTracer::begin(EventCtx& ev) {
  TraceEntry& t = on_->cur;
  t = TraceEntry{};
  t.kind = TraceEntry::Kind::kEvent;
  t.rule_id = rule_id_;
  t.timestamp = ev.ts;
  t.ordinal = ev.ordinal;
  t.payload = ev.get_payload();
  on_->open = true;
}

void RuleTracer::end() {
  on_->open = false;
  auto& st = on_->cur.stages;
  std::stable_sort(st.begin(), st.end(), [](const TraceStage& a, const TraceStage& b) {
    return static_cast<unsigned>(a.stage) < static_cast<unsigned>(b.stage);  // until (-1) last
  });
  on_->sink(on_->cur);
}

void RuleTracer::state(TraceEntry::Kind kind, std::int64_t ts, std::string text) {
  TraceEntry t;
  t.kind = kind;
  t.rule_id = rule_id_;
  t.timestamp = ts;
  t.ordinal = ordinal_ ? ordinal_ - 1 : 0;
  t.note = std::move(text);
  on_->sink(t);
}

void RuleTracer::not_dispatched(EventCtx& ev, std::string note) {
  TraceEntry t;
  t.kind = TraceEntry::Kind::kNotDispatched;
  t.rule_id = rule_id_;
  t.timestamp = ev.ts;
  t.ordinal = ev.ordinal;
  t.payload = ev.get_payload();
  t.note = std::move(note);
  on_->sink(t);
}

}  // namespace eqlpp::runtime
