// SPDX-License-Identifier: Apache-2.0
// The trace of one rule (eqlpp/trace.hpp, Engine::trace): one TraceEntry per
// event the rule was tested on, with a note per thing the matcher did, and
// one per partial that expired or was evicted. Off unless a sink is set; the
// matchers test active() (or are compiled without any trace call) first.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "compile/plan.hpp"
#include "eqlpp/trace.hpp"
#include "runtime/eval.hpp"
#include "runtime/event_ctx.hpp"

namespace eqlpp::runtime {

class RuleTracer {
 public:
  /// `rule_id` names the rule in entries; `ordinal` is the engine's count
  /// of events processed (entries about state carry the latest one).
  RuleTracer(std::string rule_id, const std::uint64_t& ordinal)
      : rule_id_(std::move(rule_id)), ordinal_(ordinal) {}

  void set_sink(std::function<void(const TraceEntry&)> sink);
  [[nodiscard]] bool active() const noexcept { return on_ != nullptr; }
  /// The sink set (empty when inactive).
  [[nodiscard]] std::function<void(const TraceEntry&)> sink() const {
    return on_ ? on_->sink : nullptr;
  }

  /// Opens the entry of one event; stage results and notes go into it.
  void begin(EventCtx& ev);
  /// Closes and delivers it (stages in stage order, `until` last).
  void end();
  /// The result of testing filter `st` (stage index `stage`, -1 for until).
  void test(const detail::CompiledRule& plan, const compiler::StagePlan& st, int stage, bool ok,
            EvalCtx& ctx);
  /// A note on the stage last tested.
  void note(std::string text);
  /// An entry of its own: a partial expired or was evicted at event time `ts`.
  void state(TraceEntry::Kind kind, std::int64_t ts, std::string text);
  /// An entry of its own: the event was not given to the rule.
  void not_dispatched(EventCtx& ev, std::string note);

 private:
  struct Open {
    std::function<void(const TraceEntry&)> sink;
    TraceEntry cur;
    bool open = false;
  };
  std::string rule_id_;
  const std::uint64_t& ordinal_;
  std::unique_ptr<Open> on_;
};

}  // namespace eqlpp::runtime
