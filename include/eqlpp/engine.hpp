// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/engine.hpp
//
// The Engine runs rules over a stream of events and calls back with alerts.
//
//   eqlpp::Engine engine{{.reorder_window = std::chrono::seconds(2)}};
//   engine.add_rule(rule);
//   engine.on_alert([](const eqlpp::Alert& a) { std::cout << a.to_json() << '\n'; });
//   for (std::string line; std::getline(std::cin, line);)
//     if (auto st = engine.push_json(line); !st) std::cerr << st.message() << '\n';
//   engine.finish();
//
// An Engine is single-threaded: call it from one thread at a time. Rules are
// shared safely between engines; run one engine per shard of the stream
// (shard on the sequences' `by` key) to use several cores, as
// eqlpp::ShardedEngine (eqlpp/sharded.hpp) does. Only event time is
// used, never the wall clock, so a replayed stream gives the same alerts.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/alert.hpp"
#include "eqlpp/event.hpp"
#include "eqlpp/export.hpp"
#include "eqlpp/options.hpp"
#include "eqlpp/result.hpp"
#include "eqlpp/rule.hpp"
#include "eqlpp/trace.hpp"

namespace eqlpp {

namespace detail {
class EngineImpl;
}

struct RuleStats {
  std::string rule_id;
  /// Events the rule's query took: an event query's matches; for a
  /// sequence, events that matched its first stage, or a later stage with a
  /// partial of their join key waiting for it; for a sample, events a
  /// filter took.
  std::uint64_t matches = 0;
  std::uint64_t alerts = 0;
  std::uint64_t alerts_suppressed = 0;  ///< over max_alerts_per_second, or cut by `head`/`tail`
  std::uint64_t partials_live = 0;
  /// Events the rule was evaluated on: those the rule index (or the
  /// category dispatch) could not rule out.
  std::uint64_t evaluations = 0;
};

struct EngineStats {
  std::uint64_t events_in = 0;         ///< events pushed (good or bad)
  std::uint64_t events_processed = 0;  ///< events evaluated
  std::uint64_t malformed = 0;         ///< rejected by push_json (bad JSON, no timestamp)
  std::uint64_t late = 0;              ///< older than what the reorder window released
  std::uint64_t ahead = 0;             ///< set aside: too far ahead of event time (max_time_ahead)
  std::uint64_t held_ahead = 0;        ///< now held, waiting to confirm a jump of event time
  std::uint64_t alerts = 0;
  std::uint64_t alerts_suppressed = 0;
  /// Partials: a sequence that matched its first positive stage (it stays
  /// live through a trailing missing-event window), or a sample whose first
  /// filter took an event. At every point, finish() included:
  /// partials_created == partials_completed + partials_expired + partials_evicted + partials_live.
  std::uint64_t partials_created = 0;
  std::uint64_t partials_live = 0;
  std::uint64_t partials_completed = 0;  ///< matched every positive stage (alerted or suppressed)
  /// Ended without completing: maxspan passed, ended by `until` or a
  /// missing event, replaced by a newer partial of the same key and stage
  /// (only the newest can complete), or still waiting when the stream ended.
  std::uint64_t partials_expired = 0;
  std::uint64_t partials_evicted = 0;  ///< dropped by a memory limit
  std::uint64_t keys_evicted = 0;
  std::uint64_t key_combinations_dropped = 0;  ///< over max_join_key_combinations
  std::uint64_t state_bytes = 0;  ///< estimated bytes of sequence state now (each held event once)
  std::uint64_t peak_state_bytes = 0;
  std::uint64_t expiry_entries = 0;  ///< entries in the rules' expiry heaps, stale ones included
  std::uint64_t buffered = 0;        ///< events now in the reorder buffer
  std::uint64_t buffered_bytes = 0;  ///< their estimated bytes (max_buffered_bytes)
  std::uint64_t released_early = 0;  ///< released before their window: a buffer limit was reached
  std::uint64_t rules_indexed = 0;  ///< rules selected by field values (EngineOptions::index_rules)
  /// Rule evaluations, summed over events: rule_evaluations / events_processed
  /// is how many of the loaded rules an event costs on average.
  std::uint64_t rule_evaluations = 0;
  /// Conditions that two or more places (rules, stages) share and an event
  /// evaluates once (EngineOptions::share_conditions), and those places.
  std::uint64_t shared_conditions = 0;
  std::uint64_t shared_condition_places = 0;
  std::uint64_t lineage_entries = 0;  ///< processes in the lineage table now
  std::uint64_t lineage_evicted = 0;  ///< dropped by LineageOptions::max_entries
  std::vector<RuleStats> rules;
};

/// An event that was not evaluated because of its time: late (it arrived
/// after events newer than it were already evaluated), or, with `ahead`,
/// set aside as too far ahead of event time (EngineOptions::max_time_ahead).
struct LateEvent {
  std::int64_t timestamp = 0;
  std::int64_t watermark = 0;  ///< late: the newest event released; ahead: the newest accepted
  std::shared_ptr<const std::string> payload;
  bool ahead = false;
  /// Which push the event came from: EngineStats::events_in right after it
  /// was pushed (1 for the first push_json or push), so a reader can name its line.
  std::uint64_t arrival = 0;
};

/// A line Engine::push_json_lines() skipped: its number (1-based, in the
/// text given), the offset of its first byte there, and why.
struct LineError {
  std::size_t line = 0;
  std::size_t offset = 0;
  Status status;
};

/// What Engine::restore() did with a snapshot, rule by rule. A rule's state
/// is restored into the rule of this engine with the same fingerprint (its
/// id, name and compiled query: Rule::fingerprint()); a rule of the snapshot
/// that has none here, because it was removed or changed, loses its state.
struct RestoreReport {
  std::uint64_t rules_restored = 0;  ///< rules whose state was restored
  std::uint64_t rules_dropped = 0;   ///< rules of the snapshot not here unchanged: state dropped
  std::uint64_t rules_new = 0;       ///< rules of this engine the snapshot did not have: empty
  std::uint64_t partials_restored = 0;
  std::uint64_t partials_dropped = 0;      ///< counted in EngineStats::partials_expired
  std::vector<std::string> dropped_rules;  ///< ids (or names) of the dropped rules
  std::string host_data;  ///< what the host gave snapshot() (an input position, an offset)
};

class EQLPP_EXPORT Engine {
 public:
  /// An engine with no rules; `options` are normalised (options() shows them).
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Adds a compiled rule. Add rules before pushing events.
  void add_rule(Rule rule);
  /// The FieldId of a field path, for hosts that fill Records (interned; stable).
  FieldId field(std::string_view path);

  /// Called with each alert, synchronously, from push_json(), push() or finish().
  void on_alert(std::function<void(const Alert&)> callback);
  /// Called with each event that is not evaluated because of its time: late
  /// (counted in EngineStats::late) or set aside as too far ahead
  /// (LateEvent::ahead, EngineStats::ahead; see EngineOptions::max_time_ahead).
  void on_late(std::function<void(const LateEvent&)> callback);

  /// Decodes one JSON object (a line) and processes it. A malformed line or
  /// one without a valid timestamp returns an error Status and is counted;
  /// the engine stays usable. The line is copied only if a rule keeps it.
  Status push_json(std::string_view line);
  /// Processes every line of `lines` as push_json() would: events separated
  /// by '\n' (a '\r' before it is dropped; the last line needs none);
  /// blank lines are skipped. A malformed line is counted, handed to
  /// `on_error` (when given) and skipped; the lines after it go on. Returns
  /// how many lines were accepted. For a buffer of many lines (a file chunk,
  /// a batch of messages): each line is parsed where it lies, not copied,
  /// when the buffer holds 64 more bytes after it (simdjson reads ahead;
  /// those bytes are never interpreted). The results are push_json()'s.
  std::size_t push_json_lines(std::string_view lines,
                              const std::function<void(const LineError&)>& on_error = {});
  /// Processes a host-filled record (its timestamp must be set).
  /// Events counted in stats(): events_in = events_processed + malformed +
  /// late + ahead + held_ahead + buffered.
  Status push(const Record& record);
  /// Drains the reorder buffer and expires all sequence state (trailing
  /// missing-event stages complete here); in batch mode
  /// (EngineOptions::batch) delivers every result, in Elasticsearch's order,
  /// cut by `head` and `tail`. The engine may be reused after.
  void finish();

  /// Traces the rule whose id (or, for a rule without one, name) is `rule`,
  /// or every rule when `rule` is empty: `sink` receives one TraceEntry per
  /// event the rule was tested on or skipped, and one per partial that
  /// expired or was evicted (eqlpp/trace.hpp). An empty `sink` stops tracing.
  /// Call after add_rule(); an error when no added rule matches. Off by default.
  Status trace(std::string_view rule, std::function<void(const TraceEntry&)> sink);

  /// Writes everything the engine needs to continue as if it had never
  /// stopped: event time and the reorder buffer, every partial with its
  /// events, expiry deadlines and LRU order, pending missing-event
  /// completions, samples, the lineage table, rate limits and `head`
  /// counts, ordinals and the statistics. The format (docs/snapshot-format.md)
  /// is versioned and checksummed and does not depend on pointers, hash
  /// seeds or the machine (little-endian hosts). Hosts' callbacks, trace
  /// sinks and options are not part of it. Between two pushes only.
  /// `host_data` is kept with the state, under the same checksum, and given
  /// back by restore() (RestoreReport::host_data): the input position the
  /// state corresponds to, so that both are saved at once.
  [[nodiscard]] std::string snapshot(std::string_view host_data = {}) const;
  /// The same, written to `out`; an error when the stream fails.
  Status snapshot(std::ostream& out, std::string_view host_data = {}) const;
  /// Replaces this engine's state with a snapshot's. Build the engine with
  /// the options and rules of the one that wrote it (rules may have been
  /// added, removed or changed since: `report` says what was kept), and
  /// set callbacks before or after. A snapshot that is corrupt, truncated,
  /// of a newer format version or taken in the other mode (batch or
  /// streaming) is an error (DiagCode::kInvalidSnapshot) and changes nothing.
  Status restore(std::string_view snapshot, RestoreReport* report = nullptr);
  /// The same, read from `in` to its end.
  Status restore(std::istream& in, RestoreReport* report = nullptr);

  /// A snapshot of the counters (a copy: later calls do not change it).
  [[nodiscard]] EngineStats stats() const;
  /// The options in effect (after normalisation: batch mode's window, the clamps).
  [[nodiscard]] const EngineOptions& options() const noexcept;

 private:
  std::unique_ptr<detail::EngineImpl> impl_;
};

}  // namespace eqlpp
