// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/harness.hpp
//
// Run rules over a handful of events and look at what they did: the engine
// of rule unit tests (`eqlpp test`, and eqlpp/testing.hpp's GoogleTest
// matchers, which build on this header). No test framework is needed here.
// Part of the library target eqlpp::testing, not of eqlpp::eqlpp:
//
//   find_package(eqlpp CONFIG REQUIRED COMPONENTS testing)
//   target_link_libraries(rule_tests PRIVATE eqlpp::testing)
//
//   auto h = eqlpp::RuleHarness::from_file("rules/my_rule.toml");
//   h->push(eqlpp::EventBuilder()
//               .set("event.category", "process").set("event.type", "end")
//               .set("host.id", "h1").set("process.executable", "C:\\x.exe"));
//   h->push(R"({"@timestamp":"2024-01-01T00:00:01Z","event":{"category":"file"}})");
//   for (const auto& a : h->alerts()) ...     // a.event_ids, a.join_keys
//   std::cerr << h->trace_text();             // why (or why not)
//
// Events are identified by their ECS `event.id` when they have one, else by
// their 1-based position among the events pushed ("1", "2", ...).
// By default the harness sorts events by time before evaluating them, as
// Elasticsearch does, so a test may list them in any order; alerts are
// available after finish(), which alerts() calls when needed.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "eqlpp/alert.hpp"
#include "eqlpp/engine.hpp"
#include "eqlpp/event.hpp"
#include "eqlpp/export.hpp"
#include "eqlpp/options.hpp"
#include "eqlpp/result.hpp"
#include "eqlpp/rule.hpp"
#include "eqlpp/trace.hpp"

namespace eqlpp {

/// Builds one event as JSON from ECS fields set by dotted path; nested
/// objects are made as needed ("process.parent.name" -> {"process":{"parent":
/// {"name":...}}}). Setting a path again replaces its value.
class EQLPP_EXPORT EventBuilder {
 public:
  EventBuilder& set(std::string_view path, std::string_view value);
  EventBuilder& set(std::string_view path, const char* value) {
    return set(path, std::string_view(value));
  }
  EventBuilder& set(std::string_view path, const std::string& value) {
    return set(path, std::string_view(value));
  }
  template <class T>
  requires std::is_arithmetic_v<T> EventBuilder& set(std::string_view path, T value) {
    if constexpr (std::is_same_v<T, bool>)
      return set_json(path, value ? "true" : "false");
    else if constexpr (std::is_integral_v<T>)
      return set_json(path, std::to_string(value));
    else
      return set_json(path, Value(static_cast<double>(value)).to_json());
  }
  EventBuilder& set(std::string_view path, std::nullptr_t) { return set_json(path, "null"); }
  /// An array of strings (ECS `event.type`, `event.category` are arrays).
  EventBuilder& set(std::string_view path, std::initializer_list<std::string_view> values);
  /// The same for literals: `set("event.type", {"end"})` is an array of one
  /// (without this overload the braces would pick the single-string form).
  EventBuilder& set(std::string_view path, std::initializer_list<const char*> values) {
    std::string json = "[";
    for (const char* v : values) json += (json.size() > 1 ? "," : "") + Value(v).to_json();
    return set_json(path, json + "]");
  }
  /// A value given as JSON text, e.g. set_json("dns.answers", R"([{"data":"1.2.3.4"}])").
  EventBuilder& set_json(std::string_view path, std::string json);
  /// Sets `@timestamp` (ISO-8601 text or epoch milliseconds as text).
  EventBuilder& at(std::string_view timestamp) { return set("@timestamp", timestamp); }
  [[nodiscard]] bool has(std::string_view path) const;
  [[nodiscard]] std::string to_json() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // path, JSON value
};

/// An alert the harness caught, with its events named by id.
struct HarnessAlert {
  Alert alert;
  std::string rule_id;  ///< the rule's id (its name when it has none)
  std::vector<std::string>
      event_ids;  ///< the events of the alert in stage order (missing-event stages skipped)
  std::vector<std::string> join_keys;  ///< as text: strings bare, other values as JSON

  /// "rule ID with events [a, b], join keys [k]".
  [[nodiscard]] EQLPP_EXPORT std::string to_string() const;
};

/// Runs rules over events given one by one and keeps their alerts and trace.
/// Movable; not copyable. Every rule is traced (eqlpp/trace.hpp).
class EQLPP_EXPORT RuleHarness {
 public:
  /// The harness default: batch evaluation (EngineOptions::batch), the
  /// results of Elasticsearch in its order, after `head` and `tail`.
  static EngineOptions sorted_options();

  explicit RuleHarness(std::vector<Rule> rules, EngineOptions options = sorted_options());
  /// Loads the rules of a file or directory (TOML, NDJSON/JSONL, .eql); fails
  /// with the diagnostics when any rule does not compile or none is found.
  static Result<RuleHarness> from_file(const std::string& path,
                                       EngineOptions options = sorted_options());
  /// Compiles rule text: a bare EQL query, or a rule file's content when
  /// `name` ends in .toml, .ndjson or .jsonl.
  static Result<RuleHarness> from_text(std::string_view text, const std::string& name = "<query>",
                                       EngineOptions options = sorted_options());

  RuleHarness(RuleHarness&&) noexcept;
  RuleHarness& operator=(RuleHarness&&) noexcept;
  ~RuleHarness();

  /// Pushes one event (a JSON object). Errors are returned and the event is skipped.
  Status push(std::string_view json);
  /// Pushes a built event; without `@timestamp` it gets one 1 ms after the
  /// previous event (the first at 2024-01-01T00:00:00Z).
  Status push(const EventBuilder& event);
  /// Pushes JSON lines (blank lines are skipped). Returns the first error,
  /// naming its line; the other lines are still pushed.
  Status push_lines(std::string_view text);
  /// Ends the stream: drains sorting and expires sequence state (trailing
  /// missing-event stages complete). Pushing after it starts a new stream.
  void finish();

  /// The alerts so far, in the order they were raised (finishes the stream first).
  [[nodiscard]] const std::vector<HarnessAlert>& alerts() const;
  /// The id of an event of an alert: its `event.id`, else its position ("3").
  [[nodiscard]] std::string event_id(const AlertEvent& event) const;
  /// Every trace entry so far.
  [[nodiscard]] const std::vector<TraceEntry>& trace() const;
  /// The trace as text; with `event_ids`, only the entries of those events
  /// (plus expiry and eviction entries, which belong to no one event).
  [[nodiscard]] std::string trace_text(const std::vector<std::string>& event_ids = {}) const;
  /// Alerts, then the whole trace: what a failed test should print.
  [[nodiscard]] std::string describe() const;
  /// Number of events pushed (including rejected ones).
  [[nodiscard]] std::size_t events_pushed() const noexcept;
  [[nodiscard]] Engine& engine();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// One case of a rule test file, run.
struct RuleTestOutcome {
  std::string test_file;  ///< the rules/tests/<rule file name>.toml it came from
  std::string rule_file;
  std::string name;  ///< the case's name
  bool passed = false;
  /// Why it failed: each missing alert with the trace of its events (the
  /// stage and condition that rejected each), each unexpected alert.
  std::string message;
};

struct RuleTestReport {
  std::vector<RuleTestOutcome> cases;
  Diagnostics diagnostics;  ///< test or rule files that could not be read or compiled
  std::size_t passed = 0, failed = 0;
};

/// Runs rule test files (`eqlpp test`). Each path is a rule file (its tests
/// are `tests/<file name without extension>.toml` beside it), a test file, or
/// a directory searched recursively for test files in `tests/` folders. A
/// test file holds `[[case]]` tables: `name`, `events` (JSON lines) or
/// `events_file` (a path relative to the test file), and `alerts`, a list of
/// expected alerts, each the list of its event ids in stage order (`[]` for
/// none); optionally `rule` (a rule id) to check only that rule's alerts,
/// and `trace_contains`, texts the trace must contain (to pin down why an
/// event is rejected, e.g. "`event.type == \"deletion\"` (query 14:46) is false"). A
/// top-level `rule_file` names the rule file when it is not the default.
EQLPP_EXPORT RuleTestReport run_rule_tests(const std::vector<std::string>& paths);

}  // namespace eqlpp
