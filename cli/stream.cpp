// SPDX-License-Identifier: Apache-2.0
#include "stream.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "line_reader.hpp"
#include "output.hpp"
#include "signals.hpp"
#include "time_reports.hpp"

namespace eqlpp_cli {
namespace {

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

}  // namespace

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
  auto render = [&](const eqlpp::Alert& a) {
    if (!query_output) return a.to_json();
    if (a.rule.kind() == eqlpp::QueryKind::kEvent)
      return a.events.front().payload ? *a.events.front().payload : std::string("{}");
    return a.to_query_json();
  };
  // With --sort (batch mode) the engine delivers at finish(), in Elasticsearch's order.
  engine.on_alert([&](const eqlpp::Alert& a) { out.line(render(a)); });
  TimeReports reports(eo.verbose, engine.options().time_jump_confirmations);
  engine.on_late([&](const eqlpp::LateEvent& e) { reports.report(e); });
  eqlpp_cli::install_stop_signals();
  auto start = std::chrono::steady_clock::now();
  StreamResult sr = feed(engine, files, eo, out, reports);
  // At end of input, and on SIGINT/SIGTERM: drain what the engine holds.
  if (!sr.closed) engine.finish();
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

}  // namespace eqlpp_cli
