// SPDX-License-Identifier: Apache-2.0
// The Engine's implementation: the façade that wires the runtime's rooms
// (docs/architecture.md). engine.cpp holds the event path, state/ the snapshot.
//
//   push_json -> ingest (JsonDecoder, set_event_time) -> ReorderBuffer
//     -> process(): Matcher::advance for stateful rules, Dispatcher::select,
//        Matcher::on_event per selected rule -> AlertSink -> AlertQueue -> on_alert
//
// State is counted by the StateBudget (key_table.hpp), the only place that
// changes byte and partial counts.
#pragma once

#include <algorithm>
#include <limits>

#include "compile/field_table.hpp"
#include "compile/plan.hpp"
#include "eqlpp/engine.hpp"
#include "ingest/event_time.hpp"
#include "ingest/json_decoder.hpp"
#include "ingest/json_lines.hpp"
#include "runtime/alert_sink.hpp"
#include "runtime/dispatcher.hpp"
#include "runtime/eval.hpp"
#include "runtime/leaf_memo.hpp"
#include "runtime/leaf_prefilter.hpp"
#include "runtime/lineage_table.hpp"
#include "runtime/matcher.hpp"
#include "runtime/reorder_buffer.hpp"
#include "runtime/rule_tracer.hpp"

namespace eqlpp::state {
class Writer;
}

namespace eqlpp::detail {

/// One rule inside one engine: its plan and slot map, statistics, trace,
/// alerts and matcher.
struct RuleRuntime {
  RuleRuntime(Rule r, std::vector<FieldId> m, const EngineOptions& opts,
              runtime::StateBudget& budget, runtime::AlertQueue& queue, EngineStats& engine_stats,
              const std::uint64_t& ordinal, const std::int64_t& now)
      : rule(std::move(r)),
        plan(*RuleAccess::plan(rule)),
        map(std::move(m)),
        stats{plan.meta.id.empty() ? plan.meta.name : plan.meta.id, 0, 0, 0, 0},
        tracer(stats.rule_id, ordinal),
        alerts(rule, plan, opts.max_alerts_per_second, queue, stats),
        matcher(runtime::make_matcher(
            plan, runtime::MatcherEnv{opts, budget, alerts, tracer, stats,
                                      engine_stats.key_combinations_dropped, now})) {
    for (const auto& st : plan.stages)
      if (!st.category.empty()) categories.push_back(st.category);
    if (plan.until && !plan.until->category.empty()) categories.push_back(plan.until->category);
    std::sort(categories.begin(), categories.end());
    categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
    every_category = runtime::reads_every_category(plan, opts.event_category_field);
  }

  /// Evaluates the event, traced when the rule is.
  void run(runtime::EventCtx& ev, runtime::EvalCtx& ctx) {
    if (!tracer.active()) {
      matcher->on_event(ev, ctx);
      return;
    }
    ctx.stages = ~std::uint32_t{0};  // a trace tells why each stage did not match
    tracer.begin(ev);
    matcher->on_event_traced(ev, ctx);
    tracer.end();
  }

  /// Whether a stage of the rule reads events of one of these categories.
  [[nodiscard]] bool reads_category(std::span<const Value> seen_categories) const {
    if (every_category) return true;
    for (const Value& c : seen_categories)
      if (c.is_string() && std::binary_search(categories.begin(), categories.end(), c.as_string()))
        return true;
    return false;
  }

  /// Why the dispatcher did not give the event to this rule (the trace):
  /// none of its stages reads the event's category. (A rule the index
  /// skipped is run traced instead, so that its trace names the condition
  /// that rejects each stage.)
  [[nodiscard]] std::string not_dispatched_note(std::span<const Value> seen_categories,
                                                const std::string& category_field) const {
    std::string seen = "[";
    for (std::size_t i = 0; i < seen_categories.size(); ++i)
      seen += (i ? "," : "") + seen_categories[i].to_json();
    std::string note = category_field + " is " + seen + "]; the rule reads only";
    for (std::size_t i = 0; i < categories.size(); ++i) note += (i ? ", " : " ") + categories[i];
    return note;
  }

  Rule rule;
  const CompiledRule& plan;
  std::vector<FieldId> map;  // rule slot -> engine FieldId
  RuleStats stats;
  runtime::RuleTracer tracer;
  runtime::AlertSink alerts;
  std::unique_ptr<runtime::Matcher> matcher;
  std::uint32_t lineage_base = 0;       // the global index of the rule's first lineage sub-query
  std::vector<std::string> categories;  // the categories the stages read, sorted, each once
  std::string index_fields;     // fields the rule index selects the rule by ("" if not indexed)
  bool gated = false;           // a sequence whose continuation stages wait for state (Dispatcher)
  bool every_category = false;  // a stage reads any category (or another category field)
  mutable std::uint64_t fingerprint = 0;  // EngineImpl::fingerprint (0: not computed yet)
};

class EngineImpl {
 public:
  explicit EngineImpl(EngineOptions o)
      : opts(normalized(std::move(o))),
        ts_field(fields.intern(opts.timestamp_field)),
        tb_field(opts.tiebreaker_field.empty() ? compiler::FieldTable::kNone
                                               : fields.intern(opts.tiebreaker_field)),
        cat_field(fields.intern(opts.event_category_field)),
        budget(opts.max_state_bytes),
        alerts(opts.batch, stats),
        reorder(opts, stats, &EngineImpl::sink, this),
        dispatcher(cat_field, opts.event_category_field, opts.index_rules),
        lineage_dispatcher(cat_field, opts.event_category_field, opts.index_rules) {
    decoder.set_max_depth(opts.max_json_depth);
    if (opts.share_conditions) ctx.prefilter = &prefilter;
    if (!opts.timestamp_format.empty())
      fields.set_coercion(ts_field, ingest::timestamp_coercion(opts.timestamp_format));
  }

  static EngineOptions normalized(EngineOptions o) {
    o.time_jump_confirmations = std::clamp<std::size_t>(o.time_jump_confirmations, 2, 1024);
    if (o.batch) {
      // Read everything, then evaluate in order: no window, no buffer limit,
      // no time guard (sorting puts a forged future event last, where it blinds nothing).
      o.reorder_window = std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::max());
      o.max_buffered_events = std::numeric_limits<std::size_t>::max();
      o.max_buffered_bytes = std::numeric_limits<std::size_t>::max();
      o.max_time_ahead = std::chrono::nanoseconds(0);
    }
    return o;
  }

  // The reorder buffer's sink: evaluates one released event.
  static void sink(void* self, const Record& r, std::string_view raw,
                   std::shared_ptr<const std::string> payload) {
    static_cast<EngineImpl*>(self)->process(r, raw, std::move(payload));
  }

  void add_rule(Rule rule) {
    const CompiledRule& plan = *RuleAccess::plan(rule);
    std::vector<FieldId> map;
    for (const auto& f : plan.fields) map.push_back(fields.intern(f));
    for (std::size_t i = 0; i < plan.coercions.size(); ++i)
      fields.set_coercion(map[i], plan.coercions[i]);
    for (const auto& a : plan.arrays) {
      fields.set_array(map[a.array_slot], map[a.elems_slot]);
      for (const auto& [value, tag] : a.tags)
        fields.set_tag(map[value], map[tag], map[a.array_slot]);
    }
    auto idx = static_cast<std::uint32_t>(rules.size());
    rules.push_back(std::make_unique<RuleRuntime>(std::move(rule), std::move(map), opts, budget,
                                                  alerts, stats, next_ordinal, now));
    RuleRuntime& rr = *rules.back();
    memo.add(idx, plan);
    ctx.memo_stamps.resize(memo.slots(), 0);
    prefilter.add(idx, plan, rr.map, memo);
    rr.gated = opts.index_rules && plan.gated;
    if (dispatcher.add(idx, plan, rr.map, rr.categories, rr.matcher.get()) ==
        runtime::Dispatcher::Selection::kIndex) {
      ++stats.rules_indexed;
      for (const auto& k : rr.gated ? plan.entry.keys : plan.index_keys) {
        const std::string& path = plan.fields[k.slot];
        if (rr.index_fields.find(path) == std::string::npos)
          rr.index_fields += (rr.index_fields.empty() ? "" : ", ") + path;
      }
    }
    if (rr.matcher->stateful()) {
      stateful_rules.push_back(idx);
      rr.matcher->bind_deadline(&deadlines, deadlines.add());
    }
    if (!plan.lineage.empty()) {
      if (lineage.empty()) {
        pid_field = fields.intern(opts.lineage.process_field);
        ppid_field = fields.intern(opts.lineage.parent_field);
        subtype_field = fields.intern(opts.lineage.subtype_field);
        ctx.lineage = &lineage;
      }
      for (std::size_t j = 0; j < plan.lineage.size(); ++j) {
        const auto& sub = plan.lineage[j];
        const std::uint32_t g = lineage.add_subquery(sub.kind);
        if (j == 0) rr.lineage_base = g;
        lineage_owner.push_back(idx);
        lineage_dispatcher.add_filter(g, sub.indexed, sub.keys, rr.map, sub.category,
                                      plan.category_field != opts.event_category_field);
      }
    }
  }

  // Points the evaluation context at rule `i` and event `r`.
  void bind(const Record& r, std::uint32_t i) {
    const RuleRuntime& rr = *rules[i];
    ctx.rec = &r;
    ctx.map = rr.map.data();
    ctx.lineage_base = rr.lineage_base;
    ctx.memo = opts.share_conditions ? memo.table(i) : nullptr;
    ctx.prefilter_ids = prefilter.table(i);
  }

  // Endpoint lineage, before any rule sees the event (the Python reference
  // engine's order): a process event updates the table, then every lineage
  // sub-query the event matches marks its process.
  void update_lineage(const Record& r) {
    auto one = [&](FieldId f, runtime::Key& k) {
      auto v = r.values(f);
      if (v.empty()) return false;
      k.clear();
      runtime::key_add_value(k, v[0]);
      return true;
    };
    const bool has_pid = one(pid_field, pid_key);
    ctx.lineage_pid = has_pid ? &pid_key : nullptr;
    bool process_event = false;
    for (const Value& c : r.values(cat_field))
      if (c.is_string() && c.as_string() == opts.lineage.category) process_event = true;
    if (process_event && has_pid) {
      bool start = false, end = false;
      for (const Value& v : r.values(subtype_field)) {
        std::string number;  // only a non-string value (Endgame's opcode) is written out
        const std::string_view t =
            v.is_string() ? v.as_string() : std::string_view(number = v.to_json());
        auto in = [&](const std::vector<std::string>& set) {
          return std::find(set.begin(), set.end(), t) != set.end();
        };
        start = start || in(opts.lineage.start_values);
        end = end || in(opts.lineage.end_values);
      }
      const bool has_ppid = one(ppid_field, ppid_key);
      lineage.process_event(pid_key, has_ppid ? &ppid_key : nullptr, start, end);
    }
    if (!has_pid) return;
    // The sub-queries the index selects, in the order added (a rule's inner
    // sub-queries before the outer ones that read their marks).
    constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
    std::uint32_t bound = kNone;
    for (std::uint32_t g : lineage_dispatcher.select(r, ctx)) {
      const std::uint32_t i = lineage_owner[g];
      if (i != bound) {
        if (bound != kNone) ctx.scratch.clear();
        bind(r, i);
        bound = i;
      }
      const RuleRuntime& rr = *rules[i];
      if (runtime::eval_pred(*rr.plan.lineage[g - rr.lineage_base].filter, ctx))
        lineage.set_source(pid_key, g);
    }
    ctx.scratch.clear();
  }

  // `readable`: bytes that may be read from line.data() (line.size() or
  // more; the decoder parses in place when 64 more are readable).
  Status push_json(std::string_view line, std::size_t readable = 0) {
    ++stats.events_in;
    if (line.size() > opts.max_line_bytes) {
      ++stats.malformed;
      return Status::error(DiagCode::kLineTooLong, "the line is " + std::to_string(line.size()) +
                                                       " bytes, over the limit of " +
                                                       std::to_string(opts.max_line_bytes));
    }
    Status st = decoder.decode(line, fields, record, readable);
    if (!st) {
      ++stats.malformed;
      return st;
    }
    if (!ingest::set_event_time(record, ts_field, tb_field, opts.timestamp_nanos)) {
      ++stats.malformed;
      return Status::error(DiagCode::kInvalidTimestamp,
                           "missing or invalid timestamp in field '" + opts.timestamp_field + "'");
    }
    reorder.accept(record, line);
    return {};
  }

  std::size_t push_json_lines(std::string_view text,
                              const std::function<void(const LineError&)>& on_error) {
    return ingest::push_json_lines(
        text,
        [&](std::string_view line, std::size_t at) { return push_json(line, text.size() - at); },
        on_error);
  }

  Status push(const Record& r) {
    ++stats.events_in;
    reorder.accept(r, {});
    return {};
  }

  void process(const Record& r, std::string_view raw, std::shared_ptr<const std::string> payload) {
    ++stats.events_processed;
    runtime::EventCtx ev;
    ev.rec = &r;
    ev.raw = raw;
    ev.payload = std::move(payload);
    ev.ts = r.timestamp();
    ev.ordinal = next_ordinal++;
    now = ev.ts;
    // The stateful rules whose deadline has passed, in the engine's order
    // of rules; the others are not visited.
    if (deadlines.any_before(ev.ts)) [[unlikely]] {
      deadlines.take_due(ev.ts, due);
      for (const std::uint32_t k : due) rules[stateful_rules[k]]->matcher->advance(ev.ts);
    }
    ctx.new_event();
    if (!lineage.empty()) update_lineage(r);
    const auto& candidates = dispatcher.select(r, ctx);
    stats.rule_evaluations += candidates.size();
    // Two copies of the run loop: the common one has no trace check at all.
    if (traced_rules == 0) [[likely]] {
      for (std::uint32_t i : candidates) {
        ++rules[i]->stats.evaluations;
        bind(r, i);
        ctx.stages = dispatcher.stages(i);
        rules[i]->matcher->on_event(ev, ctx);
        ctx.scratch.clear();
      }
      return;
    }
    for (std::uint32_t i : candidates) {
      ++rules[i]->stats.evaluations;
      bind(r, i);
      ctx.stages = dispatcher.stages(i);
      rules[i]->run(ev, ctx);
      ctx.scratch.clear();
    }
    for (std::uint32_t i = 0; i < rules.size(); ++i) {
      RuleRuntime& rr = *rules[i];
      if (dispatcher.selected(i) || !rr.tracer.active()) continue;
      // An event of a category no stage reads is not dispatched whatever
      // the index holds: the category is the reason the trace gives.
      if (!rr.reads_category(r.values(cat_field)) || (rr.index_fields.empty() && !rr.gated)) {
        rr.tracer.not_dispatched(
            ev, rr.not_dispatched_note(r.values(cat_field), opts.event_category_field));
        continue;
      }
      // Skipped by the rule index (no stage can match) or, gated, because
      // only stages that act on state it does not hold could: evaluating it
      // changes nothing, and the trace names the condition that rejects
      // each stage, as it would without the index.
      bind(r, i);
      rr.run(ev, ctx);
      ctx.scratch.clear();
    }
  }

  Status trace(std::string_view rule_id, std::function<void(const TraceEntry&)> sink) {
    bool found = false;
    for (auto& rr : rules) {
      if (!rule_id.empty() && rr->stats.rule_id != rule_id && rr->plan.meta.name != rule_id)
        continue;
      rr->tracer.set_sink(sink);
      found = true;
    }
    traced_rules = 0;
    for (auto& rr : rules) traced_rules += rr->tracer.active() ? 1u : 0u;
    if (!found)
      return Status::error(DiagCode::kNoSuchRule,
                           "no rule with id or name '" + std::string(rule_id) + "' was added");
    return {};
  }

  void finish() {
    reorder.drain();
    for (auto& rr : rules) rr->matcher->finish();
    alerts.finish();
    for (auto& rr : rules) rr->alerts.reset();
    reorder.reset();
  }

  /// Snapshot (state/engine_state.cpp, docs/snapshot-format.md): writes
  /// the whole state; load() reads one into this engine, which has its
  /// rules and no state yet.
  void save(state::Writer& w, std::string_view host_data) const;
  Status load(std::string_view bytes, RestoreReport* report);
  /// The rule's fingerprint (computed once): its identity and compiled plan.
  static std::uint64_t fingerprint(const RuleRuntime& rr);

  [[nodiscard]] EngineStats snapshot() const {
    EngineStats s = stats;
    budget.copy_to(s);
    s.rules.reserve(rules.size());
    for (const auto& rr : rules) {
      s.expiry_entries += rr->matcher->expiry_entries();
      RuleStats r = rr->stats;
      r.partials_live = rr->matcher->live_partials();
      s.rules.push_back(std::move(r));
    }
    s.buffered = reorder.buffered();
    s.buffered_bytes = reorder.buffered_bytes();
    s.held_ahead = reorder.held();
    if (opts.share_conditions) {
      s.shared_conditions = memo.slots();
      s.shared_condition_places = memo.shared_places();
    }
    s.lineage_entries = lineage.size();
    s.lineage_evicted = lineage.evicted();
    return s;
  }

  EngineOptions opts;
  compiler::FieldTable fields;
  FieldId ts_field, tb_field, cat_field;
  EngineStats stats;  // the counters kept here; snapshot() adds the rooms' own
  runtime::StateBudget budget;
  runtime::AlertQueue alerts;
  runtime::ReorderBuffer reorder;
  runtime::Dispatcher dispatcher;
  runtime::LeafMemo memo;            // conditions shared by rules (EngineOptions::share_conditions)
  runtime::LeafPrefilter prefilter;  // wildcard conditions' literals (the same option)
  std::vector<std::unique_ptr<RuleRuntime>> rules;
  std::vector<std::uint32_t> stateful_rules;  // sequences and samples (the rules with expiry)
  runtime::DeadlineIndex deadlines;           // their next deadlines (Matcher::bind_deadline)
  std::vector<std::uint32_t> due;             // of them, the ones an event's time has passed
  std::size_t traced_rules = 0;
  ingest::JsonDecoder decoder;
  Record record;
  runtime::EvalCtx ctx;
  // Endpoint lineage (EngineOptions::lineage): the table, the sub-queries'
  // dispatcher and owning rules (by global sub-query number), and the fields
  // it reads (interned with the first rule that has a sub-query).
  runtime::LineageTable lineage{opts.lineage.max_entries};
  runtime::Dispatcher lineage_dispatcher;
  std::vector<std::uint32_t> lineage_owner;
  FieldId pid_field = compiler::FieldTable::kNone, ppid_field = compiler::FieldTable::kNone,
          subtype_field = compiler::FieldTable::kNone;
  runtime::Key pid_key, ppid_key;
  std::uint64_t next_ordinal = 0;
  std::int64_t now = 0;  // event time of the event being processed
};

}  // namespace eqlpp::detail
