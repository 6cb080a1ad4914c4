// SPDX-License-Identifier: Apache-2.0
// Elasticsearch date formats (a `date` mapping's `format`): the built-in
// names this engine meets in practice and java.time-style patterns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/event.hpp"

namespace eqlpp::ingest {

/// A parsed `format`: alternatives joined by `||`, tried in order, as
/// Elasticsearch tries them. Built-in names: epoch_millis, epoch_second,
/// strict_date_optional_time (and date_optional_time, the _nanos forms,
/// strict_date_time, date_time, the default), strict_date / date /
/// year_month_day, basic_date, basic_date_time(_no_millis),
/// strict_date_hour_minute_second / date_hour_minute_second. Patterns use
/// java.time letters: u/y year, M month (MMM English abbreviations), d day,
/// H hour, h hour of AM/PM with a, m minute, s second, S fraction, X/Z/x
/// zone offsets (`Z` as `Z` or +hh:mm); 'quoted' text and punctuation are
/// literal. A pattern without a zone reads UTC, as Elasticsearch does.
class DateFormat {
 public:
  /// Parses `format`; false with `error` set for a name or pattern letter
  /// this engine does not know.
  bool parse(std::string_view format, std::string& error);
  /// The instant `v` names in nanoseconds (a number: epoch milliseconds, or
  /// seconds for epoch_second); false when no alternative reads it.
  [[nodiscard]] bool read(const Value& v, std::int64_t& ns) const;

 private:
  struct Piece {
    enum class Kind : std::uint8_t {
      kLiteral,
      kYear,
      kMonth,
      kMonthName,
      kDay,
      kHour,
      kHour12,
      kAmPm,
      kMinute,
      kSecond,
      kFraction,
      kZone
    };
    Kind kind = Kind::kLiteral;
    std::size_t width = 0;  // digits for numbers (exact when the pattern repeats the letter)
    std::string text;       // kLiteral
  };
  struct Alternative {
    enum class Kind : std::uint8_t { kIso, kEpochMillis, kEpochSecond, kPattern };
    Kind kind = Kind::kIso;
    std::vector<Piece> pieces;
  };
  static bool read_pattern(const std::vector<Piece>& pieces, std::string_view s, std::int64_t& ns);
  std::vector<Alternative> alts_;
};

}  // namespace eqlpp::ingest
