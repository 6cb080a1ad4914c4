// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/trace.hpp
//
// "Why did this event not alert?" A trace follows one rule (or every rule)
// through the stream: for each event, which stages it was tested against,
// which matched, and for a stage that failed the first condition that decided
// it (the condition as written, the field, the value seen); for sequences,
// which partial the event started, extended or completed, or why none (no
// partial for its key, maxspan exceeded by how much, `until`, a missing-event
// stage); and when partials expire or are evicted.
//
//   engine.trace("09443c92-46b3-45a4-8f25-383b028b258d",
//                 [](const eqlpp::TraceEntry& t) { std::cerr << t.to_string(); });
//
// Tracing is off by default and costs one predictable branch per stage test
// when off. With it on, every traced stage test that fails is re-walked to
// find the deciding condition: use it for debugging and tests, not in production.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eqlpp/export.hpp"

namespace eqlpp {

/// The condition that decided a stage's filter for an event.
struct TraceCondition {
  std::string text;              ///< the condition as written in the query (long text is cut)
  std::uint32_t line = 0;        ///< 1-based line of the condition in the query
  std::uint32_t column = 0;      ///< 1-based column (bytes) of the condition in the query
  std::string operand;           ///< the field path tested, or the expression over fields
  std::string seen;              ///< the operand's value(s) in the event as JSON, or "missing"
  bool needed = true;            ///< what the condition had to be (false under `not`)
  std::size_t alternatives = 0;  ///< other `or` branches that also failed
};

/// One stage of a rule tested against one event.
struct TraceStage {
  int stage = 0;               ///< stage index in the query; -1 for `until`
  std::string category;        ///< the stage's event category ("any" for `any where`)
  bool missing_stage = false;  ///< a `![...]` stage
  bool matched = false;
  std::optional<TraceCondition> rejected_by;  ///< set when !matched
  /// For sequences and samples, what the matching event did or why it did
  /// nothing ("started a partial ...", "no partial for key ...", "maxspan
  /// exceeded by 1.2s ..."). Empty for an event query.
  std::vector<std::string> outcome;
};

struct TraceEntry {
  enum class Kind : std::uint8_t {
    kEvent,          ///< an event was tested: see `stages`
    kNotDispatched,  ///< the event's category is none the rule reads: see `note`
    kExpired,        ///< a partial sequence passed maxspan: see `note`
    kEvicted,        ///< state was dropped by a memory limit: see `note`
  };
  Kind kind = Kind::kEvent;
  std::string rule_id;         ///< the rule's id (its name when it has none)
  std::int64_t timestamp = 0;  ///< the event's time (for expiry: the time that expired it)
  std::uint64_t ordinal = 0;   ///< the event's position in processing order
  std::shared_ptr<const std::string> payload;  ///< the event's JSON text, when there is one
  std::vector<TraceStage> stages;              ///< kEvent: in stage order
  std::string note;

  /// Human-readable text, several lines, each ending in '\n'.
  [[nodiscard]] EQLPP_EXPORT std::string to_string() const;
};

}  // namespace eqlpp
