// SPDX-License-Identifier: Apache-2.0
// ISO-8601 / epoch-millisecond timestamps <-> int64 nanoseconds.
#include "ingest/timestamp.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

#include "eqlpp/alert.hpp"

namespace eqlpp {
namespace {

// Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

int days_in_month(std::int64_t y, unsigned m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[at + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

constexpr std::int64_t kNsPerSec = 1'000'000'000;
// Timestamps are kept within +-200 years of the epoch so nanoseconds fit int64.
constexpr std::int64_t kMaxSeconds = 200LL * 366 * 86400;

}  // namespace

namespace ingest {

bool civil_to_seconds(int y, int mo, int d, int h, int mi, int sec, std::int64_t& secs) {
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, static_cast<unsigned>(mo))) return false;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return false;
  secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
         h * 3600 + mi * 60 + sec;
  return secs <= kMaxSeconds && secs >= -kMaxSeconds;
}

bool parse_timestamp_ns(std::string_view s, std::int64_t& ns) {
  if (s.empty()) return false;
  // Epoch milliseconds as text (a date's '-' after the year says it is not:
  // the common case is decided without reading the whole string).
  bool numeric = !(s.size() > 4 && s[4] == '-');
  for (std::size_t i = 0; numeric && i < s.size(); ++i)
    if (!((s[i] >= '0' && s[i] <= '9') || (i == 0 && s[i] == '-') || s[i] == '.')) numeric = false;
  if (numeric) {
    std::string t(s);
    char* end = nullptr;
    double ms = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) return false;
    if (ms > static_cast<double>(kMaxSeconds) * 1000 ||
        ms < -static_cast<double>(kMaxSeconds) * 1000)
      return false;
    ns = static_cast<std::int64_t>(ms * 1'000'000.0);
    return true;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return false;
  // Strict, as Elasticsearch's date parser is: 2026-02-31 is an error, not March 3rd.
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, static_cast<unsigned>(mo))) return false;
  std::size_t i = 10;
  std::int64_t frac_ns = 0;
  std::int64_t offset_sec = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
    ++i;
    if (!digits(s, i, 2, h) || i + 2 >= s.size() || s[i + 2] != ':' || !digits(s, i + 3, 2, mi))
      return false;
    i += 5;
    if (i < s.size() && s[i] == ':') {
      if (!digits(s, i + 1, 2, sec)) return false;
      i += 3;
    }
    if (h > 23 || mi > 59 || sec > 59)
      return false;  // no leap second, as java.time's strict parser
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      std::size_t n = 0;
      std::int64_t scale = 100'000'000;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (n < 9) {
          frac_ns += (s[i] - '0') * scale;
          scale /= 10;
        }
        ++n;
        ++i;
      }
      if (n == 0) return false;
    }
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        int oh, om = 0;
        int sign = s[i] == '-' ? -1 : 1;
        if (!digits(s, i + 1, 2, oh)) return false;
        i += 3;
        if (i < s.size() && s[i] == ':') ++i;
        if (i < s.size()) {
          if (!digits(s, i, 2, om)) return false;
          i += 2;
        }
        if (oh > 23 || om > 59) return false;
        offset_sec = sign * (oh * 3600 + om * 60);
      } else {
        return false;
      }
    }
    if (i != s.size()) return false;
  }
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_sec;
  if (secs > kMaxSeconds || secs < -kMaxSeconds) return false;
  ns = secs * kNsPerSec + frac_ns;
  return true;
}

bool parse_date_literal(std::string_view s, std::int64_t& lo, std::int64_t& hi) {
  if (!parse_timestamp_ns(s, lo)) return false;
  std::int64_t span = 1;
  const bool numeric = s.find_first_not_of("0123456789.", !s.empty() && s[0] == '-' ? 1 : 0) ==
                       std::string_view::npos;
  if (numeric)
    span = s.find('.') == std::string_view::npos ? 1'000'000 : 1;
  else if (s.size() == 10)
    span = 86400 * kNsPerSec;  // a date alone: the whole day
  else if (s.size() < 17 || s[16] != ':')
    span = 60 * kNsPerSec;  // no seconds: the minute
  else if (s.size() < 20 || (s[19] != '.' && s[19] != ','))
    span = kNsPerSec;  // no fraction: the second
  hi = lo > INT64_MAX - (span - 1) ? INT64_MAX : lo + (span - 1);
  return true;
}

bool date_value_ns(const Value& v, std::int64_t& ns) {
  if (v.is_string()) return parse_timestamp_ns(v.as_string(), ns);
  if (!v.is_number()) return false;
  const double ms = v.as_double();
  if (!(ms < 6.3e12 && ms > -6.3e12)) return false;  // +-200 years, as event times
  ns = v.kind() == Value::Kind::kInt ? v.as_int() * 1'000'000 : static_cast<std::int64_t>(ms * 1e6);
  return true;
}

}  // namespace ingest

Result<std::int64_t> parse_timestamp(std::string_view s) {
  std::int64_t ns = 0;
  if (ingest::parse_timestamp_ns(s, ns)) return ns;
  Diagnostic d;
  d.code = DiagCode::kInvalidTimestamp;
  d.message = "'" + std::string(s.substr(0, 64)) + (s.size() > 64 ? "...'" : "'") +
              " is not a timestamp (ISO-8601 or epoch milliseconds)";
  return Diagnostics(std::move(d));
}

std::string format_timestamp(std::int64_t ns) {
  std::int64_t secs = ns / kNsPerSec;
  std::int64_t frac = ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                        static_cast<long long>((rem / 60) % 60), static_cast<long long>(rem % 60));
  std::string out(buf, static_cast<std::size_t>(n));
  if (frac % 1'000'000 == 0) {
    std::snprintf(buf, sizeof buf, ".%03lldZ", static_cast<long long>(frac / 1'000'000));
  } else {
    std::snprintf(buf, sizeof buf, ".%09lldZ", static_cast<long long>(frac));
  }
  return out + buf;
}

}  // namespace eqlpp
