// SPDX-License-Identifier: Apache-2.0
// The eqlpp command line (see docs/CLI.md): check, query, run, explain.
// Uses only the public API. Results on stdout, diagnostics and statistics on
// stderr. Exit codes: 0 success, 1 rule/query error, failed check or I/O
// error, 2 bad usage, 128+N stopped by signal N (SIGINT 130, SIGTERM 143)
// after draining the engine and flushing the output.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <eqlpp/eqlpp.hpp>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "line_reader.hpp"
#include "output.hpp"
#include "signals.hpp"
#include "time_reports.hpp"

namespace {

constexpr int kOk = 0, kFail = 1, kUsage = 2;

struct UsageError {
  std::string message;
};

using eqlpp_cli::LineReader;
using eqlpp_cli::Out;
using eqlpp_cli::TimeReports;

// ---- options ------------------------------------------------------------------

struct EventOptions {
  std::optional<std::string> timestamp_field, tiebreaker_field, category_field;
  bool sort = false;
  std::optional<std::chrono::nanoseconds> reorder_window;
  std::optional<std::size_t> max_partials_per_key, max_state_bytes, max_line_bytes;
  bool progress = false;
  bool verbose = false;
  std::optional<std::chrono::nanoseconds> max_time_ahead;
  std::vector<std::string> trace;  // rule ids to trace ("" = every rule)
};

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

class Args {
 public:
  Args(int argc, char** argv, int from) {
    for (int i = from; i < argc; ++i) v_.emplace_back(argv[i]);
  }
  bool done() const { return i_ >= v_.size(); }
  const std::string& peek() const { return v_[i_]; }
  std::string take() { return v_[i_++]; }
  std::string value(const std::string& opt) {
    if (done()) throw UsageError{opt + " needs a value"};
    return take();
  }

 private:
  std::vector<std::string> v_;
  std::size_t i_ = 0;
};

// Takes a common event option if `a` is one; returns false otherwise.
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
  else if (a == "--max-state-bytes")
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

const char* kEventOptionsHelp =
    "Event options:\n"
    "  --timestamp-field F       field holding the event time (default @timestamp)\n"
    "  --tiebreaker-field F      orders events with equal timestamps (default none)\n"
    "  --event-category-field F  field that `process where` tests (default event.category)\n"
    "  --sort                    read all input, sort by (timestamp, tiebreaker, line), then\n"
    "                            evaluate: exactly Elasticsearch's query-time results\n"
    "  --reorder-window DUR      streaming: hold events this long to order them (default 0s)\n"
    "  --max-partials-per-key N  memory limit (library default 64)\n"
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
  if (o.sort)
    e.reorder_window = std::chrono::nanoseconds(std::numeric_limits<std::int64_t>::max());
  else if (o.reorder_window)
    e.reorder_window = *o.reorder_window;
  if (o.max_partials_per_key) e.max_partials_per_key = *o.max_partials_per_key;
  if (o.max_state_bytes) e.max_state_bytes = *o.max_state_bytes;
  if (o.max_line_bytes) e.max_line_bytes = *o.max_line_bytes;
  if (o.sort) {
    // Read everything: no buffer limit, and no time guard (sorting puts a
    // forged future event last, where it blinds nothing).
    e.max_buffered_events = std::numeric_limits<std::size_t>::max();
    e.max_buffered_bytes = std::numeric_limits<std::size_t>::max();
  } else {
    e.max_time_ahead = o.max_time_ahead.value_or(std::chrono::hours(1));
  }
  return e;
}

eqlpp::CompileOptions compile_options(const EventOptions& o) {
  eqlpp::CompileOptions c;
  if (o.category_field) c.event_category_field = *o.category_field;
  return c;
}

// Where a result stands in Elasticsearch's order (CLI.md, `query`): events
// by their ordinal; sequences in the order they complete, i.e. by the ordinal
// of their last event; samples by their first event.
std::uint64_t result_ordinal(const eqlpp::Alert& a) {
  std::uint64_t first = 0, last = 0;
  bool seen = false;
  for (const auto& e : a.events) {
    if (e.missing) continue;
    if (!seen) first = e.ordinal;
    last = std::max(last, e.ordinal);
    seen = true;
  }
  return a.rule.kind() == eqlpp::QueryKind::kSequence ? last : first;
}

struct StreamResult {
  std::uint64_t lines = 0;
  std::uint64_t too_long = 0;  // lines skipped by the reader (over max_line_bytes)
  std::uint64_t pushed = 0;    // lines given to the engine
  bool input_error = false;
  bool closed = false;
  int signal = 0;  // the stop signal that ended reading, or 0
};

// Feeds every events file to the engine; malformed lines are reported and
// skipped. Stops early on a closed or failed output, or a stop signal.
StreamResult feed(eqlpp::Engine& engine, const std::vector<std::string>& files,
                  const EventOptions& o, Out& out, TimeReports& reports) {
  StreamResult r;
  auto start = std::chrono::steady_clock::now();
  auto last = start, last_flush = start;
  const std::size_t max_line = engine.options().max_line_bytes;
  for (const auto& f : files) {
    LineReader in(f, max_line);
    if (!in.ok()) {
      std::fprintf(stderr, "%s: error: %s\n", in.name().c_str(), in.error().c_str());
      r.input_error = true;
      continue;
    }
    // A live stream's alerts go out before the program waits for more input.
    in.before_block = [&] {
      out.flush();
      last_flush = std::chrono::steady_clock::now();
    };
    LineReader::Line line;
    std::uint64_t line_no = 0;
    LineReader::Status status;
    while ((status = in.next(line)) == LineReader::Status::kLine) {
      ++line_no;
      ++r.lines;
      if (line.too_long) {
        ++r.too_long;
        std::fprintf(stderr, "%s:%llu: error: the line is %llu bytes, over the limit of %zu\n",
                     in.name().c_str(), static_cast<unsigned long long>(line_no),
                     static_cast<unsigned long long>(line.length), max_line);
        continue;
      }
      bool blank = line.text.find_first_not_of(" \t\r") == std::string_view::npos;
      if (blank) continue;
      reports.pushed(++r.pushed, &in.name(), line_no);
      if (auto st = engine.push_json(line.text); !st)
        std::fprintf(stderr, "%s:%llu: error: %s\n", in.name().c_str(),
                     static_cast<unsigned long long>(line_no), st.message().c_str());
      if (out.closed()) {
        r.closed = true;
        return r;
      }
      if (eqlpp_cli::stop_signal() != 0) break;
      if ((line_no & 0xFF) == 0 && (in.live() || o.progress)) {
        auto now = std::chrono::steady_clock::now();
        // A busy live stream that never blocks still flushes every 100 ms.
        if (in.live() && out.pending() && now - last_flush > std::chrono::milliseconds(100)) {
          out.flush();
          last_flush = now;
        }
        if (o.progress && now - last > std::chrono::milliseconds(500)) {
          last = now;
          double secs = std::chrono::duration<double>(now - start).count();
          double pct = in.total() ? 100.0 * static_cast<double>(in.bytes_read()) /
                                        static_cast<double>(in.total())
                                  : 0;
          std::fprintf(stderr, "\r%s: %llu lines, %.1f%%, %.0f events/s   ", in.name().c_str(),
                       static_cast<unsigned long long>(line_no), pct,
                       static_cast<double>(r.lines) / secs);
        }
      }
    }
    if (status == LineReader::Status::kError) {
      std::fprintf(stderr, "%s:%llu: error: %s\n", in.name().c_str(),
                   static_cast<unsigned long long>(line_no + 1), in.error().c_str());
      r.input_error = true;
    }
    if (o.progress)
      std::fprintf(stderr, "\r%s: %llu lines, done%20s\n", in.name().c_str(),
                   static_cast<unsigned long long>(line_no), "");
    if (eqlpp_cli::stop_signal() != 0) break;
  }
  r.signal = eqlpp_cli::stop_signal();
  return r;
}

void print_diagnostics(const eqlpp::Diagnostics& diags, bool json, Out& out) {
  for (const auto& d : diags) {
    if (json)
      out.line(d.to_json());
    else
      std::fprintf(stderr, "%s\n", d.render().c_str());
  }
}

// Rules from paths and -e queries.
eqlpp::LoadedRules gather_rules(const std::vector<std::string>& paths,
                                const std::vector<std::string>& queries,
                                const eqlpp::CompileOptions& copts) {
  eqlpp::LoadedRules all;
  for (const auto& p : paths) {
    auto l = eqlpp::load_rules(p, copts);
    for (auto& r : l.rules) all.rules.push_back(std::move(r));
    all.diagnostics.append(l.diagnostics);
    all.files += l.files;
    all.failed += l.failed;
  }
  for (std::size_t i = 0; i < queries.size(); ++i) {
    eqlpp::RuleMetadata meta;
    meta.name = queries.size() == 1 ? "-e" : "-e#" + std::to_string(i + 1);
    auto r = eqlpp::compile(queries[i], meta, copts, "-e");
    if (r) {
      all.diagnostics.append(r->warnings());
      all.rules.push_back(std::move(r.value()));
    } else {
      all.diagnostics.append(r.error());
      ++all.failed;
    }
  }
  return all;
}

// Reads a subcommand's arguments: `--help`/`-h` prints `help` and returns
// false (the caller exits 0); `option` takes the options it knows and returns
// true; any other `-x` is a usage error; the rest are positional.
template <class Option>
bool read_args(Args& args, const char* cmd, const std::string& help, Option option,
               std::vector<std::string>& positional) {
  while (!args.done()) {
    std::string a = args.take();
    if (a == "--help" || a == "-h") {
      std::fputs(help.c_str(), stdout);
      return false;
    }
    if (option(a)) continue;
    if (a.size() > 1 && a[0] == '-')
      throw UsageError{std::string(cmd) + ": unknown option '" + a + "'"};
    positional.push_back(a);
  }
  return true;
}

// ---- check --------------------------------------------------------------------

int cmd_check(Args& args) {
  std::vector<std::string> paths, queries;
  bool json = false;
  EventOptions eo;
  const std::string help =
      "Usage: eqlpp check [--json] [-e QUERY]... [RULES...]\n\n"
      "Parse and compile every rule (TOML, NDJSON/JSONL, .eql files, directories) and every\n"
      "-e query. Prints compiler-style diagnostics on stderr (or JSON objects on stdout with\n"
      "--json) and a summary line 'N rules: N ok, N failed' on stderr.\n"
      "Exit: 0 all compile, 1 otherwise, 2 bad usage.\n"
      "  --event-category-field F  default category field for rules without an override\n";
  auto option = [&](const std::string& a) {
    if (a == "--json")
      json = true;
    else if (a == "-e")
      queries.push_back(args.value(a));
    else if (a == "--event-category-field")
      eo.category_field = args.value(a);
    else
      return false;
    return true;
  };
  if (!read_args(args, "check", help, option, paths)) return kOk;
  if (paths.empty() && queries.empty())
    throw UsageError{"check: give rule files, directories or -e QUERY"};
  Out out;
  auto loaded = gather_rules(paths, queries, compile_options(eo));
  print_diagnostics(loaded.diagnostics, json, out);
  std::size_t ok = loaded.rules.size();
  std::size_t failed =
      loaded.failed + (loaded.diagnostics.has_errors() && loaded.failed == 0 ? 1 : 0);
  std::fprintf(stderr, "%zu rules: %zu ok, %zu failed\n", ok + loaded.failed, ok, loaded.failed);
  return out.finish((failed || loaded.diagnostics.has_errors()) ? kFail : kOk);
}

// ---- query --------------------------------------------------------------------

int run_engine(std::vector<eqlpp::Rule> rules, const std::vector<std::string>& files,
               const EventOptions& eo, bool query_output, bool stats_line) {
  Out out;
  eqlpp::Engine engine(engine_options(eo, rules));
  for (const auto& r : rules) {
    engine.add_rule(r);
    if (r.tail() && !eo.sort)
      std::fprintf(stderr, "note: '| tail' of rule '%s' applies only with --sort\n",
                   r.metadata().name.c_str());
  }
  for (const auto& id : eo.trace) {
    auto st = engine.trace(
        id, [](const eqlpp::TraceEntry& t) { std::fputs(t.to_string().c_str(), stderr); });
    if (!st) {
      std::fprintf(stderr, "eqlpp: --trace: %s\n", st.message().c_str());
      return kFail;
    }
  }
  std::vector<eqlpp::Alert> collected;
  auto render = [&](const eqlpp::Alert& a) {
    if (!query_output) return a.to_json();
    if (a.rule.kind() == eqlpp::QueryKind::kEvent)
      return a.events.front().payload ? *a.events.front().payload : std::string("{}");
    return a.to_query_json();
  };
  engine.on_alert([&](const eqlpp::Alert& a) {
    if (eo.sort)
      collected.push_back(a);
    else
      out.line(render(a));
  });
  TimeReports reports(eo.verbose, engine.options().time_jump_confirmations);
  engine.on_late([&](const eqlpp::LateEvent& e) { reports.report(e); });
  eqlpp_cli::install_stop_signals();
  auto start = std::chrono::steady_clock::now();
  StreamResult sr = feed(engine, files, eo, out, reports);
  // At end of input, and on SIGINT/SIGTERM: drain what the engine holds.
  if (!sr.closed) engine.finish();
  if (eo.sort && !out.closed()) {
    std::stable_sort(collected.begin(), collected.end(),
                     [](const eqlpp::Alert& a, const eqlpp::Alert& b) {
                       return result_ordinal(a) < result_ordinal(b);
                     });
    // head / tail per rule, in Elasticsearch's order.
    std::vector<const eqlpp::Alert*> keep;
    std::vector<std::size_t> seen_per_rule(rules.size(), 0), total_per_rule(rules.size(), 0);
    auto rule_index = [&](const eqlpp::Alert& a) {
      for (std::size_t i = 0; i < rules.size(); ++i)
        if (rules[i].impl() == a.rule.impl()) return i;
      return std::size_t{0};
    };
    for (const auto& a : collected) ++total_per_rule[rule_index(a)];
    for (const auto& a : collected) {
      std::size_t ri = rule_index(a);
      std::size_t pos = seen_per_rule[ri]++;
      const auto& r = rules[ri];
      if (r.tail() && pos + static_cast<std::size_t>(*r.tail()) < total_per_rule[ri]) continue;
      keep.push_back(&a);
    }
    for (const auto* a : keep) out.line(render(*a));
  }
  out.flush();
  reports.summary();
  const auto& st = engine.stats();
  if (stats_line) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::uint64_t read = st.events_in + sr.too_long;
    std::fprintf(stderr,
                 "events read: %llu, malformed: %llu, late: %llu, alerts: %llu, suppressed: %llu, "
                 "partials evicted: %llu, peak state: %llu bytes, keys evicted: %llu, "
                 "released early: %llu, set aside (ahead): %llu, elapsed: %.3fs, %.0f events/s\n",
                 static_cast<unsigned long long>(read),
                 static_cast<unsigned long long>(st.malformed + sr.too_long),
                 static_cast<unsigned long long>(st.late),
                 static_cast<unsigned long long>(st.alerts),
                 static_cast<unsigned long long>(st.alerts_suppressed),
                 static_cast<unsigned long long>(st.partials_evicted),
                 static_cast<unsigned long long>(st.peak_state_bytes),
                 static_cast<unsigned long long>(st.keys_evicted),
                 static_cast<unsigned long long>(st.released_early),
                 static_cast<unsigned long long>(st.ahead), secs,
                 secs > 0 ? static_cast<double>(read) / secs : 0.0);
  } else if (st.malformed || sr.too_long) {
    std::fprintf(stderr, "%llu malformed lines skipped\n",
                 static_cast<unsigned long long>(st.malformed + sr.too_long));
  }
  int rc = sr.input_error ? kFail : kOk;
  if (sr.signal != 0) {
    std::fprintf(stderr, "eqlpp: interrupted by %s: input stopped, state drained, output flushed\n",
                 sr.signal == SIGINT    ? "SIGINT"
                 : sr.signal == SIGTERM ? "SIGTERM"
                                        : "a signal");
    rc = 128 + sr.signal;
  }
  return out.finish(rc);
}

int cmd_query(Args& args) {
  EventOptions eo;
  std::vector<std::string> pos;
  const std::string help =
      std::string(
          "Usage: eqlpp query [OPTIONS] QUERY [EVENTS...]\n\n"
          "Run one EQL query over JSON lines (files, or stdin when none or '-').\n"
          "Prints each matching event's original JSON for an event query, and\n"
          "{\"join_keys\":[...],\"events\":[...]} for a sequence or sample (null for a\n"
          "missing-event stage). With --sort, results come in Elasticsearch's order and\n"
          "'| head N' / '| tail N' apply to it.\n\n"
          "  --trace                   explain on stderr, event by event, which stages matched,\n"
          "                            the condition that rejected each one, and what became of\n"
          "                            the partial sequences (why an event did not alert)\n\n") +
      kEventOptionsHelp;
  auto option = [&](const std::string& a) {
    if (a != "--trace") return event_option(a, args, eo);
    eo.trace = {""};
    return true;
  };
  if (!read_args(args, "query", help, option, pos)) return kOk;
  if (pos.empty()) throw UsageError{"query: missing QUERY"};
  std::string q = pos.front();
  std::vector<std::string> files(pos.begin() + 1, pos.end());
  if (files.empty()) files.push_back("-");
  auto r = eqlpp::compile(q, eqlpp::RuleMetadata{}, compile_options(eo), "<query>");
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().render().c_str());
    return kFail;
  }
  std::vector<eqlpp::Rule> rules{r.value()};
  return run_engine(std::move(rules), files, eo, true, false);
}

// ---- run ----------------------------------------------------------------------

// The bundled rules: share/eqlpp/rules next to an installed binary, else the
// source tree's rules/ (a build tree), else the configured install location.
std::string bundled_rules() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "eqlpp" / "rules";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  if (fs::is_directory(EQLPP_SOURCE_RULES_DIR, ec)) return EQLPP_SOURCE_RULES_DIR;
  return EQLPP_INSTALL_RULES_DIR;
}

int cmd_run(Args& args) {
  EventOptions eo;
  std::vector<std::string> rule_paths, files;
  const std::string help =
      "Usage: eqlpp run [--rules PATH]... [OPTIONS] [EVENTS...]\n\n"
      "Run every rule over JSON lines (files, or stdin when none or '-') and print one\n"
      "ECS-style alert per line. Without --rules the bundled rules are used (" +
      bundled_rules() +
      ").\nStatistics go to stderr at the end.\n\n"
      "  --rules PATH              a rule file or directory (repeatable)\n"
      "  --trace RULE_ID           explain on stderr, event by event, what the rule (by id,\n"
      "                            or name when it has none) did with each event (repeatable)\n\n" +
      kEventOptionsHelp;
  auto option = [&](const std::string& a) {
    if (a == "--trace") {
      eo.trace.push_back(args.value(a));
      return true;
    }
    if (a != "--rules") return event_option(a, args, eo);
    rule_paths.push_back(args.value(a));
    return true;
  };
  if (!read_args(args, "run", help, option, files)) return kOk;
  if (rule_paths.empty()) rule_paths.push_back(bundled_rules());
  if (files.empty()) files.push_back("-");
  auto loaded = gather_rules(rule_paths, {}, compile_options(eo));
  Out diag_out;
  print_diagnostics(loaded.diagnostics, false, diag_out);
  if (loaded.diagnostics.has_errors() || loaded.rules.empty()) {
    std::fprintf(stderr, "%zu rules: %zu ok, %zu failed\n", loaded.rules.size() + loaded.failed,
                 loaded.rules.size(), loaded.failed);
    if (loaded.rules.empty()) return kFail;
  }
  std::fprintf(stderr, "loaded %zu rules\n", loaded.rules.size());
  int rc = run_engine(std::move(loaded.rules), files, eo, false, true);
  return loaded.diagnostics.has_errors() ? kFail : rc;
}

// ---- test ---------------------------------------------------------------------

int cmd_test(Args& args) {
  std::vector<std::string> paths;
  const std::string help =
      "Usage: eqlpp test [RULES...]\n\n"
      "Run rule test files: for a rule file R, tests/<R without extension>.toml beside\n"
      "it; for a directory, every such file in its tests/ folders; a test file itself\n"
      "is accepted too. Without RULES the bundled rules are tested (" +
      bundled_rules() +
      ").\nPrints a line per case (PASS or FAIL, with the reason and the trace of the\n"
      "events involved on failure) and 'N passed, N failed'. Exit: 0 all pass, 1 a\n"
      "case failed, a test file is invalid or no case was found, 2 bad usage.\n";
  auto option = [&](const std::string&) { return false; };
  if (!read_args(args, "test", help, option, paths)) return kOk;
  if (paths.empty()) paths.push_back(bundled_rules());
  auto report = eqlpp::run_rule_tests(paths);
  Out out;
  print_diagnostics(report.diagnostics, false, out);
  for (const auto& c : report.cases) {
    std::string rule = std::filesystem::path(c.rule_file).filename().string();
    out.line(std::string(c.passed ? "PASS " : "FAIL ") + rule + ": " + c.name);
    if (!c.passed) {
      std::string msg = c.message;
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      std::string indented = "  ";
      for (char ch : msg) {
        indented += ch;
        if (ch == '\n') indented += "  ";
      }
      out.line(indented);
    }
  }
  out.line(std::to_string(report.passed) + " passed, " + std::to_string(report.failed) + " failed");
  if (out.finish(kOk) != kOk) return kFail;
  if (report.cases.empty() && report.diagnostics.empty())
    std::fprintf(stderr, "eqlpp test: no rule test cases found\n");
  bool bad = report.failed > 0 || report.diagnostics.has_errors() || report.cases.empty();
  return bad ? kFail : kOk;
}

// ---- explain ------------------------------------------------------------------

int cmd_explain(Args& args) {
  EventOptions eo;
  std::vector<std::string> pos;
  const std::string help =
      "Usage: eqlpp explain [--event-category-field F] QUERY|RULE_FILE...\n\n"
      "Print the compiled plan: stages, join keys, maxspan, until, each filter with its\n"
      "compiled matchers (wildcard sets, regexes, in-sets) and the fields read.\n";
  auto option = [&](const std::string& a) {
    if (a != "--event-category-field") return false;
    eo.category_field = args.value(a);
    return true;
  };
  if (!read_args(args, "explain", help, option, pos)) return kOk;
  if (pos.empty()) throw UsageError{"explain: missing QUERY or RULE"};
  int rc = kOk;
  Out out;
  for (const auto& p : pos) {
    std::error_code ec;
    eqlpp::LoadedRules loaded;
    if (std::filesystem::exists(p, ec))
      loaded = eqlpp::load_rules(p, compile_options(eo));
    else
      loaded = gather_rules({}, {p}, compile_options(eo));
    print_diagnostics(loaded.diagnostics, false, out);
    if (loaded.diagnostics.has_errors()) rc = kFail;
    for (const auto& r : loaded.rules) {
      std::string text = r.explain();
      if (!text.empty() && text.back() == '\n') text.pop_back();
      out.line(text);
    }
  }
  return out.finish(rc);
}

void usage(std::FILE* f) {
  std::fprintf(f,
               "Usage: eqlpp COMMAND [OPTIONS]\n\n"
               "Run Elastic EQL detection rules over JSON event streams.\n\n"
               "Commands:\n"
               "  check RULES...           parse and compile rules, print diagnostics\n"
               "  query QUERY [EVENTS]     run one query, print matching events or sequences\n"
               "  run [--rules P] [EVENTS] run rules, print ECS-style alerts\n"
               "  explain QUERY|RULE       print the compiled plan\n"
               "  test [RULES...]          run the rules' test cases (rules/tests/*.toml)\n\n"
               "  --version                print the version\n"
               "'eqlpp COMMAND --help' describes each command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return kUsage;
  }
  std::string cmd = argv[1];
  try {
    Args args(argc, argv, 2);
    if (cmd == "--version" || cmd == "version") {
      std::printf("eqlpp %s\n", std::string(eqlpp::version()).c_str());
      return eqlpp_cli::flush_stdio() ? kOk : kFail;
    }
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      usage(stdout);
      return kOk;
    }
    int rc = -1;
    if (cmd == "check") rc = cmd_check(args);
    if (cmd == "query") rc = cmd_query(args);
    if (cmd == "run") rc = cmd_run(args);
    if (cmd == "explain") rc = cmd_explain(args);
    if (cmd == "test") rc = cmd_test(args);
    if (rc < 0) throw UsageError{"unknown command '" + cmd + "'"};
    return eqlpp_cli::flush_stdio() ? rc : (rc == kOk ? kFail : rc);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "eqlpp: %s\n(see 'eqlpp --help')\n", e.message.c_str());
    return kUsage;
  }
}
