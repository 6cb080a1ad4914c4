// SPDX-License-Identifier: Apache-2.0
// The streaming sequence matcher (eql-semantics.md §7): per join key, the
// newest partial waiting after each positive stage; missing-event stages
// remembered as the latest matching event per key; `until`; completions held
// for a trailing missing-event window; expiry by maxspan through the
// rule's expiry heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/expiry_heap.hpp"
#include "runtime/matcher.hpp"

namespace eqlpp::runtime {

class SequenceMatcher final : public KeyedMatcher {
 public:
  SequenceMatcher(const detail::CompiledRule& plan, MatcherEnv env);

  void on_event(EventCtx& ev, EvalCtx& ctx) override { run<false>(ev, ctx); }
  void on_event_traced(EventCtx& ev, EvalCtx& ctx) override { run<true>(ev, ctx); }
  void finish() override;
  [[nodiscard]] std::size_t expiry_entries() const noexcept override { return heap_.size(); }
  void save(state::Writer& w) const override;
  bool load(state::Reader& r) override;

 private:
  void expire(std::int64_t now) override;
  void set_next_deadline() {
    set_deadline(heap_.empty() ? std::numeric_limits<std::int64_t>::max() : heap_.top().deadline);
  }
  template <bool kTrace>
  void run(EventCtx& ev, EvalCtx& ctx);
  template <bool kTrace>
  void positive_stage(std::size_t pi, EventCtx& ev, EvalCtx& ctx);
  // Stage aliases: keeps the aliased fields of the event `p` takes at `source_stage`.
  void take_aliases(Partial& p, int source_stage, EvalCtx& ctx) const;
  // Whether the event passes the filter of an alias-reading stage given the
  // aliased values `p` holds.
  template <bool kTrace>
  bool test_with_aliases(const compiler::StagePlan& st, const Partial& p, EvalCtx& ctx);
  template <bool kTrace>
  void missing_stage(std::size_t i, EventCtx& ev);
  template <bool kTrace>
  void until_stage(EventCtx& ev);

  void note(std::string text) { env_.tracer.note(std::move(text)); }
  [[nodiscard]] std::string stage_name(std::size_t positive_index) const;
  [[nodiscard]] std::size_t partial_bytes(const Partial& p) const;
  void complete(std::uint32_t s, Partial&& p);
  void store_partial(std::uint32_t s, std::size_t stage, Partial&& p);
  void maybe_free(std::uint32_t s);
  void push_heap(std::int64_t deadline, std::uint32_t s, std::int32_t stage, std::uint64_t id);
  [[nodiscard]] bool heap_entry_live(const ExpiryEntry& e) const;

  // Structure of the stages: positive stage indices, and missing stages per gap.
  std::vector<std::size_t> positive_;  // plan stage index of positive stage p
  std::vector<std::vector<std::size_t>>
      gap_;                          // gap_[p]: missing stages before positive p; gap_[k]: trailing
  std::vector<int> missing_slot_;    // plan stage index -> index in KeyState::missing
  std::size_t leading_missing_ = 0;  // leading missing-event stages (marks with expiry)
  std::vector<std::vector<Value>> alias_values_;  // decoded Partial::aliases, while testing
  ExpiryHeap heap_;
  std::uint64_t next_id_ = 1;
};

}  // namespace eqlpp::runtime
