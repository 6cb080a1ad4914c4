// SPDX-License-Identifier: Apache-2.0
// The engine's snapshot (docs/snapshot-format.md): what each room writes, in
// which order, and the restore that reads it into a fresh engine built with
// the same rules, so that a failure leaves the engine as it was.
//
// Body, after the field and payload tables (state/snapshot_io.hpp):
//   the host's data, mode and counters, ordinal and event time
//   the reorder buffer
//   the rules, each a section: fingerprint, id, live partials, lineage
//     sub-queries, statistics, alert sink, the matcher's state
//   the budget's counters
//   the lineage table
//   alerts kept for finish() (batch mode)
#include <istream>
#include <iterator>
#include <ostream>
#include <unordered_map>

#include "runtime/engine_impl.hpp"
#include "state/snapshot_io.hpp"
#include "util/hash.hpp"

namespace eqlpp::detail {

std::uint64_t EngineImpl::fingerprint(const RuleRuntime& rr) {
  if (rr.fingerprint == 0) {
    const RuleMetadata& m = rr.rule.metadata();
    std::string in = m.id;
    in += '\0';
    in += m.name;
    in += '\0';
    in += rr.rule.canonical_query();
    in += '\0';
    in += rr.rule.explain();
    rr.fingerprint = util::hash64(in) | 1;  // never 0
  }
  return rr.fingerprint;
}

void EngineImpl::save(state::Writer& w, std::string_view host_data) const {
  w.str(host_data);
  w.boolean(opts.batch);
  for (std::uint64_t c : {stats.events_in, stats.events_processed, stats.malformed, stats.late,
                          stats.ahead, stats.alerts, stats.alerts_suppressed,
                          stats.key_combinations_dropped, stats.released_early})
    w.uvar(c);
  w.uvar(next_ordinal);
  w.svar(now);
  reorder.save(w);
  w.uvar(rules.size());
  for (const auto& rr : rules) {
    const std::size_t at = w.begin_section();
    w.uvar(fingerprint(*rr));
    w.str(rr->stats.rule_id);
    w.uvar(rr->matcher->live_partials());
    w.uvar(rr->lineage_base);
    w.uvar(rr->plan.lineage.size());
    w.uvar(rr->stats.matches);
    w.uvar(rr->stats.alerts);
    w.uvar(rr->stats.alerts_suppressed);
    rr->alerts.save(w);
    w.boolean(rr->matcher->stateful());
    rr->matcher->save(w);
    w.end_section(at);
  }
  budget.save(w);
  lineage.save(w);
  std::unordered_map<const runtime::AlertSink*, std::uint64_t> sink_index;
  for (std::size_t i = 0; i < rules.size(); ++i) sink_index[&rules[i]->alerts] = i;
  alerts.save(w, [&](const runtime::AlertSink* s) { return sink_index.at(s); });
}

Status EngineImpl::load(std::string_view bytes, RestoreReport* report) {
  state::Reader r(bytes, fields);
  auto invalid = [&] {
    return Status::error(DiagCode::kInvalidSnapshot, "invalid snapshot: " + r.error());
  };
  if (!r.ok()) return invalid();
  const std::string host_data(r.str());
  if (r.boolean() != opts.batch)
    return Status::error(
        DiagCode::kInvalidSnapshot,
        std::string("invalid snapshot: it was taken in ") + (opts.batch ? "streaming" : "batch") +
            " mode, and this engine is in " + (opts.batch ? "batch" : "streaming") + " mode");
  for (std::uint64_t* c : {&stats.events_in, &stats.events_processed, &stats.malformed, &stats.late,
                           &stats.ahead, &stats.alerts, &stats.alerts_suppressed,
                           &stats.key_combinations_dropped, &stats.released_early})
    *c = r.uvar();
  next_ordinal = r.uvar();
  now = r.svar();
  if (!reorder.load(r)) return invalid();

  // Rules: each snapshot rule goes to the first rule here with its
  // fingerprint that has not taken one yet.
  std::unordered_multimap<std::uint64_t, std::size_t> by_fp;
  for (std::size_t i = 0; i < rules.size(); ++i) by_fp.emplace(fingerprint(*rules[i]), i);
  std::vector<bool> taken(rules.size(), false);
  RestoreReport rep;
  const std::size_t nrules = r.count(8);
  std::vector<std::int64_t> target(nrules, -1);  // snapshot rule -> rule here
  std::vector<std::int64_t> remap;               // snapshot lineage sub-query -> here
  std::uint64_t dropped_live = 0;
  for (std::size_t i = 0; i < nrules && r.ok(); ++i) {
    const std::size_t end = r.begin_section();
    const std::uint64_t fp = r.uvar();
    const std::string id(r.str());
    const std::uint64_t live = r.uvar();
    const std::uint64_t lbase = r.uvar();
    const std::size_t lcount = r.count(0);
    if (!r.ok()) break;
    if (lcount > 0 && lbase != remap.size())
      return r.fail("the lineage sub-queries are out of order"), invalid();
    std::int64_t j = -1;
    auto [lo, hi] = by_fp.equal_range(fp);
    for (auto it = lo; it != hi && j < 0; ++it)
      if (!taken[it->second] && rules[it->second]->stats.rule_id == id)
        j = static_cast<std::int64_t>(it->second);
    for (std::size_t k = 0; k < lcount; ++k)
      remap.push_back(
          j < 0 ? -1
                : static_cast<std::int64_t>(rules[static_cast<std::size_t>(j)]->lineage_base + k));
    if (j < 0) {
      ++rep.rules_dropped;
      rep.partials_dropped += live;
      rep.dropped_rules.push_back(id);
      dropped_live += live;
      r.seek(end);
      continue;
    }
    RuleRuntime& rr = *rules[static_cast<std::size_t>(j)];
    if (lcount != rr.plan.lineage.size())
      return r.fail("a rule's lineage does not fit it"), invalid();
    taken[static_cast<std::size_t>(j)] = true;
    target[i] = j;
    rr.stats.matches = r.uvar();
    rr.stats.alerts = r.uvar();
    rr.stats.alerts_suppressed = r.uvar();
    rr.alerts.load(r);
    if (r.boolean() != rr.matcher->stateful()) return r.fail("a rule's kind changed"), invalid();
    if (!rr.matcher->load(r) || !r.end_section(end)) return invalid();
    if (rr.matcher->live_partials() != live)
      return r.fail("a rule's partial count is wrong"), invalid();
    ++rep.rules_restored;
    rep.partials_restored += live;
  }
  if (!r.ok()) return invalid();
  rep.rules_new = rules.size() - rep.rules_restored;

  std::size_t held = 0;
  std::uint64_t live_now = 0;
  for (const auto& rr : rules) {
    held += rr->matcher->state_bytes();
    live_now += rr->matcher->live_partials();
  }
  budget.load(r, held, live_now, dropped_live);
  if (!r.ok()) return invalid();
  if (lineage.empty()) {
    runtime::LineageTable discard{1};
    if (!discard.load(r, remap)) return invalid();
  } else if (!lineage.load(r, remap)) {
    return invalid();
  }
  if (!alerts.load(r, [&](std::uint64_t i) -> runtime::AlertSink* {
        if (i >= target.size()) {
          r.fail("a kept alert names no rule");
          return nullptr;
        }
        return target[i] < 0 ? nullptr : &rules[static_cast<std::size_t>(target[i])]->alerts;
      }))
    return invalid();
  if (!r.at_end()) return r.fail("trailing state after the last section"), invalid();
  rep.host_data = host_data;
  if (report) *report = std::move(rep);
  return {};
}

}  // namespace eqlpp::detail

namespace eqlpp {

std::string Engine::snapshot(std::string_view host_data) const {
  state::Writer w(impl_->fields);
  impl_->save(w, host_data);
  return w.finish();
}

Status Engine::snapshot(std::ostream& out, std::string_view host_data) const {
  const std::string bytes = snapshot(host_data);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return Status::error(DiagCode::kCannotRead, "could not write the snapshot");
  return {};
}

Status Engine::restore(std::string_view snapshot, RestoreReport* report) {
  // A fresh engine with this one's fields (hosts' FieldIds stay valid),
  // rules, callbacks and traces; it replaces this one only when the whole
  // snapshot reads.
  auto fresh = std::make_unique<detail::EngineImpl>(impl_->opts);
  for (FieldId f = 0; f < impl_->fields.size(); ++f) fresh->fields.intern(impl_->fields.name(f));
  for (const auto& rr : impl_->rules) fresh->add_rule(rr->rule);
  if (Status st = fresh->load(snapshot, report); !st) return st;
  fresh->alerts.on_alert = std::move(impl_->alerts.on_alert);
  fresh->reorder.on_late = std::move(impl_->reorder.on_late);
  for (std::size_t i = 0; i < impl_->rules.size(); ++i)
    if (impl_->rules[i]->tracer.active())
      fresh->rules[i]->tracer.set_sink(impl_->rules[i]->tracer.sink());
  fresh->traced_rules = impl_->traced_rules;
  impl_ = std::move(fresh);
  return {};
}

Status Engine::restore(std::istream& in, RestoreReport* report) {
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return Status::error(DiagCode::kCannotRead, "could not read the snapshot");
  return restore(bytes, report);
}

}  // namespace eqlpp
