// SPDX-License-Identifier: Apache-2.0
#include "eqlpp/alert.hpp"

#include "compile/plan.hpp"
#include "runtime/alert_sink.hpp"
#include "runtime/sequence_state.hpp"
#include "util/hash.hpp"
#include "util/json_text.hpp"

namespace eqlpp {
namespace {

void append_event(std::string& out, const AlertEvent& e) {
  if (e.missing)
    out += "null";
  else if (e.payload && !e.payload->empty())
    out += *e.payload;
  else
    out += "{}";
}

void append_keys(std::string& out, const std::vector<Value>& keys) {
  out += '[';
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ',';
    out += keys[i].to_json();
  }
  out += ']';
}

std::string ref_json(const ThreatEntry::Ref& r) {
  return "{\"id\":" + detail::json_quote(r.id) + ",\"name\":" + detail::json_quote(r.name) +
         ",\"reference\":" + detail::json_quote(r.reference) + "}";
}

}  // namespace

Alert::Alert(Rule r, std::span<const Value> join_keys, std::vector<AlertEvent> evs)
    : rule(std::move(r)), events(std::move(evs)) {
  set_times();
  for (const Value& v : join_keys) runtime::key_add_value(keys_, v);
}

void Alert::set_times() noexcept {
  first_timestamp = last_timestamp = 0;
  bool seen = false;
  for (const auto& e : events) {
    if (e.missing) continue;
    if (!seen || e.timestamp < first_timestamp) first_timestamp = e.timestamp;
    if (!seen || e.timestamp > last_timestamp) last_timestamp = e.timestamp;
    seen = true;
  }
}

namespace detail {

void AlertAccess::refill(Alert& a, const Rule& rule, std::string_view key) {
  if (RuleAccess::plan(a.rule) != RuleAccess::plan(rule)) a.rule = rule;
  a.keys_.assign(key);
  a.set_times();
}

}  // namespace detail

std::vector<Value> Alert::join_keys() const { return runtime::key_values(keys_); }

std::string Alert::to_query_json() const {
  std::string out = "{\"join_keys\":";
  append_keys(out, join_keys());
  out += ",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out += ',';
    append_event(out, events[i]);
  }
  return out + "]}";
}

std::string Alert::id() const {
  const RuleMetadata& m = rule.metadata();
  std::string in = m.id.empty() ? m.name : m.id;
  auto add64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) in += static_cast<char>((v >> (8 * i)) & 0xffu);
  };
  in += '\0';
  add64(keys_.size());
  in += keys_;
  for (const auto& e : events) {
    in += e.missing ? 'm' : e.payload ? 'p' : 'o';
    if (e.missing) continue;
    add64(static_cast<std::uint64_t>(e.timestamp));
    add64(e.payload ? util::hash64(*e.payload) : e.ordinal);
  }
  return util::hash128_hex(in);
}

std::string Alert::to_json() const {
  const RuleMetadata& m = rule.metadata();
  std::string out = "{\"@timestamp\":" + detail::json_quote(format_timestamp(last_timestamp));
  out += ",\"event\":{\"kind\":\"alert\",\"id\":\"" + id() +
         "\",\"severity\":" + std::to_string(m.risk_score) +
         ",\"risk_score\":" + std::to_string(m.risk_score) + "}";
  out +=
      ",\"rule\":{\"id\":" + detail::json_quote(m.id) + ",\"name\":" + detail::json_quote(m.name) +
      ",\"severity\":" + detail::json_quote(m.severity) +
      ",\"risk_score\":" + std::to_string(m.risk_score) +
      ",\"version\":" + (m.version.empty() ? std::string("null") : detail::json_quote(m.version)) +
      "}";
  out += ",\"threat\":[";
  for (std::size_t i = 0; i < m.threat.size(); ++i) {
    const auto& t = m.threat[i];
    if (i) out += ',';
    out += "{\"framework\":" + detail::json_quote(t.framework) +
           ",\"tactic\":" + ref_json(t.tactic) + ",\"technique\":[";
    for (std::size_t j = 0; j < t.techniques.size(); ++j) {
      const auto& tech = t.techniques[j];
      if (j) out += ',';
      std::string r = ref_json(tech.ref);
      r.pop_back();
      out += r + ",\"subtechnique\":[";
      for (std::size_t k = 0; k < tech.subtechniques.size(); ++k) {
        if (k) out += ',';
        out += ref_json(tech.subtechniques[k]);
      }
      out += "]}";
    }
    out += "]}";
  }
  out += "]";
  // host.id: the first join key when the sequence or sample is joined on host.id.
  const auto& shared = detail::RuleAccess::plan(rule)->shared_key_fields;
  const std::vector<Value> keys = join_keys();
  if (!keys.empty() && !shared.empty() && shared.front() == "host.id")
    out += ",\"host\":{\"id\":" + keys[0].to_json() + "}";
  out += ",\"eql\":{\"join_keys\":";
  append_keys(out, keys);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out += ',';
    append_event(out, events[i]);
  }
  out += "]}}";
  return out;
}

}  // namespace eqlpp
