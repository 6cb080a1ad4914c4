// SPDX-License-Identifier: Apache-2.0
#include "args.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

namespace eqlpp_cli {

std::chrono::nanoseconds parse_duration(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i > 15) throw UsageError{"invalid duration '" + s + "' (examples: 500ms, 2s, 1m)"};
  long long n = std::stoll(s.substr(0, i));
  std::string unit = s.substr(i);
  if (unit.empty() && n == 0) return std::chrono::nanoseconds(0);  // "0": off
  long long mult;
  if (unit == "ns")
    mult = 1;
  else if (unit == "us")
    mult = 1000;
  else if (unit == "ms")
    mult = 1'000'000;
  else if (unit == "s")
    mult = 1'000'000'000;
  else if (unit == "m")
    mult = 60'000'000'000LL;
  else if (unit == "h")
    mult = 3'600'000'000'000LL;
  else if (unit == "d")
    mult = 86'400'000'000'000LL;
  else
    throw UsageError{"invalid duration '" + s + "': the unit must be ms, s, m, h or d"};
  if (n > std::numeric_limits<long long>::max() / mult)
    throw UsageError{"duration '" + s + "' is too long"};
  return std::chrono::nanoseconds(n * mult);
}

std::size_t parse_count(const std::string& opt, const std::string& s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
    throw UsageError{opt + " takes a non-negative integer, found '" + s + "'"};
  return static_cast<std::size_t>(std::stoull(s));
}

bool event_option(const std::string& a, Args& args, EventOptions& o) {
  if (a == "--timestamp-field")
    o.timestamp_field = args.value(a);
  else if (a == "--tiebreaker-field")
    o.tiebreaker_field = args.value(a);
  else if (a == "--event-category-field")
    o.category_field = args.value(a);
  else if (a == "--sort")
    o.sort = true;
  else if (a == "--reorder-window")
    o.reorder_window = parse_duration(args.value(a));
  else if (a == "--max-partials-per-key")
    o.max_partials_per_key = parse_count(a, args.value(a));
  else if (a == "--dialect") {
    const std::string d = args.value(a);
    if (d == "elasticsearch")
      o.dialect = eqlpp::Dialect::kElasticsearch;
    else if (d == "endpoint")
      o.dialect = eqlpp::Dialect::kEndpoint;
    else
      throw UsageError{"--dialect takes elasticsearch or endpoint, found '" + d + "'"};
  } else if (a == "--mapping") {
    const std::string path = args.value(a);
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw UsageError{"--mapping: cannot read '" + path + "'"};
    eqlpp::CompileOptions probe;
    if (auto st = eqlpp::load_mapping(text.str(), probe); !st)
      throw UsageError{"--mapping " + path + ": " + st.message()};
    o.mappings.push_back(text.str());
  } else if (a == "--max-samples-per-key") {
    o.max_samples_per_key = parse_count(a, args.value(a));
    if (*o.max_samples_per_key == 0) throw UsageError{a + " must be at least 1"};
  } else if (a == "--max-state-bytes")
    o.max_state_bytes = parse_count(a, args.value(a));
  else if (a == "--max-line-bytes")
    o.max_line_bytes = parse_count(a, args.value(a));
  else if (a == "--progress")
    o.progress = true;
  else if (a == "--verbose" || a == "-v")
    o.verbose = true;
  else if (a == "--max-time-ahead")
    o.max_time_ahead = parse_duration(args.value(a));
  else
    return false;
  return true;
}

const char* const kEventOptionsHelp =
    "Event options:\n"
    "  --timestamp-field F       field holding the event time (default @timestamp)\n"
    "  --tiebreaker-field F      orders events with equal timestamps (default none)\n"
    "  --event-category-field F  field that `process where` tests (default event.category)\n"
    "  --sort                    read all input, sort by (timestamp, tiebreaker, line), then\n"
    "                            evaluate: exactly Elasticsearch's query-time results\n"
    "  --reorder-window DUR      streaming: hold events this long to order them (default 0s)\n"
    "  --max-partials-per-key N  memory limit (library default 64)\n"
    "  --max-samples-per-key N   samples reported per join key (default 1, as Elasticsearch)\n"
    "  --dialect D               elasticsearch or endpoint (default: by the rule's layout;\n"
    "                            Endpoint behaviour rules are endpoint)\n"
    "  --mapping FILE            an Elasticsearch index mapping (JSON): field types\n"
    "                            (numbers, boolean, ip, version, date and its format,\n"
    "                            null_value, alias) are read and compared as\n"
    "                            Elasticsearch does (default: @timestamp a date);\n"
    "                            repeatable, merged in order\n"
    "  --max-state-bytes N       memory limit (library default 512 MiB)\n"
    "  --max-line-bytes N        longer event lines are skipped, in bounded memory (16 MiB)\n"
    "  --max-time-ahead DUR      an event further ahead of event time than this is held\n"
    "                            until 3 in a row confirm the jump, else set aside and\n"
    "                            reported (forged timestamps); default 1h, 0 turns it off,\n"
    "                            off with --sort\n"
    "  --progress                show a progress line on stderr while reading a file\n"
    "  -v, --verbose             report each late or set-aside event with its line\n";

eqlpp::EngineOptions engine_options(const EventOptions& o, const std::vector<eqlpp::Rule>& rules) {
  eqlpp::EngineOptions e;
  // Rules' own settings apply when every rule agrees and no option overrides them.
  auto common = [&](auto getter) -> std::string {
    std::string v;
    for (const auto& r : rules) {
      std::string x = getter(r.metadata());
      if (x.empty()) return {};
      if (!v.empty() && v != x) return {};
      v = x;
    }
    return v;
  };
  if (o.timestamp_field)
    e.timestamp_field = *o.timestamp_field;
  else if (auto v = common([](const eqlpp::RuleMetadata& m) { return m.timestamp_field; });
           !v.empty())
    e.timestamp_field = v;
  if (o.tiebreaker_field)
    e.tiebreaker_field = *o.tiebreaker_field;
  else if (auto v = common([](const eqlpp::RuleMetadata& m) { return m.tiebreaker_field; });
           !v.empty())
    e.tiebreaker_field = v;
  if (o.category_field) e.event_category_field = *o.category_field;
  // --sort: the library's batch mode (read all, sort, evaluate, results in
  // Elasticsearch's order after head and tail).
  e.batch = o.sort;
  if (!o.sort && o.reorder_window) e.reorder_window = *o.reorder_window;
  if (o.max_partials_per_key) e.max_partials_per_key = *o.max_partials_per_key;
  if (o.max_samples_per_key) e.max_samples_per_key = *o.max_samples_per_key;
  if (o.max_state_bytes) e.max_state_bytes = *o.max_state_bytes;
  if (o.max_line_bytes) e.max_line_bytes = *o.max_line_bytes;
  if (!o.sort) e.max_time_ahead = o.max_time_ahead.value_or(std::chrono::hours(1));
  // A mapping that makes the timestamp field a date_nanos keeps nanoseconds.
  eqlpp::CompileOptions mapped;
  for (const auto& m : o.mappings) (void)eqlpp::load_mapping(m, mapped);
  const auto& nanos = mapped.date_nanos_fields;
  e.timestamp_nanos = std::find(nanos.begin(), nanos.end(), e.timestamp_field) != nanos.end();
  // A date timestamp with a `format` is read in it.
  if (auto it = mapped.field_mappings.find(e.timestamp_field);
      it != mapped.field_mappings.end() && it->second.type == eqlpp::FieldType::kDate)
    e.timestamp_format = it->second.format;
  return e;
}

eqlpp::CompileOptions compile_options(const EventOptions& o) {
  eqlpp::CompileOptions c;
  c.dialect = o.dialect;
  if (o.category_field) c.event_category_field = *o.category_field;
  for (const auto& m : o.mappings)
    (void)eqlpp::load_mapping(m, c);  // merged in order; validated when read
  return c;
}

}  // namespace eqlpp_cli
