// SPDX-License-Identifier: Apache-2.0
#include "eqlpp/alert.hpp"

#include "compile/plan.hpp"
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

std::string Alert::to_query_json() const {
  std::string out = "{\"join_keys\":";
  append_keys(out, join_keys);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out += ',';
    append_event(out, events[i]);
  }
  return out + "]}";
}

std::string Alert::to_json() const {
  const RuleMetadata& m = rule.metadata();
  std::string out = "{\"@timestamp\":" + detail::json_quote(format_timestamp(last_timestamp));
  out += ",\"event\":{\"kind\":\"alert\",\"severity\":" + std::to_string(m.risk_score) +
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
  const auto& shared = rule.impl()->shared_key_fields;
  if (!join_keys.empty() && !shared.empty() && shared.front() == "host.id")
    out += ",\"host\":{\"id\":" + join_keys[0].to_json() + "}";
  out += ",\"eql\":{\"join_keys\":";
  append_keys(out, join_keys);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out += ',';
    append_event(out, events[i]);
  }
  out += "]}}";
  return out;
}

}  // namespace eqlpp
