// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/alert.hpp
//
// An Alert is what a rule produces: for an event query one event, for a
// sequence the events in stage order (an empty entry marking each missing-event
// stage), for a sample the events in filter order. Alerts are values: copy
// them to keep them past the callback. While streaming, the engine refills
// one Alert for each delivery (its vectors and key bytes keep their
// capacity, so a warm engine delivers without allocating): the reference
// the callback receives is valid until the callback returns.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "eqlpp/event.hpp"
#include "eqlpp/export.hpp"
#include "eqlpp/result.hpp"
#include "eqlpp/rule.hpp"

namespace eqlpp {

namespace detail {
struct AlertAccess;
}  // namespace detail

struct AlertEvent {
  /// The original event (its JSON text); null for the entry of a missing-event stage.
  std::shared_ptr<const std::string> payload;
  std::int64_t timestamp = 0;  ///< nanoseconds since the epoch
  std::uint64_t ordinal = 0;   ///< position in the engine's processing order
  bool missing = false;        ///< this entry stands for a `![...]` stage (no event)
};

class EQLPP_EXPORT Alert {
 public:
  /// An alert of `rule` over `events` (entries of missing-event stages
  /// included). Copies the join key values, strings included: the alert
  /// owns everything it shows.
  Alert(Rule rule, std::span<const Value> join_keys, std::vector<AlertEvent> events);

  Rule rule;
  std::vector<AlertEvent> events;
  std::int64_t first_timestamp = 0;  ///< earliest event (missing-event entries aside)
  std::int64_t last_timestamp = 0;   ///< latest event

  /// The join key values: shared `by` keys, then the stage keys. A string
  /// value views this alert's own bytes: valid while the alert is alive and
  /// not assigned to.
  [[nodiscard]] std::vector<Value> join_keys() const;

  /// A deterministic id: 32 hex digits hashed from the rule (its id, or
  /// name), the join key and each event (its timestamp and JSON text; its
  /// ordinal when it has no text). The same alert gets the same id in every
  /// run over the same events, so alerts re-emitted after a restart from a
  /// checkpoint are recognised downstream (`event.id` in to_json()).
  [[nodiscard]] std::string id() const;

  /// The ECS-style alert of CLI.md (`eqlpp run`), one line of JSON.
  [[nodiscard]] std::string to_json() const;
  /// {"join_keys":[...],"events":[...]} (`eqlpp query` for sequences and samples).
  [[nodiscard]] std::string to_query_json() const;

 private:
  friend struct detail::AlertAccess;  // the engine's refill of its one streaming alert
  void set_times() noexcept;          // first_timestamp and last_timestamp from events
  std::string keys_;  // the values, encoded (kind byte, then 8 bytes or a length and the bytes)
};

/// RFC 3339 text of a nanosecond timestamp ("2026-11-29T04:03:23.123Z").
EQLPP_EXPORT std::string format_timestamp(std::int64_t ns);
/// Parses ISO-8601 (Z or ±hh:mm, 0-9 fraction digits; strict dates) or epoch
/// milliseconds text into nanoseconds since the epoch; an error
/// (DiagCode::kInvalidTimestamp) when the text is not a timestamp.
EQLPP_EXPORT Result<std::int64_t> parse_timestamp(std::string_view text);

}  // namespace eqlpp
