// SPDX-License-Identifier: Apache-2.0
// Timestamp text -> nanoseconds since the epoch (the hot path of push_json;
// eqlpp::parse_timestamp is the public form).
#pragma once

#include <cstdint>
#include <string_view>

#include "eqlpp/event.hpp"

namespace eqlpp::ingest {

/// ISO-8601 (strict dates, Z or +-hh:mm, 0-9 fraction digits) or epoch
/// milliseconds as text; false when the text is not a timestamp.
bool parse_timestamp_ns(std::string_view text, std::int64_t& ns);

/// Seconds since the epoch of a proleptic Gregorian date and UTC time;
/// false for an invalid date (2026-02-31), hour, minute or second (no leap
/// second) or one more than 200 years from the epoch.
bool civil_to_seconds(int y, int mo, int d, int h, int mi, int sec, std::int64_t& secs);

/// A date literal of a query, as Elasticsearch's date math parser reads it
/// for a range: [lo, hi] is every instant the literal names at its own
/// precision (a day, a minute, a second; a fraction or epoch milliseconds
/// text is exact, to the nanosecond or the millisecond).
bool parse_date_literal(std::string_view text, std::int64_t& lo, std::int64_t& hi);

/// An event's date value (ISO-8601 text, or a number of epoch milliseconds)
/// in nanoseconds; false when it is neither.
bool date_value_ns(const Value& v, std::int64_t& ns);

}  // namespace eqlpp::ingest
