// SPDX-License-Identifier: Apache-2.0
#include "runtime/sequence_matcher.hpp"

#include <algorithm>

#include "runtime/trace.hpp"
#include "state/snapshot_io.hpp"
#include "util/saturate.hpp"

namespace eqlpp::runtime {

using compiler::StagePlan;
using util::sat_add;
using util::sat_sub;

namespace {

KeyState sequence_shape(const detail::CompiledRule& plan) {
  KeyState st;
  std::size_t npos = 0;
  for (const auto& s : plan.stages) npos += s.missing ? 0 : 1;
  st.at.resize(npos > 0 ? npos - 1 : 0);
  // Missing-event marks, completions held for a trailing window and the
  // `until` mark: only rules with such stages carry them.
  if (npos < plan.stages.size() || plan.until) {
    st.extra = std::make_unique<KeyExtra>();
    st.extra->missing.resize(plan.stages.size() - npos);
  }
  return st;
}

}  // namespace

std::unique_ptr<Matcher> make_sequence_matcher(const detail::CompiledRule& plan, MatcherEnv env) {
  return std::make_unique<SequenceMatcher>(plan, env);
}

SequenceMatcher::SequenceMatcher(const detail::CompiledRule& plan, MatcherEnv env)
    : KeyedMatcher(plan, env, sequence_shape(plan), false) {
  gap_.emplace_back();
  missing_slot_.assign(plan.stages.size(), -1);
  int nmissing = 0;
  for (std::size_t i = 0; i < plan.stages.size(); ++i) {
    if (plan.stages[i].missing) {
      gap_.back().push_back(i);
      missing_slot_[i] = nmissing++;
    } else {
      positive_.push_back(i);
      gap_.emplace_back();
    }
  }
  leading_missing_ = gap_.front().size();
  alias_values_.resize(plan.alias_refs.size());
}

void SequenceMatcher::take_aliases(Partial& p, int source_stage, EvalCtx& ctx) const {
  if (plan_.alias_refs.empty()) return;
  auto& store = p.aliases.values;
  if (!store) store = std::make_unique<std::vector<std::string>>(plan_.alias_refs.size());
  auto& aliases = *store;
  for (std::size_t i = 0; i < plan_.alias_refs.size(); ++i) {
    const auto& ref = plan_.alias_refs[i];
    if (ref.source_stage != source_stage) continue;
    aliases[i].clear();
    for (const Value& v : ctx.field(ref.field_slot)) key_add_value(aliases[i], v);
  }
}

template <bool kTrace>
bool SequenceMatcher::test_with_aliases(const StagePlan& st, const Partial& p, EvalCtx& ctx) {
  const std::size_t base = ctx.scopes.size();
  for (std::size_t i = 0; i < plan_.alias_refs.size(); ++i) {
    const auto& store = p.aliases.values;
    alias_values_[i] = store && i < store->size() ? key_values((*store)[i]) : std::vector<Value>{};
    ctx.scopes.push_back({plan_.alias_refs[i].alias_slot, alias_values_[i]});
  }
  const bool ok = test<kTrace>(st, st.source_stage, ctx);
  ctx.scopes.resize(base);
  return ok;
}

std::string SequenceMatcher::stage_name(std::size_t positive_index) const {
  return "stage " + std::to_string(plan_.stages[positive_[positive_index]].source_stage);
}

// The partial's own bytes: its events' payloads are counted once for the
// whole state, however many partials hold them (KeyTable::charge).
std::size_t SequenceMatcher::partial_bytes(const Partial& p) const {
  std::size_t b = sizeof(Partial) + p.events.capacity() * sizeof(AlertEvent);
  if (p.aliases.values) {
    b += sizeof(std::vector<std::string>);
    for (const auto& a : *p.aliases.values) b += sizeof(std::string) + a.capacity();
  }
  return b;
}

void SequenceMatcher::maybe_free(std::uint32_t s) {
  if (!table_.used(s) || table_.state(s).live > 0) return;
  if (leading_missing_ > 0)
    for (const auto& m : table_.state(s).x().missing)
      if (m.set) return;  // a leading missing-event mark is still needed
  table_.release(s);
}

void SequenceMatcher::push_heap(std::int64_t deadline, std::uint32_t s, std::int32_t stage,
                                std::uint64_t id) {
  heap_.push(ExpiryEntry{deadline, s, table_.gen(s), stage, id});
  // Live entries: one per partial or pending completion (ids are unique),
  // and one per leading missing-event mark and deadline.
  heap_.maybe_compact(table_.live_partials() + table_.keys() * leading_missing_,
                      [&](const ExpiryEntry& e) { return heap_entry_live(e); });
  set_next_deadline();
}

// Whether `e` still expires something: the partial or completion it names is
// still there, or a leading mark still has its deadline.
bool SequenceMatcher::heap_entry_live(const ExpiryEntry& e) const {
  if (!table_.holds(e.slot, e.gen)) return false;
  const KeyState& st = table_.state(e.slot);
  if (e.stage >= 0) {
    const auto& slot = st.at[static_cast<std::size_t>(e.stage)];
    return slot && slot->id == e.id;
  }
  if (e.stage == ExpiryEntry::kPending)
    return std::any_of(st.x().pending.begin(), st.x().pending.end(),
                       [&](const Partial& p) { return p.id == e.id; });
  return std::any_of(st.x().missing.begin(), st.x().missing.end(), [&](const Mark& m) {
    return m.set && sat_add(m.ts, plan_.maxspan_ns) == e.deadline;
  });
}

void SequenceMatcher::expire(std::int64_t now) {
  RuleTracer& tr = env_.tracer;
  while (!heap_.empty() && heap_.top().deadline < now) {
    ExpiryEntry e = heap_.top();
    heap_.pop();
    if (!table_.holds(e.slot, e.gen)) continue;
    KeyState& st = table_.state(e.slot);
    if (e.stage >= 0) {
      auto& slot = st.at[static_cast<std::size_t>(e.stage)];
      if (slot && slot->id == e.id) {
        if (tr.active())
          tr.state(TraceEntry::Kind::kExpired, now,
                   "the partial for key " + key_text(table_.key(e.slot)) + " waiting after " +
                       stage_name(static_cast<std::size_t>(e.stage)) + " began at " +
                       format_timestamp(slot->first_ts) + "; maxspan " +
                       duration_text(plan_.maxspan_ns) + " has passed");
        table_.end_partial(e.slot, PartialEnd::kExpired, *slot);
        slot.reset();
      }
    } else if (e.stage == ExpiryEntry::kPending) {
      // Trailing missing-event window passed without the missing event: report.
      auto& pending = st.x().pending;
      for (auto it = pending.begin(); it != pending.end(); ++it) {
        if (it->id != e.id) continue;
        Partial p = std::move(*it);
        pending.erase(it);
        if (tr.active())
          tr.state(TraceEntry::Kind::kExpired, now,
                   "the missing-event window for key " + key_text(table_.key(e.slot)) +
                       " passed without the missing event: alert");
        table_.end_partial(e.slot, PartialEnd::kCompleted, p);
        env_.alerts.emit(table_.key(e.slot), p.events);
        break;
      }
    } else {
      for (auto& m : st.x().missing)
        if (m.set && sat_add(m.ts, plan_.maxspan_ns) < now) m.set = false;
    }
    maybe_free(e.slot);
  }
  set_next_deadline();
}

void SequenceMatcher::complete(std::uint32_t s, Partial&& p) {
  RuleTracer& tr = env_.tracer;
  const Key& key = table_.key(s);
  if (gap_.back().empty()) {
    if (tr.active()) note("completed the sequence for key " + key_text(key));
    table_.end_partial(s, PartialEnd::kCompleted);
    AlertSink::Outcome o = env_.alerts.emit(key, p.events);
    if (tr.active()) note_outcome(tr, env_.alerts, o);
    return;
  }
  if (tr.active())
    note("completed the positive stages for key " + key_text(key) + "; held until " +
         format_timestamp(sat_add(p.first_ts, plan_.maxspan_ns)) +
         " for the trailing missing-event stage");
  // Wait until first + maxspan for a trailing missing event.
  auto& pending = table_.state(s).x().pending;
  while (pending.size() >= env_.opts.max_partials_per_key) {
    if (tr.active())
      tr.state(TraceEntry::Kind::kEvicted, p.events.back().timestamp,
               "the oldest completed sequence held for key " + key_text(key) +
                   " (max_partials_per_key " + std::to_string(env_.opts.max_partials_per_key) +
                   ")");
    table_.end_partial(s, PartialEnd::kEvicted, pending.front());
    pending.erase(pending.begin());
  }
  p.id = next_id_++;
  p.bytes = partial_bytes(p);
  table_.charge(s, p);
  std::int64_t deadline = sat_add(p.first_ts, plan_.maxspan_ns);
  std::uint64_t id = p.id;
  pending.push_back(std::move(p));
  push_heap(deadline, s, ExpiryEntry::kPending, id);
}

// Makes `p` (a live partial, its bytes not charged) the partial waiting after
// positive stage `stage` of key slot `s`. A partial already there is
// superseded: only the newest one can complete.
void SequenceMatcher::store_partial(std::uint32_t s, std::size_t stage, Partial&& p) {
  KeyState& ks = table_.state(s);
  auto& slot = ks.at[stage];
  if (slot) {
    if (env_.tracer.active())
      note("replaced an older partial waiting after " + stage_name(stage) + " that began at " +
           format_timestamp(slot->first_ts) + " (only the newest can complete)");
    table_.end_partial(s, PartialEnd::kExpired, *slot);
  }
  p.id = next_id_++;
  p.bytes = partial_bytes(p);
  table_.charge(s, p);
  const std::uint64_t id = p.id;
  const std::int64_t deadline = sat_add(p.first_ts, plan_.maxspan_ns);
  slot = std::move(p);
  if (plan_.maxspan_ns) push_heap(deadline, s, static_cast<std::int32_t>(stage), id);
}

template <bool kTrace>
void SequenceMatcher::run(EventCtx& ev, EvalCtx& ctx) {
  // Positive stages, in descending order so an event never extends a partial it just made.
  // Stages the dispatcher left out (ctx.stages) cannot match: not tested.
  for (std::size_t pi = positive_.size(); pi-- > 0;) {
    if ((ctx.stages & compiler::stage_bit(positive_[pi])) == 0) continue;
    const StagePlan& st = plan_.stages[positive_[pi]];
    // A stage that reads stage aliases is tested against each key's partial.
    if (!st.reads_aliases) {
      if (!test<kTrace>(st, st.source_stage, ctx)) continue;
      // A later stage counts the event when a partial of its key takes it
      // (positive_stage), so the count does not depend on how the rule is
      // dispatched or the stream partitioned.
      if (pi == 0) ++env_.stats.matches;
    }
    if (!compute_keys(st, ctx)) {
      if constexpr (kTrace) note("a join key is null: this stage does not take the event");
      continue;
    }
    positive_stage<kTrace>(pi, ev, ctx);
  }
  // Missing-event stages: remember the latest matching event per key.
  for (std::size_t i = 0; i < plan_.stages.size(); ++i) {
    const StagePlan& st = plan_.stages[i];
    if (!st.missing || (ctx.stages & compiler::stage_bit(i)) == 0 ||
        !test<kTrace>(st, st.source_stage, ctx))
      continue;
    if (!compute_keys(st, ctx)) {
      if constexpr (kTrace) note("a join key is null: this stage does not take the event");
      continue;
    }
    missing_stage<kTrace>(i, ev);
  }
  // until: cancels partials of the key whose last event is at or before it.
  if (plan_.until && (ctx.stages & compiler::kUntilStageBit) != 0 &&
      test<kTrace>(*plan_.until, -1, ctx) && compute_keys(*plan_.until, ctx))
    until_stage<kTrace>(ev);
  keep_budget();
}

// The event matched positive stage `pi`; keys_ holds its join keys.
template <bool kTrace>
void SequenceMatcher::positive_stage(std::size_t pi, EventCtx& ev, EvalCtx& ctx) {
  const StagePlan& st = plan_.stages[positive_[pi]];
  const std::size_t k = positive_.size();
  const std::int64_t maxspan = plan_.maxspan_ns;
  for (const Key& key : keys_) {  // each value of a multi-valued key on its own
    if (pi == 0) {
      // Leading missing-event stages: no such event in [t - maxspan, t).
      std::uint32_t s = table_.find(key);
      if (s != KeyTable::kNil) {
        bool blocked = false;
        for (std::size_t m : gap_[0]) {
          const Mark& mk = table_.state(s).x().missing[static_cast<std::size_t>(missing_slot_[m])];
          if (mk.set && mk.ordinal < ev.ordinal && mk.ts >= sat_sub(ev.ts, maxspan)) {
            blocked = true;
            if constexpr (kTrace)
              note("blocked: missing-event stage " + std::to_string(plan_.stages[m].source_stage) +
                   " matched at " + format_timestamp(mk.ts) + ", within maxspan before, for key " +
                   key_text(key));
          }
        }
        if (blocked) continue;
      }
      Partial p;
      if (k > 1 && s != KeyTable::kNil && table_.state(s).at[0]) {
        // This partial will replace the one waiting after stage 0: reuse its
        // event storage. The old partial's bytes stay charged until
        // store_partial() ends it; its events leave the state here.
        for (const AlertEvent& e : table_.state(s).at[0]->events) table_.credit(s, e, 0);
        p.events = std::move(table_.state(s).at[0]->events);
        p.events.clear();
      }
      p.events.push_back(ev.ref());
      p.first_ts = ev.ts;
      p.last_ordinal = ev.ordinal;
      take_aliases(p, st.source_stage, ctx);
      s = table_.get_or_create(key);
      table_.begin_partial(s);
      if (kTrace && k > 1) note("started a partial sequence for key " + key_text(table_.key(s)));
      if (k == 1) {
        complete(s, std::move(p));
        maybe_free(s);
        continue;
      }
      store_partial(s, 0, std::move(p));
      continue;
    }
    std::uint32_t s = table_.find(key);
    if (s == KeyTable::kNil) {
      if constexpr (kTrace) note("no partial sequence for key " + key_text(key));
      continue;
    }
    KeyState& ks = table_.state(s);
    auto& prev = ks.at[pi - 1];
    if (!prev || prev->last_ordinal >= ev.ordinal) {
      if constexpr (kTrace)
        note(std::string(prev ? "the partial for key " + key_text(key) + " waiting after " +
                                    stage_name(pi - 1) + " was made by this same event"
                              : "no partial for key " + key_text(key) + " is waiting after " +
                                    stage_name(pi - 1)));
      continue;
    }
    if (st.reads_aliases && !test_with_aliases<kTrace>(st, *prev, ctx)) continue;
    ++env_.stats.matches;
    Partial p = std::move(*prev);
    prev.reset();
    table_.credit(s, p);
    bool reject = false;
    if (maxspan && sat_sub(ev.ts, p.first_ts) > maxspan) {
      reject = true;
      if constexpr (kTrace)
        note("maxspan exceeded by " + duration_text(sat_sub(sat_sub(ev.ts, p.first_ts), maxspan)) +
             ": the partial for key " + key_text(key) + " began at " +
             format_timestamp(p.first_ts) + ", " + duration_text(sat_sub(ev.ts, p.first_ts)) +
             " before this event (maxspan " + duration_text(maxspan) + "); the partial is dropped");
    }
    if (plan_.until && ks.x().until.set && ks.x().until.ordinal >= p.last_ordinal) {
      reject = true;
      if constexpr (kTrace)
        note("the partial for key " + key_text(key) + " was ended by `until` at " +
             format_timestamp(ks.x().until.ts) + "; the partial is dropped");
    }
    for (std::size_t m : gap_[pi]) {
      const Mark& mk = ks.x().missing[static_cast<std::size_t>(missing_slot_[m])];
      if (mk.set && mk.ordinal > p.last_ordinal && mk.ordinal < ev.ordinal) {
        reject = true;
        if constexpr (kTrace)
          note("missing-event stage " + std::to_string(plan_.stages[m].source_stage) +
               " matched at " + format_timestamp(mk.ts) + " between the partial for key " +
               key_text(key) + " and this event; the partial is dropped");
      }
    }
    if (reject) {
      table_.end_partial(s, PartialEnd::kExpired);
      maybe_free(s);
      continue;
    }
    p.events.push_back(ev.ref());
    p.last_ordinal = ev.ordinal;
    take_aliases(p, st.source_stage, ctx);
    table_.touch(s);
    if (kTrace && pi != k - 1)
      note("extended the partial for key " + key_text(key) + " (waiting after " +
           stage_name(pi - 1) + ")");
    if (pi == k - 1) {
      complete(s, std::move(p));
      maybe_free(s);
      continue;
    }
    store_partial(s, pi, std::move(p));
  }
}

// The event matched missing-event stage `i` (a plan stage index); keys_ holds its join keys.
template <bool kTrace>
void SequenceMatcher::missing_stage(std::size_t i, EventCtx& ev) {
  const std::int64_t maxspan = plan_.maxspan_ns;
  const bool leading = std::find(gap_[0].begin(), gap_[0].end(), i) != gap_[0].end();
  const bool trailing = std::find(gap_.back().begin(), gap_.back().end(), i) != gap_.back().end();
  for (const Key& key : keys_) {
    std::uint32_t s = leading ? table_.get_or_create(key) : table_.find(key);
    if (s == KeyTable::kNil) {
      if constexpr (kTrace) note("no sequence state for key " + key_text(key));
      continue;
    }
    if constexpr (kTrace)
      note("recorded as the latest missing-event match for key " + key_text(key));
    KeyState& ks = table_.state(s);
    Mark& mk = ks.x().missing[static_cast<std::size_t>(missing_slot_[i])];
    // One expiry entry per mark and deadline: a mark already at this time has one.
    const bool moved = !mk.set || mk.ts != ev.ts;
    mk.set = true;
    mk.ts = ev.ts;
    mk.ordinal = ev.ordinal;
    if (leading && moved) push_heap(sat_add(ev.ts, maxspan), s, ExpiryEntry::kLeadingMark, 0);
    // A trailing missing event cancels completed sequences whose window holds it.
    if (trailing) {
      auto& pending = ks.x().pending;
      for (auto it = pending.begin(); it != pending.end();) {
        if (it->last_ordinal < ev.ordinal && ev.ts <= sat_add(it->first_ts, maxspan)) {
          if constexpr (kTrace)
            note("cancelled a completed sequence for key " + key_text(key) + " that began at " +
                 format_timestamp(it->first_ts));
          table_.end_partial(s, PartialEnd::kExpired, *it);
          it = pending.erase(it);
        } else {
          ++it;
        }
      }
    }
    maybe_free(s);
  }
}

template <bool kTrace>
void SequenceMatcher::until_stage(EventCtx& ev) {
  for (const Key& key : keys_) {
    std::uint32_t s = table_.find(key);
    if (s != KeyTable::kNil) {
      KeyState& ks = table_.state(s);
      Mark& until = ks.x().until;
      until.set = true;
      until.ts = ev.ts;
      until.ordinal = ev.ordinal;
      if constexpr (kTrace) note("ends the partials for key " + key_text(key) + " made before it");
    } else if constexpr (kTrace) {
      note("no sequence state for key " + key_text(key));
    }
  }
}

void SequenceMatcher::finish() {
  // Completed sequences waiting on a trailing missing-event window: the stream
  // ended without the missing event, so they are reported, in order.
  struct Waiting {
    std::uint64_t ordinal;
    std::uint32_t slot;
    Partial p;
  };
  std::vector<Waiting> pend;
  for (std::uint32_t s = 0; s < table_.slot_count(); ++s) {
    if (!table_.used(s)) continue;
    if (table_.state(s).extra)
      for (auto& p : table_.state(s).x().pending)
        pend.push_back({p.events.front().ordinal, s, std::move(p)});
  }
  std::stable_sort(pend.begin(), pend.end(),
                   [](const Waiting& a, const Waiting& b) { return a.ordinal < b.ordinal; });
  for (auto& w : pend) {
    if (env_.tracer.active())
      env_.tracer.state(TraceEntry::Kind::kExpired, sat_add(w.p.first_ts, plan_.maxspan_ns),
                        "the stream ended without the missing event for key " +
                            key_text(table_.key(w.slot)) + ": alert");
    table_.end_partial(w.slot, PartialEnd::kCompleted, w.p);
    env_.alerts.emit(table_.key(w.slot), w.p.events);
  }
  for (std::uint32_t s = 0; s < table_.slot_count(); ++s)
    if (table_.used(s) && table_.state(s).extra) table_.state(s).x().pending.clear();
  // Every other partial ends with the stream.
  table_.clear(PartialEnd::kExpired);
  heap_.clear();
  set_next_deadline();
}

}  // namespace eqlpp::runtime

// ---- Snapshot: the key table, then the expiry heap as it is and the next partial id ----

namespace eqlpp::runtime {

void SequenceMatcher::save(state::Writer& w) const {
  KeyedMatcher::save(w);
  const auto& v = heap_.entries();
  w.uvar(v.size());
  for (const ExpiryEntry& e : v) {
    w.svar(e.deadline);
    w.uvar(e.slot);
    w.uvar(e.gen);
    w.svar(e.stage);
    w.uvar(e.id);
  }
  w.uvar(next_id_);
}

bool SequenceMatcher::load(state::Reader& r) {
  if (!KeyedMatcher::load(r)) return false;
  std::vector<ExpiryEntry> v(r.count(5));
  const auto stages = static_cast<std::int64_t>(positive_.size() > 0 ? positive_.size() - 1 : 0);
  for (ExpiryEntry& e : v) {
    e.deadline = r.svar();
    e.slot = r.u32();
    e.gen = r.u32();
    const std::int64_t stage = r.svar();
    if (stage < ExpiryEntry::kLeadingMark || stage >= stages)
      return r.fail("an expiry entry names no stage of the rule");
    e.stage = static_cast<std::int32_t>(stage);
    e.id = r.uvar();
  }
  next_id_ = r.uvar();
  if (!r.ok()) return false;
  if (!heap_.assign(std::move(v))) return r.fail("the expiry heap is not in heap order");
  set_next_deadline();
  return true;
}

}  // namespace eqlpp::runtime
