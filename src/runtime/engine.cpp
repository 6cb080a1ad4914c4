// SPDX-License-Identifier: Apache-2.0
// The Engine: dispatch by category and rule index, event-query filters and
// the streaming sequence / sample matcher. Event order (reorder window, late
// events, the time guard) is runtime/reorder_buffer.*.
#include "eqlpp/engine.hpp"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "compile/field_table.hpp"
#include "compile/plan.hpp"
#include "ingest/json_decoder.hpp"
#include "runtime/eval.hpp"
#include "runtime/expiry_heap.hpp"
#include "runtime/join_keys.hpp"
#include "runtime/reorder_buffer.hpp"
#include "runtime/rule_index.hpp"
#include "runtime/sequence_state.hpp"
#include "runtime/trace.hpp"
#include "util/saturate.hpp"

namespace eqlpp::detail {

using compiler::StagePlan;
using runtime::IndexKey;
using runtime::Key;
using runtime::KeyKind;
using runtime::KeyState;
using runtime::low_cardinality;
using runtime::Mark;
using runtime::node_keys;
using runtime::Partial;
using util::sat_add;
using util::sat_sub;

namespace {

constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();

/// One event as a rule sees it.
struct EventCtx {
  const Record* rec = nullptr;
  std::string_view raw;
  std::shared_ptr<const std::string> payload;
  std::int64_t ts = 0;
  std::uint64_t ordinal = 0;

  const std::shared_ptr<const std::string>& get_payload() {
    if (!payload && !raw.empty()) payload = std::make_shared<const std::string>(raw);
    return payload;
  }
  AlertEvent ref() {
    AlertEvent e;
    e.payload = get_payload();
    e.timestamp = ts;
    e.ordinal = ordinal;
    return e;
  }
};

struct KeySlot {
  std::uint32_t gen = 0;
  bool used = false;
  std::uint32_t prev = UINT32_MAX, next = UINT32_MAX;  // LRU list
  const Key* key = nullptr;
  KeyState st;
};

constexpr std::uint32_t kNil = UINT32_MAX;

}  // namespace

class EngineImpl;

/// Runtime state of one rule inside one engine.
class RuleRuntime {
 public:
  RuleRuntime(EngineImpl& engine, Rule rule, std::vector<FieldId> map);

  /// Processes one event; `untraced` skips the check for a tracer (the
  /// engine knows no rule is traced), so tracing costs nothing when off.
  void process(EventCtx& ev, runtime::EvalCtx& ctx);
  void process_untraced(EventCtx& ev, runtime::EvalCtx& ctx) { process_impl<false>(ev, ctx); }
  void expire(std::int64_t now);
  void finish();
  void evict_for_bytes();
  [[nodiscard]] std::size_t live_partials() const noexcept { return live_partials_; }
  [[nodiscard]] std::size_t expiry_entries() const noexcept { return heap_.size(); }
  void set_trace(std::function<void(const TraceEntry&)> sink);
  [[nodiscard]] bool traced() const noexcept { return tracer_ != nullptr; }
  /// The categories the rule's stages read, sorted, each once.
  [[nodiscard]] const std::vector<std::string>& categories() const noexcept { return categories_; }
  void trace_not_dispatched(EventCtx& ev, std::span<const Value> categories);

  Rule rule;
  const CompiledRule* plan;
  std::vector<FieldId> map;
  RuleStats stats;
  std::size_t state_bytes = 0;

 private:
  // Structure of the stages: positive stage indices, and missing stages per gap.
  std::vector<std::size_t> positive_;  // plan stage index of positive stage p
  std::vector<std::vector<std::size_t>>
      gap_;                        // gap_[p]: missing stages before positive p; gap_[k]: trailing
  std::vector<int> missing_slot_;  // plan stage index -> index in KeyState::missing

  // Tracing (eqlpp/trace.hpp): off when tracer_ is null; every hook is behind that test.
  struct Tracer {
    std::function<void(const TraceEntry&)> sink;
    TraceEntry cur;
    bool open = false;
  };
  std::unique_ptr<Tracer> tracer_;
  std::vector<std::string> categories_;  // categories the rule's stages read (dispatch, trace)

 public:
  std::string index_fields;  // fields the rule index selects this rule by ("" if not indexed)

 private:
  template <bool kTrace>
  bool test(const StagePlan& st, int stage, runtime::EvalCtx& ctx);
  void trace_test(const StagePlan& st, int stage, bool ok, runtime::EvalCtx& ctx);
  void note(std::string text);
  void trace_begin(EventCtx& ev);
  void trace_end();
  void trace_state(TraceEntry::Kind kind, std::int64_t ts, std::string text);
  [[nodiscard]] std::string stage_name(std::size_t positive_index) const;

  bool compute_keys(const StagePlan& st, runtime::EvalCtx& ctx);
  std::uint32_t find_slot(const Key& k);
  std::uint32_t get_or_create(const Key& k);
  void touch(std::uint32_t s);
  void unlink(std::uint32_t s);
  void free_slot(std::uint32_t s, bool evicted);
  void maybe_free(std::uint32_t s);
  void evict_lru();
  void push_heap(std::int64_t deadline, std::uint32_t s, std::int32_t stage, std::uint64_t id);
  bool heap_entry_live(const runtime::ExpiryEntry& e) const;
  void add_bytes(KeyState& st, std::ptrdiff_t delta);
  std::size_t partial_bytes(const Partial& p) const;
  void complete(std::uint32_t s, Partial&& p);
  void store_partial(std::uint32_t s, std::size_t stage, Partial&& p);
  void emit(const Key& key, std::vector<AlertEvent> events);
  void emit_event(EventCtx& ev);
  // Instantiated twice: without tracing (no trace code at all) and with it.
  template <bool kTrace>
  void process_impl(EventCtx& ev, runtime::EvalCtx& ctx);
  template <bool kTrace>
  void process_sequence(EventCtx& ev, runtime::EvalCtx& ctx);
  template <bool kTrace>
  void process_sample(EventCtx& ev, runtime::EvalCtx& ctx);

  EngineImpl& engine_;
  std::unordered_map<Key, std::uint32_t, runtime::KeyHash> index_;
  std::vector<KeySlot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint32_t lru_head_ = kNil, lru_tail_ = kNil;
  std::size_t live_keys_ = 0;
  runtime::ExpiryHeap heap_;
  std::size_t leading_missing_ = 0;  // leading missing-event stages (marks with expiry)
  std::uint64_t next_id_ = 1;
  std::size_t live_partials_ = 0;
  std::int64_t rate_window_ = kNoTime;
  std::size_t rate_count_ = 0;
  std::uint64_t emitted_ = 0;
  std::vector<Key> keys_;  // the event's join keys for the stage being matched (compute_keys)
  std::vector<Key> next_keys_;
};

class EngineImpl {
 public:
  explicit EngineImpl(EngineOptions o)
      : opts(normalized(std::move(o))), reorder(opts, stats, &EngineImpl::sink, this) {
    ts_field = fields.intern(opts.timestamp_field);
    if (!opts.tiebreaker_field.empty()) tb_field = fields.intern(opts.tiebreaker_field);
    cat_field = fields.intern(opts.event_category_field);
    decoder.set_max_depth(opts.max_json_depth);
  }

  static EngineOptions normalized(EngineOptions o) {
    o.time_jump_confirmations = std::clamp<std::size_t>(o.time_jump_confirmations, 2, 1024);
    return o;
  }

  // The reorder buffer's sink: evaluates one released event.
  static void sink(void* self, const Record& r, std::string_view raw,
                   std::shared_ptr<const std::string> payload) {
    static_cast<EngineImpl*>(self)->process(r, raw, std::move(payload));
  }

  void add_rule(Rule rule) {
    const CompiledRule& plan = *rule.impl();
    std::vector<FieldId> map;
    for (const auto& f : plan.fields) map.push_back(fields.intern(f));
    auto idx = rules.size();
    rules.push_back(std::make_unique<RuleRuntime>(*this, std::move(rule), std::move(map)));
    // Dispatch index: category -> rules. Rules reading another category
    // field, or with an `any` stage, are always evaluated.
    auto any_stage = [](const compiler::StagePlan& st) { return st.category.empty(); };
    bool always = plan.category_field != opts.event_category_field ||
                  std::any_of(plan.stages.begin(), plan.stages.end(), any_stage) ||
                  (plan.until && any_stage(*plan.until));
    if (opts.index_rules && add_to_index(plan, static_cast<std::uint32_t>(idx))) {
      ++stats.rules_indexed;  // selected by field values instead (they imply the category test)
    } else if (always) {
      always_rules.push_back(static_cast<std::uint32_t>(idx));
    } else {
      for (const auto& c : rules[idx]->categories())
        by_category[c].push_back(static_cast<std::uint32_t>(idx));
    }
    visited.push_back(0);
    if (plan.kind != QueryKind::kEvent) stateful_rules.push_back(static_cast<std::uint32_t>(idx));
  }

  // Indexes the rule when every stage (until included) has a necessary
  // condition on field values; false (and nothing changed) otherwise.
  bool add_to_index(const CompiledRule& plan, std::uint32_t idx) {
    std::vector<IndexKey> keys;
    auto stage_keys = [&](const compiler::StagePlan& st) {
      return node_keys(*st.filter, plan, keys);
    };
    for (const auto& st : plan.stages)
      if (!stage_keys(st)) return false;
    if (plan.until && !stage_keys(*plan.until)) return false;
    // A condition only on fields most events share (host.os.type == "windows")
    // prunes too little to pay for its lookups: such rules stay dispatched by category.
    for (const auto& k : keys)
      if (low_cardinality(plan.fields[k.slot])) return false;
    RuleRuntime& rr = *rules[idx];
    for (const auto& k : keys) {
      FieldId f = rr.map[k.slot];
      auto it = std::find_if(field_index.begin(), field_index.end(),
                             [&](const FieldIndex& fi) { return fi.field == f; });
      if (it == field_index.end()) {
        field_index.push_back(FieldIndex{f, {}, {}, {}});
        it = field_index.end() - 1;
      }
      auto& table = k.insensitive ? it->folded : it->exact;
      for (const auto& v : k.values) {
        auto& list = table[v];
        if (list.empty() || list.back() != idx) list.push_back(idx);
      }
      if (it->rules.empty() || it->rules.back() != idx) it->rules.push_back(idx);
      const std::string& path = plan.fields[k.slot];
      if (rr.index_fields.find(path) == std::string::npos)
        rr.index_fields += (rr.index_fields.empty() ? "" : ", ") + path;
    }
    return true;
  }

  Status push_json(std::string_view line) {
    ++stats.events_in;
    if (line.size() > opts.max_line_bytes) {
      ++stats.malformed;
      return Status::error("the line is " + std::to_string(line.size()) +
                           " bytes, over the limit of " + std::to_string(opts.max_line_bytes));
    }
    Status st = decoder.decode(line, fields, record);
    if (!st) {
      ++stats.malformed;
      return st;
    }
    if (!set_time(record)) {
      ++stats.malformed;
      return Status::error("missing or invalid timestamp in field '" + opts.timestamp_field + "'");
    }
    reorder.accept(record, line);
    return {};
  }

  Status push(const Record& r) {
    ++stats.events_in;
    reorder.accept(r, {});
    return {};
  }

  bool set_time(Record& r) {
    auto ts = r.values(ts_field);
    if (ts.empty()) return false;
    const Value& v = ts[0];
    std::int64_t ns = 0;
    if (v.is_string()) {
      if (!parse_timestamp(v.as_string(), ns)) return false;
    } else if (v.is_number()) {
      double ms = v.as_double();
      if (!(ms < 6.3e12 && ms > -6.3e12)) return false;  // +-200 years
      ns = v.kind() == Value::Kind::kInt ? v.as_int() * 1'000'000
                                         : static_cast<std::int64_t>(ms * 1e6);
    } else {
      return false;
    }
    r.set_timestamp(ns);
    if (tb_field != compiler::FieldTable::kNone) {
      auto tb = r.values(tb_field);
      r.set_tiebreaker(tb.empty() ? Value() : tb[0]);
    }
    return true;
  }

  void process(const Record& r, std::string_view raw, std::shared_ptr<const std::string> payload) {
    ++stats.events_processed;
    EventCtx ev;
    ev.rec = &r;
    ev.raw = raw;
    ev.payload = std::move(payload);
    ev.ts = r.timestamp();
    ev.ordinal = next_ordinal++;
    for (std::uint32_t i : stateful_rules) rules[i]->expire(ev.ts);  // event queries keep no state
    ++epoch;
    ctx.new_event();
    // The rules that can match this event, each once, in the order they were added.
    candidates.clear();
    auto add = [&](std::uint32_t i) {
      if (visited[i] == epoch) return;
      visited[i] = epoch;
      candidates.push_back(i);
    };
    for (std::uint32_t i : always_rules) add(i);
    if (!by_category.empty()) {
      for (const Value& c : r.values(cat_field)) {
        if (!c.is_string()) continue;
        auto it = by_category.find(c.as_string());
        if (it == by_category.end()) continue;
        for (std::uint32_t i : it->second) add(i);
      }
    }
    for (const FieldIndex& fi : field_index) {
      for (const Value& v : r.values(fi.field)) {
        if (!v.is_string()) {  // a number or boolean may coerce: no pruning on this field
          for (std::uint32_t i : fi.rules) add(i);
          break;
        }
        if (!fi.exact.empty())
          if (auto it = fi.exact.find(v.as_string()); it != fi.exact.end())
            for (std::uint32_t i : it->second) add(i);
        if (!fi.folded.empty())
          if (auto it = fi.folded.find(ctx.folded_field_value(v.as_string()));
              it != fi.folded.end())
            for (std::uint32_t i : it->second) add(i);
      }
    }
    if (candidates.size() > 1) std::sort(candidates.begin(), candidates.end());
    // Two copies of the run loop: the common one has no trace check at all.
    auto dispatch = [&](auto process_rule) {
      for (std::uint32_t i : candidates) {
        ctx.rec = &r;
        ctx.map = rules[i]->map.data();
        process_rule(*rules[i]);
        ctx.scratch.clear();
      }
    };
    if (traced_rules == 0) [[likely]] {
      dispatch([&](RuleRuntime& rr) { rr.process_untraced(ev, ctx); });
      return;
    }
    dispatch([&](RuleRuntime& rr) { rr.process(ev, ctx); });
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (visited[i] == epoch || !rules[i]->traced()) continue;
      if (rules[i]->index_fields.empty()) {
        rules[i]->trace_not_dispatched(ev, r.values(cat_field));
        continue;
      }
      // Skipped by the rule index: no stage can match, so evaluating it
      // changes nothing, and the trace names the condition that rejects
      // each stage, as it would without the index.
      ctx.rec = &r;
      ctx.map = rules[i]->map.data();
      rules[i]->process(ev, ctx);
      ctx.scratch.clear();
    }
  }

  Status trace(std::string_view rule_id, std::function<void(const TraceEntry&)> sink) {
    bool found = false;
    for (auto& rr : rules) {
      if (!rule_id.empty() && rr->stats.rule_id != rule_id && rr->plan->meta.name != rule_id)
        continue;
      rr->set_trace(sink);
      found = true;
    }
    traced_rules = 0;
    for (auto& rr : rules) traced_rules += rr->traced() ? 1 : 0;
    if (!found)
      return Status::error("no rule with id or name '" + std::string(rule_id) + "' was added");
    return {};
  }

  void finish() {
    reorder.drain();
    for (auto& rr : rules) rr->finish();
    reorder.reset();
  }

  const EngineStats& snapshot() {
    stats.rules.clear();
    stats.partials_live = 0;
    stats.expiry_entries = 0;
    for (auto& rr : rules) {
      stats.expiry_entries += rr->expiry_entries();
      rr->stats.partials_live = rr->live_partials();
      stats.rules.push_back(rr->stats);
      stats.partials_live += rr->stats.partials_live;
    }
    stats.state_bytes = state_bytes;
    stats.buffered = reorder.buffered();
    stats.buffered_bytes = reorder.buffered_bytes();
    stats.held_ahead = reorder.held();
    return stats;
  }

  void emit(const Alert& a) {
    ++stats.alerts;
    if (on_alert) on_alert(a);
  }

  EngineOptions opts;
  compiler::FieldTable fields;
  FieldId ts_field, tb_field = compiler::FieldTable::kNone, cat_field;
  std::vector<std::unique_ptr<RuleRuntime>> rules;
  std::unordered_map<std::string, std::vector<std::uint32_t>, compiler::StringHash, std::equal_to<>>
      by_category;
  std::vector<std::uint32_t> always_rules;
  std::vector<std::uint32_t> stateful_rules;  // sequences and samples (the rules with expiry)
  struct FieldIndex {
    FieldId field;
    using Table = std::unordered_map<std::string, std::vector<std::uint32_t>, compiler::StringHash,
                                     std::equal_to<>>;
    Table exact, folded;               // value (folded) -> rules needing it
    std::vector<std::uint32_t> rules;  // every rule with a key on this field
  };
  std::vector<FieldIndex> field_index;
  std::vector<std::uint32_t> candidates;
  std::vector<std::uint64_t> visited;
  std::uint64_t epoch = 0;
  std::size_t traced_rules = 0;
  ingest::JsonDecoder decoder;
  Record record;
  runtime::EvalCtx ctx;
  std::uint64_t next_ordinal = 0;
  EngineStats stats;
  runtime::ReorderBuffer reorder;  // after opts and stats, which it refers to
  std::size_t state_bytes = 0;
  std::function<void(const Alert&)> on_alert;
};

// ---- RuleRuntime ------------------------------------------------------------------

RuleRuntime::RuleRuntime(EngineImpl& engine, Rule r, std::vector<FieldId> m)
    : rule(std::move(r)), plan(rule.impl().get()), map(std::move(m)), engine_(engine) {
  stats.rule_id = plan->meta.id.empty() ? plan->meta.name : plan->meta.id;
  gap_.emplace_back();
  missing_slot_.assign(plan->stages.size(), -1);
  int nmissing = 0;
  for (std::size_t i = 0; i < plan->stages.size(); ++i) {
    if (plan->stages[i].missing) {
      gap_.back().push_back(i);
      missing_slot_[i] = nmissing++;
    } else {
      positive_.push_back(i);
      gap_.emplace_back();
    }
  }
  leading_missing_ = gap_.front().size();
  for (const auto& st : plan->stages)
    if (!st.category.empty()) categories_.push_back(st.category);
  if (plan->until && !plan->until->category.empty()) categories_.push_back(plan->until->category);
  std::sort(categories_.begin(), categories_.end());
  categories_.erase(std::unique(categories_.begin(), categories_.end()), categories_.end());
}

// ---- tracing ------------------------------------------------------------------

void RuleRuntime::set_trace(std::function<void(const TraceEntry&)> sink) {
  if (!sink) {
    tracer_.reset();
    return;
  }
  tracer_ = std::make_unique<Tracer>();
  tracer_->sink = std::move(sink);
}

template <bool kTrace>
bool RuleRuntime::test(const StagePlan& st, int stage, runtime::EvalCtx& ctx) {
  bool ok = runtime::eval_pred(*st.filter, ctx);
  if constexpr (kTrace) trace_test(st, stage, ok, ctx);
  return ok;
}

void RuleRuntime::trace_test(const StagePlan& st, int stage, bool ok, runtime::EvalCtx& ctx) {
  if (!tracer_->open) return;
  TraceStage ts;
  ts.stage = stage;
  ts.category = st.category.empty() ? "any" : st.category;
  ts.missing_stage = st.missing;
  ts.matched = ok;
  if (!ok) ts.rejected_by = runtime::explain_rejection(*plan, *st.filter, ctx);
  tracer_->cur.stages.push_back(std::move(ts));
}

void RuleRuntime::note(std::string text) {
  if (!tracer_->open || tracer_->cur.stages.empty()) return;
  tracer_->cur.stages.back().outcome.push_back(std::move(text));
}

void RuleRuntime::trace_begin(EventCtx& ev) {
  TraceEntry& t = tracer_->cur;
  t = TraceEntry{};
  t.kind = TraceEntry::Kind::kEvent;
  t.rule_id = stats.rule_id;
  t.timestamp = ev.ts;
  t.ordinal = ev.ordinal;
  t.payload = ev.get_payload();
  tracer_->open = true;
}

void RuleRuntime::trace_end() {
  tracer_->open = false;
  auto& st = tracer_->cur.stages;
  std::stable_sort(st.begin(), st.end(), [](const TraceStage& a, const TraceStage& b) {
    return static_cast<unsigned>(a.stage) < static_cast<unsigned>(b.stage);  // until (-1) last
  });
  tracer_->sink(tracer_->cur);
}

void RuleRuntime::trace_state(TraceEntry::Kind kind, std::int64_t ts, std::string text) {
  TraceEntry t;
  t.kind = kind;
  t.rule_id = stats.rule_id;
  t.timestamp = ts;
  t.ordinal = engine_.next_ordinal ? engine_.next_ordinal - 1 : 0;
  t.note = std::move(text);
  tracer_->sink(t);
}

void RuleRuntime::trace_not_dispatched(EventCtx& ev, std::span<const Value> categories) {
  TraceEntry t;
  t.kind = TraceEntry::Kind::kNotDispatched;
  t.rule_id = stats.rule_id;
  t.timestamp = ev.ts;
  t.ordinal = ev.ordinal;
  t.payload = ev.get_payload();
  if (!index_fields.empty()) {
    t.note = "no stage can match: each requires one of its listed values of " + index_fields +
             ", and the event has none";
  } else {
    std::string seen = "[";
    for (std::size_t i = 0; i < categories.size(); ++i)
      seen += (i ? "," : "") + categories[i].to_json();
    t.note = engine_.opts.event_category_field + " is " + seen + "]; the rule reads only";
    for (std::size_t i = 0; i < categories_.size(); ++i)
      t.note += (i ? ", " : " ") + categories_[i];
  }
  tracer_->sink(t);
}

std::string RuleRuntime::stage_name(std::size_t positive_index) const {
  return "stage " + std::to_string(plan->stages[positive_[positive_index]].source_stage);
}

// The event's join keys for stage `st` into keys_ (runtime/join_keys.hpp).
bool RuleRuntime::compute_keys(const StagePlan& st, runtime::EvalCtx& ctx) {
  return runtime::join_keys(st, ctx, engine_.opts.max_join_key_combinations, keys_, next_keys_,
                            engine_.stats.key_combinations_dropped);
}

std::uint32_t RuleRuntime::find_slot(const Key& k) {
  auto it = index_.find(k);
  return it == index_.end() ? kNil : it->second;
}

void RuleRuntime::unlink(std::uint32_t s) {
  KeySlot& ks = slots_[s];
  if (ks.prev != kNil)
    slots_[ks.prev].next = ks.next;
  else
    lru_head_ = ks.next;
  if (ks.next != kNil)
    slots_[ks.next].prev = ks.prev;
  else
    lru_tail_ = ks.prev;
  ks.prev = ks.next = kNil;
}

void RuleRuntime::touch(std::uint32_t s) {
  if (lru_tail_ == s) return;
  unlink(s);
  KeySlot& ks = slots_[s];
  ks.prev = lru_tail_;
  if (lru_tail_ != kNil) slots_[lru_tail_].next = s;
  lru_tail_ = s;
  if (lru_head_ == kNil) lru_head_ = s;
}

std::uint32_t RuleRuntime::get_or_create(const Key& k) {
  std::uint32_t s = find_slot(k);
  if (s != kNil) {
    touch(s);
    return s;
  }
  while (live_keys_ >= engine_.opts.max_keys_per_rule && lru_head_ != kNil) evict_lru();
  if (free_.empty()) {
    s = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    s = free_.back();
    free_.pop_back();
  }
  KeySlot& ks = slots_[s];
  ks.used = true;
  ks.st = KeyState{};
  std::size_t npos = positive_.size();
  ks.st.at.resize(npos > 0 ? npos - 1 : 0);
  ks.st.missing.resize(plan->stages.size() - npos);
  if (plan->kind == QueryKind::kSample) ks.st.sample.resize(plan->stages.size());
  auto [it, inserted] = index_.emplace(k, s);
  (void)inserted;
  ks.key = &it->first;
  ++live_keys_;
  // The slot, the index entry (node and bucket) and the key's own bytes.
  std::size_t key_bytes = sizeof(KeySlot) + 64 + (k.size() > 15 ? k.capacity() + 1 : 0);
  add_bytes(ks.st, static_cast<std::ptrdiff_t>(key_bytes));
  ks.prev = ks.next = kNil;
  touch(s);
  return s;
}

void RuleRuntime::add_bytes(KeyState& st, std::ptrdiff_t delta) {
  st.bytes = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(st.bytes) + delta);
  state_bytes = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(state_bytes) + delta);
  engine_.state_bytes =
      static_cast<std::size_t>(static_cast<std::ptrdiff_t>(engine_.state_bytes) + delta);
  engine_.stats.peak_state_bytes =
      std::max<std::uint64_t>(engine_.stats.peak_state_bytes, engine_.state_bytes);
}

std::size_t RuleRuntime::partial_bytes(const Partial& p) const {
  std::size_t b = sizeof(Partial) + p.events.capacity() * sizeof(AlertEvent);
  for (const auto& e : p.events)
    if (e.payload) b += e.payload->size();
  return b;
}

void RuleRuntime::free_slot(std::uint32_t s, bool evicted) {
  KeySlot& ks = slots_[s];
  std::size_t dropped = ks.st.live;
  if (evicted && tracer_)
    trace_state(TraceEntry::Kind::kEvicted, engine_.reorder.watermark(),
                "key " + runtime::key_text(*ks.key) + " and its " + std::to_string(dropped) +
                    " partial(s), least recently used (max_keys_per_rule " +
                    std::to_string(engine_.opts.max_keys_per_rule) + " or max_state_bytes " +
                    std::to_string(engine_.opts.max_state_bytes) + " reached)");
  if (evicted) {
    engine_.stats.partials_evicted += dropped;
    if (dropped || plan->kind == QueryKind::kSample) ++engine_.stats.keys_evicted;
  }
  live_partials_ -= dropped;
  add_bytes(ks.st, -static_cast<std::ptrdiff_t>(ks.st.bytes));
  unlink(s);
  index_.erase(*ks.key);
  ks.key = nullptr;
  ks.st = KeyState{};
  ks.used = false;
  ++ks.gen;
  free_.push_back(s);
  --live_keys_;
}

void RuleRuntime::maybe_free(std::uint32_t s) {
  KeySlot& ks = slots_[s];
  if (!ks.used || ks.st.live > 0) return;
  if (plan->kind == QueryKind::kSample) return;  // samples remember keys (bounded by the key limit)
  for (const auto& m : ks.st.missing)
    if (m.set && gap_.front().size() > 0) return;  // a leading missing-event mark is still needed
  free_slot(s, false);
}

void RuleRuntime::evict_lru() {
  if (lru_head_ != kNil) free_slot(lru_head_, true);
}

void RuleRuntime::evict_for_bytes() {
  while (engine_.state_bytes > engine_.opts.max_state_bytes && lru_head_ != kNil) evict_lru();
}

void RuleRuntime::push_heap(std::int64_t deadline, std::uint32_t s, std::int32_t stage,
                            std::uint64_t id) {
  heap_.push(runtime::ExpiryEntry{deadline, s, slots_[s].gen, stage, id});
  // Live entries: one per partial or pending completion (ids are unique),
  // and one per leading missing-event mark and deadline.
  heap_.maybe_compact(live_partials_ + live_keys_ * leading_missing_,
                      [&](const runtime::ExpiryEntry& e) { return heap_entry_live(e); });
}

// Whether `e` still expires something: the partial or completion it names is
// still there, or a leading mark still has its deadline.
bool RuleRuntime::heap_entry_live(const runtime::ExpiryEntry& e) const {
  if (e.slot >= slots_.size()) return false;
  const KeySlot& ks = slots_[e.slot];
  if (!ks.used || ks.gen != e.gen) return false;
  const KeyState& st = ks.st;
  if (e.stage >= 0) {
    const auto& slot = st.at[static_cast<std::size_t>(e.stage)];
    return slot && slot->id == e.id;
  }
  if (e.stage == runtime::ExpiryEntry::kPending)
    return std::any_of(st.pending.begin(), st.pending.end(),
                       [&](const Partial& p) { return p.id == e.id; });
  return std::any_of(st.missing.begin(), st.missing.end(), [&](const Mark& m) {
    return m.set && sat_add(m.ts, plan->maxspan_ns) == e.deadline;
  });
}

void RuleRuntime::expire(std::int64_t now) {
  while (!heap_.empty() && heap_.top().deadline < now) {
    runtime::ExpiryEntry e = heap_.top();
    heap_.pop();
    if (e.slot >= slots_.size()) continue;
    KeySlot& ks = slots_[e.slot];
    if (!ks.used || ks.gen != e.gen) continue;
    KeyState& st = ks.st;
    if (e.stage >= 0) {
      auto& slot = st.at[static_cast<std::size_t>(e.stage)];
      if (slot && slot->id == e.id) {
        if (tracer_)
          trace_state(TraceEntry::Kind::kExpired, now,
                      "the partial for key " + runtime::key_text(*ks.key) + " waiting after " +
                          stage_name(static_cast<std::size_t>(e.stage)) + " began at " +
                          format_timestamp(slot->first_ts) + "; maxspan " +
                          runtime::duration_text(plan->maxspan_ns) + " has passed");
        add_bytes(st, -static_cast<std::ptrdiff_t>(slot->bytes));
        slot.reset();
        --st.live;
        --live_partials_;
        ++engine_.stats.partials_expired;
      }
    } else if (e.stage == runtime::ExpiryEntry::kPending) {
      // Trailing missing-event window passed without the missing event: report.
      for (auto it = st.pending.begin(); it != st.pending.end(); ++it) {
        if (it->id != e.id) continue;
        Partial p = std::move(*it);
        st.pending.erase(it);
        if (tracer_)
          trace_state(TraceEntry::Kind::kExpired, now,
                      "the missing-event window for key " + runtime::key_text(*ks.key) +
                          " passed without the missing event: alert");
        add_bytes(st, -static_cast<std::ptrdiff_t>(p.bytes));
        --st.live;
        --live_partials_;
        emit(*ks.key, std::move(p.events));
        break;
      }
    } else {
      for (auto& m : st.missing)
        if (m.set && sat_add(m.ts, plan->maxspan_ns) < now) m.set = false;
    }
    maybe_free(e.slot);
  }
}

void RuleRuntime::emit(const Key& key, std::vector<AlertEvent> positive) {
  // Interleave an empty `missing` entry for each missing-event stage, in stage order.
  std::vector<AlertEvent> events;
  if (plan->kind == QueryKind::kSequence && positive_.size() != plan->stages.size()) {
    std::size_t p = 0;
    for (const auto& st : plan->stages) {
      if (st.missing) {
        AlertEvent m;
        m.missing = true;
        events.push_back(m);
      } else if (p < positive.size()) {
        events.push_back(std::move(positive[p++]));
      }
    }
  } else {
    events = std::move(positive);
  }
  if (plan->head && emitted_ >= static_cast<std::uint64_t>(*plan->head)) {
    if (tracer_) note("alert suppressed: `| head " + std::to_string(*plan->head) + "` reached");
    ++stats.alerts_suppressed;
    ++engine_.stats.alerts_suppressed;
    return;
  }
  std::int64_t first = kNoTime, last = kNoTime;
  for (const auto& e : events) {
    if (e.missing) continue;
    if (first == kNoTime || e.timestamp < first) first = e.timestamp;
    if (last == kNoTime || e.timestamp > last) last = e.timestamp;
  }
  if (engine_.opts.max_alerts_per_second) {
    std::int64_t window = last / 1'000'000'000;
    if (window != rate_window_) {
      rate_window_ = window;
      rate_count_ = 0;
    }
    if (++rate_count_ > engine_.opts.max_alerts_per_second) {
      if (tracer_) note("alert suppressed: max_alerts_per_second reached");
      ++stats.alerts_suppressed;
      ++engine_.stats.alerts_suppressed;
      return;
    }
  }
  ++emitted_;
  Alert a(rule);
  auto storage = std::make_shared<std::string>();
  storage->reserve(key.size());
  // First the bytes of every string part, then views into them (no reallocation).
  runtime::for_each_key_part(key, [&](const runtime::KeyPartView& p) { storage->append(p.s); });
  std::size_t at = 0;
  runtime::for_each_key_part(key, [&](const runtime::KeyPartView& p) {
    switch (p.kind) {
      case KeyKind::kNull: a.join_keys.emplace_back(); break;
      case KeyKind::kBool: a.join_keys.emplace_back(p.i != 0); break;
      case KeyKind::kInt: a.join_keys.emplace_back(p.i); break;
      case KeyKind::kDouble: a.join_keys.emplace_back(p.d); break;
      default:
        a.join_keys.emplace_back(std::string_view(storage->data() + at, p.s.size()));
        at += p.s.size();
    }
  });
  a.storage = std::move(storage);
  a.events = std::move(events);
  a.first_timestamp = first;
  a.last_timestamp = last;
  if (tracer_) note("alert");
  ++stats.alerts;
  engine_.emit(a);
}

void RuleRuntime::emit_event(EventCtx& ev) {
  std::vector<AlertEvent> events;
  events.push_back(ev.ref());
  static const Key kEmpty;
  emit(kEmpty, std::move(events));
}

void RuleRuntime::complete(std::uint32_t s, Partial&& p) {
  KeySlot& ks = slots_[s];
  if (gap_.back().empty()) {
    if (tracer_) note("completed the sequence for key " + runtime::key_text(*ks.key));
    emit(*ks.key, std::move(p.events));
    return;
  }
  if (tracer_)
    note("completed the positive stages for key " + runtime::key_text(*ks.key) + "; held until " +
         format_timestamp(sat_add(p.first_ts, plan->maxspan_ns)) +
         " for the trailing missing-event stage");
  // Wait until first + maxspan for a trailing missing event.
  KeyState& st = ks.st;
  while (st.pending.size() >= engine_.opts.max_partials_per_key) {
    if (tracer_)
      trace_state(TraceEntry::Kind::kEvicted, p.events.back().timestamp,
                  "the oldest completed sequence held for key " + runtime::key_text(*ks.key) +
                      " (max_partials_per_key " +
                      std::to_string(engine_.opts.max_partials_per_key) + ")");
    add_bytes(st, -static_cast<std::ptrdiff_t>(st.pending.front().bytes));
    st.pending.erase(st.pending.begin());
    --st.live;
    --live_partials_;
    ++engine_.stats.partials_evicted;
  }
  p.id = next_id_++;
  p.bytes = partial_bytes(p);
  add_bytes(st, static_cast<std::ptrdiff_t>(p.bytes));
  std::int64_t deadline = sat_add(p.first_ts, plan->maxspan_ns);
  std::uint64_t id = p.id;
  st.pending.push_back(std::move(p));
  ++st.live;
  ++live_partials_;
  push_heap(deadline, s, runtime::ExpiryEntry::kPending, id);
}

// Makes `p` the partial waiting after positive stage `stage` of key slot `s`.
// A partial already there is superseded: only the newest one can complete.
void RuleRuntime::store_partial(std::uint32_t s, std::size_t stage, Partial&& p) {
  KeyState& ks = slots_[s].st;
  auto& slot = ks.at[stage];
  if (slot) {
    if (tracer_)
      note("replaced an older partial waiting after " + stage_name(stage) + " that began at " +
           format_timestamp(slot->first_ts) + " (only the newest can complete)");
    add_bytes(ks, -static_cast<std::ptrdiff_t>(slot->bytes));
    --ks.live;
    --live_partials_;
  }
  p.id = next_id_++;
  p.bytes = partial_bytes(p);
  add_bytes(ks, static_cast<std::ptrdiff_t>(p.bytes));
  const std::uint64_t id = p.id;
  const std::int64_t deadline = sat_add(p.first_ts, plan->maxspan_ns);
  slot = std::move(p);
  ++ks.live;
  ++live_partials_;
  if (plan->maxspan_ns) push_heap(deadline, s, static_cast<std::int32_t>(stage), id);
}

void RuleRuntime::process(EventCtx& ev, runtime::EvalCtx& ctx) {
  if (tracer_) [[unlikely]] {
    trace_begin(ev);
    process_impl<true>(ev, ctx);
    trace_end();
    return;
  }
  process_impl<false>(ev, ctx);
}

template <bool kTrace>
void RuleRuntime::process_impl(EventCtx& ev, runtime::EvalCtx& ctx) {
  switch (plan->kind) {
    case QueryKind::kEvent:
      if (test<kTrace>(plan->stages[0], 0, ctx)) {
        ++stats.matches;
        emit_event(ev);
      }
      return;
    case QueryKind::kSequence: process_sequence<kTrace>(ev, ctx); break;
    case QueryKind::kSample: process_sample<kTrace>(ev, ctx); break;
  }
  if (engine_.state_bytes > engine_.opts.max_state_bytes) evict_for_bytes();
}

template <bool kTrace>
void RuleRuntime::process_sequence(EventCtx& ev, runtime::EvalCtx& ctx) {
  const std::size_t k = positive_.size();
  const std::int64_t maxspan = plan->maxspan_ns;
  // Positive stages, in descending order so an event never extends a partial it just made.
  for (std::size_t pi = k; pi-- > 0;) {
    const StagePlan& st = plan->stages[positive_[pi]];
    if (!test<kTrace>(st, st.source_stage, ctx)) continue;
    ++stats.matches;
    if (!compute_keys(st, ctx)) {
      if constexpr (kTrace) note("a join key is null: this stage does not take the event");
      continue;
    }
    for (const Key& key : keys_) {  // each value of a multi-valued key on its own
      if (pi == 0) {
        // Leading missing-event stages: no such event in [t - maxspan, t).
        std::uint32_t s = find_slot(key);
        if (s != kNil) {
          bool blocked = false;
          for (std::size_t m : gap_[0]) {
            const Mark& mk = slots_[s].st.missing[static_cast<std::size_t>(missing_slot_[m])];
            if (mk.set && mk.ordinal < ev.ordinal && mk.ts >= sat_sub(ev.ts, maxspan)) {
              blocked = true;
              if constexpr (kTrace)
                note("blocked: missing-event stage " +
                     std::to_string(plan->stages[m].source_stage) + " matched at " +
                     format_timestamp(mk.ts) + ", within maxspan before, for key " +
                     runtime::key_text(key));
            }
          }
          if (blocked) continue;
        }
        Partial p;
        if (k > 1 && s != kNil && slots_[s].st.at[0]) {
          // This partial will replace the one waiting after stage 0: reuse its
          // event storage (the old partial's byte count is kept in `bytes`).
          p.events = std::move(slots_[s].st.at[0]->events);
          p.events.clear();
        }
        p.events.push_back(ev.ref());
        p.first_ts = ev.ts;
        p.last_ordinal = ev.ordinal;
        s = get_or_create(key);
        ++engine_.stats.partials_created;
        if (kTrace && k > 1)
          note("started a partial sequence for key " + runtime::key_text(*slots_[s].key));
        if (k == 1) {
          complete(s, std::move(p));
          continue;
        }
        store_partial(s, 0, std::move(p));
        continue;
      }
      std::uint32_t s = find_slot(key);
      if (s == kNil) {
        if constexpr (kTrace) note("no partial sequence for key " + runtime::key_text(key));
        continue;
      }
      KeyState& ks = slots_[s].st;
      auto& prev = ks.at[pi - 1];
      if (!prev || prev->last_ordinal >= ev.ordinal) {
        if constexpr (kTrace)
          note(std::string(prev ? "the partial for key " + runtime::key_text(key) +
                                      " waiting after " + stage_name(pi - 1) +
                                      " was made by this same event"
                                : "no partial for key " + runtime::key_text(key) +
                                      " is waiting after " + stage_name(pi - 1)));
        continue;
      }
      Partial p = std::move(*prev);
      prev.reset();
      add_bytes(ks, -static_cast<std::ptrdiff_t>(p.bytes));
      --ks.live;
      --live_partials_;
      bool reject = false;
      if (maxspan && sat_sub(ev.ts, p.first_ts) > maxspan) {
        reject = true;
        if constexpr (kTrace)
          note("maxspan exceeded by " +
               runtime::duration_text(sat_sub(sat_sub(ev.ts, p.first_ts), maxspan)) +
               ": the partial for key " + runtime::key_text(key) + " began at " +
               format_timestamp(p.first_ts) + ", " +
               runtime::duration_text(sat_sub(ev.ts, p.first_ts)) + " before this event (maxspan " +
               runtime::duration_text(maxspan) + "); the partial is dropped");
      }
      if (ks.until.set && ks.until.ordinal >= p.last_ordinal) {
        reject = true;
        if constexpr (kTrace)
          note("the partial for key " + runtime::key_text(key) + " was ended by `until` at " +
               format_timestamp(ks.until.ts) + "; the partial is dropped");
      }
      for (std::size_t m : gap_[pi]) {
        const Mark& mk = ks.missing[static_cast<std::size_t>(missing_slot_[m])];
        if (mk.set && mk.ordinal > p.last_ordinal && mk.ordinal < ev.ordinal) {
          reject = true;
          if constexpr (kTrace)
            note("missing-event stage " + std::to_string(plan->stages[m].source_stage) +
                 " matched at " + format_timestamp(mk.ts) + " between the partial for key " +
                 runtime::key_text(key) + " and this event; the partial is dropped");
        }
      }
      if (reject) {
        maybe_free(s);
        continue;
      }
      p.events.push_back(ev.ref());
      p.last_ordinal = ev.ordinal;
      touch(s);
      if (kTrace && pi != k - 1)
        note("extended the partial for key " + runtime::key_text(key) + " (waiting after " +
             stage_name(pi - 1) + ")");
      if (pi == k - 1) {
        complete(s, std::move(p));
        maybe_free(s);
        continue;
      }
      store_partial(s, pi, std::move(p));
    }
  }
  // Missing-event stages: remember the latest matching event per key.
  for (std::size_t i = 0; i < plan->stages.size(); ++i) {
    const StagePlan& st = plan->stages[i];
    if (!st.missing || !test<kTrace>(st, st.source_stage, ctx)) continue;
    if (!compute_keys(st, ctx)) {
      if constexpr (kTrace) note("a join key is null: this stage does not take the event");
      continue;
    }
    for (const Key& key : keys_) {
      bool leading = std::find(gap_[0].begin(), gap_[0].end(), i) != gap_[0].end();
      std::uint32_t s = leading ? get_or_create(key) : find_slot(key);
      if (s == kNil) {
        if constexpr (kTrace) note("no sequence state for key " + runtime::key_text(key));
        continue;
      }
      if constexpr (kTrace)
        note("recorded as the latest missing-event match for key " + runtime::key_text(key));
      KeyState& ks = slots_[s].st;
      Mark& mk = ks.missing[static_cast<std::size_t>(missing_slot_[i])];
      // One expiry entry per mark and deadline: a mark already at this time has one.
      const bool moved = !mk.set || mk.ts != ev.ts;
      mk.set = true;
      mk.ts = ev.ts;
      mk.ordinal = ev.ordinal;
      if (leading && moved)
        push_heap(sat_add(ev.ts, maxspan), s, runtime::ExpiryEntry::kLeadingMark, 0);
      // A trailing missing event cancels completed sequences whose window holds it.
      bool trailing = std::find(gap_.back().begin(), gap_.back().end(), i) != gap_.back().end();
      if (trailing) {
        for (auto it = ks.pending.begin(); it != ks.pending.end();) {
          if (it->last_ordinal < ev.ordinal && ev.ts <= sat_add(it->first_ts, maxspan)) {
            if constexpr (kTrace)
              note("cancelled a completed sequence for key " + runtime::key_text(key) +
                   " that began at " + format_timestamp(it->first_ts));
            add_bytes(ks, -static_cast<std::ptrdiff_t>(it->bytes));
            it = ks.pending.erase(it);
            --ks.live;
            --live_partials_;
          } else {
            ++it;
          }
        }
      }
      maybe_free(s);
    }
  }
  // until: cancels partials of the key whose last event is at or before it.
  if (plan->until && test<kTrace>(*plan->until, -1, ctx) && compute_keys(*plan->until, ctx)) {
    for (const Key& key : keys_) {
      std::uint32_t s = find_slot(key);
      if (s != kNil) {
        KeyState& ks = slots_[s].st;
        ks.until.set = true;
        ks.until.ts = ev.ts;
        ks.until.ordinal = ev.ordinal;
        if constexpr (kTrace)
          note("ends the partials for key " + runtime::key_text(key) + " made before it");
      } else if constexpr (kTrace) {
        note("no sequence state for key " + runtime::key_text(key));
      }
    }
  }
}

template <bool kTrace>
void RuleRuntime::process_sample(EventCtx& ev, runtime::EvalCtx& ctx) {
  for (std::size_t i = 0; i < plan->stages.size(); ++i) {
    const StagePlan& st = plan->stages[i];
    if (!test<kTrace>(st, static_cast<int>(i), ctx)) continue;
    ++stats.matches;
    if (!compute_keys(st, ctx)) {
      if constexpr (kTrace) note("a join key is null: this filter does not take the event");
      continue;
    }
    for (const Key& key : keys_) {
      std::uint32_t s = get_or_create(key);
      KeyState& ks = slots_[s].st;
      if (ks.sample_done || ks.sample[i]) {
        if constexpr (kTrace)
          note(std::string(ks.sample_done ? "the sample for key "
                                          : "this filter already holds an event for key ") +
               runtime::key_text(key) + (ks.sample_done ? " was already reported" : ""));
        continue;
      }
      if constexpr (kTrace) note("taken for key " + runtime::key_text(key));
      ks.sample[i] = ev.ref();
      std::size_t b =
          sizeof(AlertEvent) + (ks.sample[i]->payload ? ks.sample[i]->payload->size() : 0);
      add_bytes(ks, static_cast<std::ptrdiff_t>(b));
      bool full = std::all_of(ks.sample.begin(), ks.sample.end(),
                              [](const auto& e) { return e.has_value(); });
      if (full) {
        std::vector<AlertEvent> events;
        for (auto& e : ks.sample) events.push_back(std::move(*e));
        ks.sample_done = true;
        ks.sample.assign(ks.sample.size(), std::nullopt);
        emit(*slots_[s].key, std::move(events));
      }
    }
  }
}

void RuleRuntime::finish() {
  // Completed sequences waiting on a trailing missing-event window: the stream
  // ended without the missing event, so they are reported, in order.
  std::vector<std::pair<std::uint64_t, std::pair<std::uint32_t, Partial>>> pend;
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    if (!slots_[s].used) continue;
    for (auto& p : slots_[s].st.pending)
      pend.push_back({p.events.front().ordinal, {s, std::move(p)}});
    slots_[s].st.pending.clear();
  }
  std::sort(pend.begin(), pend.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [o, sp] : pend) {
    if (tracer_)
      trace_state(TraceEntry::Kind::kExpired, sat_add(sp.second.first_ts, plan->maxspan_ns),
                  "the stream ended without the missing event for key " +
                      runtime::key_text(*slots_[sp.first].key) + ": alert");
    --live_partials_;
    emit(*slots_[sp.first].key, std::move(sp.second.events));
  }
  for (std::uint32_t s = 0; s < slots_.size(); ++s) {
    if (!slots_[s].used) continue;
    engine_.stats.partials_expired += slots_[s].st.live;
    live_partials_ -= std::min<std::size_t>(live_partials_, slots_[s].st.live);
    slots_[s].st.live = 0;
    free_slot(s, false);
  }
  live_partials_ = 0;
  heap_.clear();
  rate_window_ = kNoTime;
}

}  // namespace eqlpp::detail

namespace eqlpp {

Engine::Engine(EngineOptions options)
    : impl_(std::make_unique<detail::EngineImpl>(std::move(options))) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

void Engine::add_rule(Rule rule) { impl_->add_rule(std::move(rule)); }
FieldId Engine::field(std::string_view path) { return impl_->fields.intern(path); }
void Engine::on_alert(std::function<void(const Alert&)> cb) { impl_->on_alert = std::move(cb); }
void Engine::on_late(std::function<void(const LateEvent&)> cb) {
  impl_->reorder.on_late = std::move(cb);
}
Status Engine::push_json(std::string_view line) { return impl_->push_json(line); }
Status Engine::push(const Record& record) { return impl_->push(record); }
void Engine::finish() { impl_->finish(); }
const EngineStats& Engine::stats() { return impl_->snapshot(); }
const EngineOptions& Engine::options() const noexcept { return impl_->opts; }
Status Engine::trace(std::string_view rule, std::function<void(const TraceEntry&)> sink) {
  return impl_->trace(rule, std::move(sink));
}

}  // namespace eqlpp
