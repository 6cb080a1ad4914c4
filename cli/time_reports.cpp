// SPDX-License-Identifier: Apache-2.0
#include "time_reports.hpp"

#include <cstdio>

namespace eqlpp_cli {

TimeReports::TimeReports(bool verbose, std::size_t held) : verbose_(verbose), ring_(held + 1) {}

void TimeReports::pushed(std::uint64_t arrival, const std::string* file, std::uint64_t line) {
  ring_[arrival % ring_.size()] = {file, line};
  last_ = arrival;
}

void TimeReports::report(const eqlpp::LateEvent& e) {
  // A set-aside event was held for at most ring_.size() - 1 pushes.
  Position at = e.arrival + ring_.size() > last_ ? ring_[e.arrival % ring_.size()] : Position{};
  const std::string file = at.file ? *at.file : "<input>";
  Count& c = (e.ahead ? ahead_ : late_)[file];
  if (c.n++ == 0) c.first_line = at.line;
  if (!verbose_) return;
  std::fprintf(stderr, "%s:%llu: warning: %s at %s, %s %s (%s)\n", file.c_str(),
               static_cast<unsigned long long>(at.line), e.ahead ? "event set aside" : "late event",
               eqlpp::format_timestamp(e.timestamp).c_str(),
               e.ahead ? "too far ahead of event time" : "older than",
               eqlpp::format_timestamp(e.watermark).c_str(),
               e.ahead ? "--max-time-ahead" : "already evaluated; --reorder-window or --sort");
}

void TimeReports::summary() const {
  if (verbose_) return;
  auto print = [](const std::map<std::string, Count>& counts, const char* what, const char* hint) {
    for (const auto& [file, c] : counts)
      std::fprintf(stderr, "%s: %llu %s, the first at line %llu (%s)\n", file.c_str(),
                   static_cast<unsigned long long>(c.n), what,
                   static_cast<unsigned long long>(c.first_line), hint);
  };
  print(late_, "late events", "--verbose lists each; use --sort or --reorder-window");
  print(ahead_, "events set aside as too far ahead of event time", "--max-time-ahead");
}

}  // namespace eqlpp_cli
