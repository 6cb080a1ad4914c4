// SPDX-License-Identifier: Apache-2.0
// Elasticsearch date formats: named formats and java.time-style patterns
// (https://www.elastic.co/guide/en/elasticsearch/reference/current/mapping-date-format.html).
#include "ingest/date_format.hpp"

#include <cmath>
#include <cstdlib>

#include "ingest/timestamp.hpp"
#include "util/ascii.hpp"

namespace eqlpp::ingest {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// A number as text (an optional '-', digits, an optional fraction).
bool number_text(std::string_view s, double& out) {
  if (s.empty() || s.size() > 40) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!((s[i] >= '0' && s[i] <= '9') || (i == 0 && s[i] == '-') || s[i] == '.')) return false;
  std::string t(s);
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return end == t.c_str() + t.size();
}

bool epoch_ns(double units, double ns_per_unit, std::int64_t& ns) {
  const double v = units * ns_per_unit;
  if (!(std::fabs(v) < 6.3e18)) return false;  // +-200 years in nanoseconds
  ns = static_cast<std::int64_t>(v);
  return true;
}

}  // namespace

bool DateFormat::parse(std::string_view format, std::string& error) {
  alts_.clear();
  std::size_t start = 0;
  while (start <= format.size()) {
    std::size_t bar = format.find("||", start);
    std::string_view f =
        trim(format.substr(start, bar == std::string_view::npos ? bar : bar - start));
    start = bar == std::string_view::npos ? format.size() + 1 : bar + 2;
    if (f.empty()) continue;
    Alternative a;
    using K = Alternative::Kind;
    std::string_view name = f.substr(0, 7) == "strict_" ? f.substr(7) : f;
    auto pattern = [&](std::string_view p) {
      DateFormat sub;
      std::string e;
      sub.parse(p, e);
      a = sub.alts_[0];
    };
    if (name == "epoch_millis") {
      a.kind = K::kEpochMillis;
    } else if (name == "epoch_second") {
      a.kind = K::kEpochSecond;
    } else if (name == "date_optional_time" || name == "date_optional_time_nanos" ||
               name == "date_time" || name == "date_time_no_millis" ||
               name == "date_hour_minute_second_fraction" ||
               name == "date_hour_minute_second_millis" || name == "iso8601") {
      a.kind = K::kIso;
    } else if (name == "date" || name == "year_month_day") {
      pattern("yyyy-MM-dd");
    } else if (name == "basic_date") {
      pattern("yyyyMMdd");
    } else if (name == "basic_date_time") {
      pattern("yyyyMMdd'T'HHmmss.SSSZ");
    } else if (name == "basic_date_time_no_millis") {
      pattern("yyyyMMdd'T'HHmmssZ");
    } else if (name == "date_hour_minute_second") {
      pattern("yyyy-MM-dd'T'HH:mm:ss");
    } else if (name == "date_hour_minute") {
      pattern("yyyy-MM-dd'T'HH:mm");
    } else {
      a.kind = K::kPattern;
      for (std::size_t i = 0; i < f.size();) {
        const char c = f[i];
        Piece p;
        if (c == '\'') {
          std::size_t end = f.find('\'', i + 1);
          if (end == std::string_view::npos) {
            error = "unterminated quote in the date format '" + std::string(f) + "'";
            return false;
          }
          p.text = end == i + 1 ? "'" : std::string(f.substr(i + 1, end - i - 1));
          a.pieces.push_back(std::move(p));
          i = end + 1;
          continue;
        }
        std::size_t n = 1;
        while (i + n < f.size() && f[i + n] == c) ++n;
        using P = Piece::Kind;
        switch (c) {
          case 'y':
          case 'u': p.kind = P::kYear; break;
          case 'M': p.kind = n >= 3 ? P::kMonthName : P::kMonth; break;
          case 'd': p.kind = P::kDay; break;
          case 'H': p.kind = P::kHour; break;
          case 'h': p.kind = P::kHour12; break;
          case 'a': p.kind = P::kAmPm; break;
          case 'm': p.kind = P::kMinute; break;
          case 's': p.kind = P::kSecond; break;
          case 'S': p.kind = P::kFraction; break;
          case 'X':
          case 'x':
          case 'Z': p.kind = P::kZone; break;
          default:
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
              error = std::string("the date format letter '") + c + "' is not supported (in '" +
                      std::string(f) + "')";
              return false;
            }
            p.text.assign(n, c);
            break;
        }
        p.width = n;
        a.pieces.push_back(std::move(p));
        i += n;
      }
    }
    alts_.push_back(std::move(a));
  }
  if (alts_.empty()) {
    error = "an empty date format";
    return false;
  }
  return true;
}

bool DateFormat::read_pattern(const std::vector<Piece>& pieces, std::string_view s,
                              std::int64_t& ns) {
  int y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
  bool pm = false, has_ampm = false;
  std::int64_t frac = 0, offset = 0;
  std::size_t i = 0;
  auto num = [&](std::size_t width, bool exact, int& out) {
    std::size_t n = 0;
    out = 0;
    const std::size_t most = exact ? width : 9;
    while (i + n < s.size() && n < most && s[i + n] >= '0' && s[i + n] <= '9')
      out = out * 10 + (s[i + n++] - '0');
    if (n == 0 || (exact && n != width)) return false;
    i += n;
    return true;
  };
  using P = Piece::Kind;
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    const Piece& p = pieces[k];
    // A numeric field directly followed by another numeric field has a fixed width.
    const bool exact = p.width > 1 || (k + 1 < pieces.size() && pieces[k + 1].kind != P::kLiteral);
    switch (p.kind) {
      case P::kLiteral:
        if (s.substr(i, p.text.size()) != p.text) return false;
        i += p.text.size();
        break;
      case P::kYear:
        if (!num(p.width == 2 ? 2 : 4, p.width >= 2, y)) return false;
        if (p.width == 2) y += 2000;
        break;
      case P::kMonth:
        if (!num(2, exact, mo)) return false;
        break;
      case P::kMonthName: {
        static constexpr const char* kNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
        if (i + 3 > s.size()) return false;
        std::string m = util::ascii_fold(s.substr(i, 3));
        mo = 0;
        for (int j = 0; j < 12; ++j)
          if (m == kNames[j]) mo = j + 1;
        if (mo == 0) return false;
        i += 3;
        break;
      }
      case P::kDay:
        if (!num(2, exact, d)) return false;
        break;
      case P::kHour:
        if (!num(2, exact, h)) return false;
        break;
      case P::kHour12:
        if (!num(2, exact, h) || h < 1 || h > 12) return false;
        break;
      case P::kAmPm: {
        if (i + 2 > s.size()) return false;
        std::string m = util::ascii_fold(s.substr(i, 2));
        if (m != "am" && m != "pm") return false;
        pm = m == "pm";
        has_ampm = true;
        i += 2;
        break;
      }
      case P::kMinute:
        if (!num(2, exact, mi)) return false;
        break;
      case P::kSecond:
        if (!num(2, exact, sec)) return false;
        break;
      case P::kFraction: {
        std::size_t n = 0;
        std::int64_t scale = 100'000'000;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n < p.width) {
          frac += (s[i] - '0') * scale;
          scale /= 10;
          ++n;
          ++i;
        }
        if (n == 0) return false;
        break;
      }
      case P::kZone: {
        if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
          ++i;
          break;
        }
        if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
        const int sign = s[i++] == '-' ? -1 : 1;
        int oh = 0, om = 0;
        if (!num(2, true, oh)) return false;
        if (i < s.size() && s[i] == ':') ++i;
        if (i < s.size() && s[i] >= '0' && s[i] <= '9' && !num(2, true, om)) return false;
        if (oh > 23 || om > 59) return false;
        offset = sign * (oh * 3600 + om * 60);
        break;
      }
    }
  }
  if (i != s.size()) return false;
  if (has_ampm) h = (h % 12) + (pm ? 12 : 0);
  std::int64_t secs = 0;
  if (!civil_to_seconds(y, mo, d, h, mi, sec, secs)) return false;
  ns = (secs - offset) * 1'000'000'000 + frac;
  return true;
}

bool DateFormat::read(const Value& v, std::int64_t& ns) const {
  for (const Alternative& a : alts_) {
    using K = Alternative::Kind;
    double n = 0;
    switch (a.kind) {
      case K::kIso:
        if (v.is_string() && parse_timestamp_ns(v.as_string(), ns) &&
            !number_text(v.as_string(), n))
          return true;
        break;
      case K::kEpochMillis:
      case K::kEpochSecond: {
        const double per = a.kind == K::kEpochMillis ? 1e6 : 1e9;
        if (v.is_number() && epoch_ns(v.as_double(), per, ns)) return true;
        if (v.is_string() && number_text(v.as_string(), n) && epoch_ns(n, per, ns)) return true;
        break;
      }
      case K::kPattern:
        if (v.is_string() && read_pattern(a.pieces, v.as_string(), ns)) return true;
        break;
    }
  }
  return false;
}

}  // namespace eqlpp::ingest
