// SPDX-License-Identifier: Apache-2.0
#include "eqlpp/harness.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

namespace eqlpp {

// ---- EventBuilder ---------------------------------------------------------------

EventBuilder& EventBuilder::set(std::string_view path, std::string_view value) {
  return set_json(path, Value(value).to_json());
}

EventBuilder& EventBuilder::set(std::string_view path,
                                std::initializer_list<std::string_view> values) {
  std::string json = "[";
  for (auto v : values) {
    if (json.size() > 1) json += ',';
    json += Value(v).to_json();
  }
  return set_json(path, json + "]");
}

EventBuilder& EventBuilder::set_json(std::string_view path, std::string json) {
  for (auto& f : fields_) {
    if (f.first == path) {
      f.second = std::move(json);
      return *this;
    }
  }
  fields_.emplace_back(std::string(path), std::move(json));
  return *this;
}

bool EventBuilder::has(std::string_view path) const {
  return std::any_of(fields_.begin(), fields_.end(),
                     [&](const auto& f) { return f.first == path; });
}

namespace {

struct Node {
  std::string key;
  std::string leaf;  // JSON text when a leaf
  std::vector<Node> kids;
  bool is_leaf = false;
};

void insert(Node& root, std::string_view path, const std::string& json) {
  Node* n = &root;
  // `@timestamp` and other keys without dots are top level; a dot nests.
  while (true) {
    auto dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    auto it =
        std::find_if(n->kids.begin(), n->kids.end(), [&](const Node& k) { return k.key == part; });
    if (it == n->kids.end()) {
      n->kids.push_back(Node{std::string(part), {}, {}, false});
      it = n->kids.end() - 1;
    }
    if (dot == std::string_view::npos) {
      it->is_leaf = true;
      it->leaf = json;
      it->kids.clear();
      return;
    }
    if (it->is_leaf) {  // an object replaces a value set earlier on the prefix
      it->is_leaf = false;
      it->leaf.clear();
    }
    n = &*it;
    path.remove_prefix(dot + 1);
  }
}

void write(const Node& n, std::string& out) {
  if (n.is_leaf) {
    out += n.leaf;
    return;
  }
  out += '{';
  for (std::size_t i = 0; i < n.kids.size(); ++i) {
    if (i) out += ',';
    out += Value(std::string_view(n.kids[i].key)).to_json();
    out += ':';
    write(n.kids[i], out);
  }
  out += '}';
}

}  // namespace

std::string EventBuilder::to_json() const {
  Node root;
  for (const auto& [path, json] : fields_) insert(root, path, json);
  std::string out;
  write(root, out);
  return out;
}

// ---- RuleHarness ------------------------------------------------------------------

namespace {
std::string list_text(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out + "]";
}
}  // namespace

std::string HarnessAlert::to_string() const {
  return "rule " + rule_id + " with events " + list_text(event_ids) + ", join keys " +
         list_text(join_keys);
}

struct RuleHarness::State {
  explicit State(EngineOptions o) : engine(std::move(o)) {}
  Engine engine;
  std::vector<Rule> rules;
  std::vector<HarnessAlert> alerts;
  std::vector<TraceEntry> trace;
  std::unordered_map<std::string, std::size_t> position;  // event text -> first 1-based position
  std::size_t pushed = 0;
  bool dirty = false;
  std::int64_t last_ts = 1'704'067'200'000;  // 2024-01-01T00:00:00Z in ms, minus 1 step below
  bool any_ts = false;

  std::string id_of(const AlertEvent& e) const {
    if (e.missing || !e.payload) return "missing";
    return id_of_text(*e.payload);
  }
  std::string id_of_text(const std::string& text) const {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object()) {
      const nlohmann::json* id = nullptr;
      if (auto ev = j.find("event"); ev != j.end() && ev->is_object()) {
        if (auto it = ev->find("id"); it != ev->end()) id = &*it;
      }
      if (!id) {
        if (auto it = j.find("event.id"); it != j.end()) id = &*it;
      }
      if (id && id->is_string()) return id->get<std::string>();
      if (id && id->is_number()) return id->dump();
    }
    auto it = position.find(text);
    return it == position.end() ? std::string("?") : std::to_string(it->second);
  }

  // Ends the stream if events came since it last ended.
  void finish() {
    if (!dirty) return;
    dirty = false;
    engine.finish();
  }

  void on_alert(const Alert& a) {
    HarnessAlert h{a, {}, {}, {}};
    const auto& m = a.rule.metadata();
    h.rule_id = m.id.empty() ? m.name : m.id;
    for (const auto& e : a.events)
      if (!e.missing) h.event_ids.push_back(id_of(e));
    for (const auto& k : a.join_keys())
      h.join_keys.push_back(k.is_string() ? std::string(k.as_string()) : k.to_json());
    alerts.push_back(std::move(h));
  }
};

EngineOptions RuleHarness::sorted_options() {
  EngineOptions o;
  o.batch = true;
  return o;
}

RuleHarness::RuleHarness(std::vector<Rule> rules, EngineOptions options)
    : s_(std::make_unique<State>(std::move(options))) {
  State* s = s_.get();
  s->rules = std::move(rules);
  for (const auto& r : s->rules) s->engine.add_rule(r);
  s->engine.on_alert([s](const Alert& a) { s->on_alert(a); });
  if (!s->rules.empty())
    (void)s->engine.trace("", [s](const TraceEntry& t) { s->trace.push_back(t); });
}

RuleHarness::RuleHarness(RuleHarness&&) noexcept = default;
RuleHarness& RuleHarness::operator=(RuleHarness&&) noexcept = default;
RuleHarness::~RuleHarness() = default;

namespace {
Result<RuleHarness> harness_of(LoadedRules loaded, const std::string& name, EngineOptions options) {
  if (loaded.diagnostics.has_errors()) return loaded.diagnostics;
  if (loaded.rules.empty()) {
    Diagnostic d;
    d.code = DiagCode::kNoRules;
    d.message = "no rule found in '" + name + "'";
    return Diagnostics(std::move(d));
  }
  return RuleHarness(std::move(loaded.rules), std::move(options));
}
}  // namespace

Result<RuleHarness> RuleHarness::from_file(const std::string& path, EngineOptions options) {
  return harness_of(load_rules(path), path, std::move(options));
}

Result<RuleHarness> RuleHarness::from_text(std::string_view text, const std::string& name,
                                           EngineOptions options) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() &&
           name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends(".toml") || ends(".ndjson") || ends(".jsonl"))
    return harness_of(load_rules_from_text(name, std::string(text)), name, std::move(options));
  RuleMetadata meta;
  meta.name = name;
  auto r = compile(text, meta, CompileOptions{}, name);
  if (!r) return r.error();
  return RuleHarness(std::vector<Rule>{std::move(r.value())}, std::move(options));
}

Status RuleHarness::push(std::string_view json) {
  State& s = *s_;
  ++s.pushed;
  s.position.try_emplace(std::string(json), s.pushed);
  s.dirty = true;
  Status st = s.engine.push_json(json);
  if (st) {
    // Remember the time so that built events without one follow this one.
    auto j = nlohmann::json::parse(json, nullptr, false);
    const std::string& tf = s.engine.options().timestamp_field;
    if (j.is_object()) {
      auto it = j.find(tf);
      Result<std::int64_t> ns = it != j.end() && it->is_string()
                                    ? parse_timestamp(it->get<std::string>())
                                    : Result<std::int64_t>(Diagnostics());
      if (ns) {
        s.last_ts = *ns / 1'000'000;
        s.any_ts = true;
      } else if (it != j.end() && it->is_number()) {
        s.last_ts = it->get<std::int64_t>();
        s.any_ts = true;
      }
    }
  }
  return st;
}

Status RuleHarness::push(const EventBuilder& event) {
  State& s = *s_;
  const std::string& tf = s.engine.options().timestamp_field;
  if (event.has(tf)) return push(event.to_json());
  EventBuilder e = event;
  std::int64_t ms = s.any_ts ? s.last_ts + 1 : s.last_ts;
  e.set(tf, format_timestamp(ms * 1'000'000));
  return push(e.to_json());
}

Status RuleHarness::push_lines(std::string_view text) {
  Status first;
  std::size_t line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Status st = push(line);
    if (!st && first)
      first = Status::error(st.code(), "line " + std::to_string(line_no) + ": " + st.message());
  }
  return first;
}

void RuleHarness::finish() { s_->finish(); }

const std::vector<HarnessAlert>& RuleHarness::alerts() const {
  s_->finish();
  return s_->alerts;
}

std::string RuleHarness::event_id(const AlertEvent& event) const { return s_->id_of(event); }

const std::vector<TraceEntry>& RuleHarness::trace() const { return s_->trace; }

std::string RuleHarness::trace_text(const std::vector<std::string>& event_ids) const {
  std::unordered_set<std::string> want(event_ids.begin(), event_ids.end());
  std::string out;
  for (const auto& t : s_->trace) {
    bool of_event =
        t.kind == TraceEntry::Kind::kEvent || t.kind == TraceEntry::Kind::kNotDispatched;
    if (!want.empty() && of_event && !(t.payload && want.count(s_->id_of_text(*t.payload))))
      continue;
    std::string text = t.to_string();
    if (of_event && t.payload) {
      // Name the event by its id on the first line.
      auto nl = text.find('\n');
      std::string head = text.substr(0, nl);
      auto pos = head.find(" rule ");
      if (pos != std::string::npos) text.insert(pos, " event " + s_->id_of_text(*t.payload));
    }
    out += text;
  }
  return out;
}

std::string RuleHarness::describe() const {
  const auto& as = alerts();
  std::string out = std::to_string(as.size()) + " alert(s)";
  out += as.empty() ? "\n" : ":\n";
  for (const auto& a : as) out += "  " + a.to_string() + "\n";
  out += "trace:\n" + trace_text();
  return out;
}

std::size_t RuleHarness::events_pushed() const noexcept { return s_->pushed; }

Engine& RuleHarness::engine() { return s_->engine; }

}  // namespace eqlpp
