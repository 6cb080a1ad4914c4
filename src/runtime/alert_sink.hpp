// SPDX-License-Identifier: Apache-2.0
// From a completed match to the host's callback: the alert's entries (an
// empty one per missing-event stage), the rate limit, `head` and `tail`, and
// the order results are delivered in, applied in that one order.
//
// Streaming (the default), alerts go out as they complete: the rate limit
// and a leading `| head N` apply at once; a `| tail` cannot (it needs the
// end) and is ignored. In batch mode (EngineOptions::batch) alerts are kept
// until finish(), put in Elasticsearch's order (result_ordinal()), cut by the
// rule's pipes in the query's order, and delivered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "compile/plan.hpp"
#include "eqlpp/alert.hpp"
#include "eqlpp/engine.hpp"

namespace eqlpp::state {
class Writer;
class Reader;
}  // namespace eqlpp::state

namespace eqlpp::detail {

/// The library's access to an Alert's encoded join key (Alert keeps it private).
struct AlertAccess {
  /// Makes `a` the alert of `rule` with the encoded join key `key`
  /// (runtime::key_add_value's encoding) and the events already in a.events.
  static void refill(Alert& a, const Rule& rule, std::string_view key);
};

}  // namespace eqlpp::detail

namespace eqlpp::runtime {

/// Where a result stands in Elasticsearch's order. Events by their ordinal.
/// Sequences in the order they complete, i.e. by the ordinal of their last
/// event (x-pack/plugin/eql, execution/sequence: SequenceMatcher keeps the
/// completed sequences in a TreeSet, and Sequence.compareTo compares
/// ordinal(), the ordinal of the sequence's current, i.e. last, match). Samples by their first
/// event here; in batch mode AlertQueue::finish() then orders each sample rule's results by join
/// key.
std::uint64_t result_ordinal(QueryKind kind, const std::vector<AlertEvent>& events);
/// Elasticsearch's order of join keys (a sample rule's results in batch mode).
bool join_keys_before(const std::vector<Value>& a, const std::vector<Value>& b);

class AlertQueue;

/// The alerts of one rule.
class AlertSink {
 public:
  /// What became of an alert (the trace notes it).
  enum class Outcome : std::uint8_t { kDelivered, kKept, kOverHead, kOverRate };

  AlertSink(Rule rule, const detail::CompiledRule& plan, std::size_t max_alerts_per_second,
            AlertQueue& queue, RuleStats& stats);

  /// The alert of key `key` (an encoded join key) and the events of its
  /// positive stages, in stage order. Takes the events: `positive` is left
  /// empty, possibly with capacity to reuse.
  Outcome emit(std::string_view key, std::vector<AlertEvent>& positive);
  Outcome emit(std::string_view key, std::vector<AlertEvent>&& positive) {
    return emit(key, positive);
  }
  /// Forgets the rate limiter's window and the count for `head` (finish()).
  void reset() noexcept;

  [[nodiscard]] const Rule& rule() const noexcept { return rule_; }
  /// The `head` that applies while streaming (the least before any `tail`).
  [[nodiscard]] std::optional<std::int64_t> stream_head() const noexcept { return stream_head_; }

  /// Snapshot: the count for `head` and the rate limiter's window.
  void save(state::Writer& w) const;
  void load(state::Reader& r);

 private:
  friend class AlertQueue;
  // Makes `a` this rule's alert of key `key`: `positive` moved into its
  // events (emptied first), with an empty entry for each missing-event
  // stage; `positive` is left empty.
  void fill(Alert& a, std::string_view key, std::vector<AlertEvent>& positive) const;
  Rule rule_;
  const detail::CompiledRule& plan_;
  std::size_t max_per_second_;
  AlertQueue& queue_;
  RuleStats& stats_;
  bool has_missing_ = false;
  std::optional<std::int64_t> stream_head_;  // a `head` that applies while streaming
  std::uint64_t delivered_ = 0;
  std::int64_t rate_window_;
  std::size_t rate_count_ = 0;
};

/// Delivery for the whole engine.
class AlertQueue {
 public:
  AlertQueue(bool batch, EngineStats& stats) : batch_(batch), stats_(stats) {}

  std::function<void(const Alert&)> on_alert;

  [[nodiscard]] bool batch() const noexcept { return batch_; }
  /// Batch: keeps the alert for finish().
  void keep(AlertSink& from, Alert&& alert);
  /// Streaming: delivers the alert of `from` with the encoded join key
  /// `key` and `events` (taken; left empty) now, in the queue's one
  /// reusable Alert.
  void deliver_now(AlertSink& from, std::string_view key, std::vector<AlertEvent>& events);
  /// Batch: orders the kept alerts, applies each rule's pipes, delivers.
  void finish();
  [[nodiscard]] std::size_t kept() const noexcept { return kept_.size(); }

  /// Snapshot: the alerts kept for finish() (batch mode), each with the
  /// number `index` gives its rule's sink.
  void save(state::Writer& w, const std::function<std::uint64_t(const AlertSink*)>& index) const;
  /// Reads what save() wrote; `sink` gives the sink of a rule number, or
  /// null for a rule whose state is dropped (its alerts go with it).
  bool load(state::Reader& r, const std::function<AlertSink*(std::uint64_t)>& sink);

 private:
  friend class AlertSink;
  void deliver(AlertSink& from, const Alert& a);
  struct Kept {
    std::uint64_t ordinal;
    AlertSink* from;
    Alert alert;
  };
  bool batch_;
  EngineStats& stats_;
  std::vector<Kept> kept_;
  // The alert on_alert is handed while streaming, refilled for each
  // delivery (made at the first); a delivery from inside on_alert (the host
  // pushed an event from its callback) gets an alert of its own instead.
  std::optional<Alert> reusable_;
  bool delivering_ = false;
};

}  // namespace eqlpp::runtime
