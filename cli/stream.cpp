// SPDX-License-Identifier: Apache-2.0
#include "stream.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <type_traits>

#include "checkpoint.hpp"
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
  bool checkpoint_failed = false;
};

// --state-dir: where the input stands, and when the next checkpoint is due.
struct Checkpoints {
  StateDir* dir = nullptr;  // null: no --state-dir
  InputPosition pos;
  std::uint64_t every_events = 0;
  std::chrono::nanoseconds every{0};
  std::uint64_t since = 0;  // events pushed since the last checkpoint
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();

  // After a line: whether a checkpoint is due (the clock is read every 64 lines).
  bool due() {
    if (!dir) return false;
    ++since;
    if (every_events) return since >= every_events;
    if (every.count() <= 0 || (since & 63) != 0) return false;
    return std::chrono::steady_clock::now() - last >= every;
  }
  // Alerts so far are flushed first, so that none is lost: the ones after
  // the checkpoint may be delivered again after a crash (at least once).
  bool write(const eqlpp::Engine& engine, Out& out) {
    out.flush();
    since = 0;
    last = std::chrono::steady_clock::now();
    return dir->write(engine, pos);
  }
};

// Feeds every events file to the engine; malformed lines are reported and
// skipped. Stops early on a closed or failed output, or a stop signal.
template <class E>  // eqlpp::Engine or eqlpp::ShardedEngine
StreamResult feed(E& engine, const std::vector<std::string>& files, const EventOptions& o, Out& out,
                  TimeReports& reports, Checkpoints& cp) {
  StreamResult r;
  r.too_long = cp.pos.too_long;
  auto start = std::chrono::steady_clock::now();
  auto last = start, last_flush = start;
  const std::size_t max_line = engine.options().max_line_bytes;
  for (std::size_t fi = cp.pos.file; fi < files.size(); ++fi) {
    const std::string& f = files[fi];
    const bool resume = cp.dir && fi == cp.pos.file && cp.pos.line > 0;
    if (cp.pos.file != fi) {
      cp.pos.file = fi;
      cp.pos.offset = cp.pos.line = 0;
    }
    LineReader in(f, max_line);
    if (!in.ok()) {
      std::fprintf(stderr, "%s: error: %s\n", in.name().c_str(), in.error().c_str());
      r.input_error = true;
      continue;
    }
    std::uint64_t line_no = 0;
    if (resume) {
      // A file continues at its byte offset; stdin or a pipe skips the lines read before.
      if (!in.live()) {
        if (!in.seek(cp.pos.offset)) {
          std::fprintf(stderr, "%s: error: %s\n", in.name().c_str(), in.error().c_str());
          r.input_error = true;
          return r;
        }
        line_no = cp.pos.line;
      } else {
        LineReader::Line skip;
        while (line_no < cp.pos.line && in.next(skip) == LineReader::Status::kLine) ++line_no;
      }
    }
    // A live stream's alerts go out before the program waits for more input.
    in.before_block = [&] {
      if constexpr (std::is_same_v<E, eqlpp::ShardedEngine>) engine.flush();  // lines in batches
      out.flush();
      last_flush = std::chrono::steady_clock::now();
    };
    LineReader::Line line;
    LineReader::Status status;
    while ((status = in.next(line)) == LineReader::Status::kLine) {
      ++line_no;
      ++r.lines;
      cp.pos.line = line_no;
      cp.pos.offset = in.bytes_read();
      if (line.too_long) {
        ++r.too_long;
        cp.pos.too_long = r.too_long;
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
      if constexpr (std::is_same_v<E, eqlpp::Engine>) {
        if (cp.due() && !cp.write(engine, out)) {
          r.checkpoint_failed = true;
          return r;
        }
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

void print_stats(const eqlpp::EngineStats& st, const StreamResult& sr,
                 std::chrono::steady_clock::time_point start, bool stats_line) {
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
}

}  // namespace

int run_sharded(std::vector<eqlpp::Rule> rules, const std::vector<std::string>& files,
                const EventOptions& eo, bool stats_line) {
  Out out;
  eqlpp::ShardedEngine engine(engine_options(eo, rules),
                              {.threads = eo.threads, .partition_by = eo.partition_by});
  for (const auto& r : rules) engine.add_rule(r);
  std::size_t unsafe = 0;
  for (const auto& v : engine.plan()) unsafe += v.safe ? 0u : 1u;
  std::fprintf(stderr,
               "%zu partition shards by %s; %zu rules on a dedicated shard (not partition-safe)\n",
               eo.threads, eo.partition_by.c_str(), unsafe);
  engine.on_alert([&](const eqlpp::Alert& a) { out.line(a.to_json()); });
  TimeReports reports(false, engine.options().time_jump_confirmations);
  Checkpoints cp;
  eqlpp_cli::install_stop_signals();
  auto start = std::chrono::steady_clock::now();
  StreamResult sr = feed(engine, files, eo, out, reports, cp);
  if (!sr.closed) engine.finish();
  out.flush();
  print_stats(engine.stats(), sr, start, stats_line);
  int rc = sr.input_error ? kFail : kOk;
  if (sr.signal != 0) {
    std::fprintf(stderr,
                 "eqlpp: interrupted by a signal: input stopped, state drained, output flushed\n");
    rc = 128 + sr.signal;
  }
  return out.finish(rc);
}

int run_engine(std::vector<eqlpp::Rule> rules, const std::vector<std::string>& files,
               const EventOptions& eo, bool query_output, bool stats_line) {
  if (eo.threads > 0) return run_sharded(std::move(rules), files, eo, stats_line);
  Out out;
  eqlpp::Engine engine(engine_options(eo, rules));
  for (const auto& r : rules) {
    engine.add_rule(r);
    if (r.tail() && !eo.sort)
      std::fprintf(stderr, "note: '| tail' of rule '%s' applies only with --sort\n",
                   r.metadata().name.c_str());
  }
  std::optional<StateDir> state;
  Checkpoints cp;
  cp.pos.inputs = files;
  if (!eo.state_dir.empty()) {
    state.emplace(eo.state_dir);
    cp.dir = &*state;
    cp.every = eo.checkpoint_every;
    cp.every_events = eo.checkpoint_events;
    bool restored = false;
    if (!state->open(engine, cp.pos, restored)) return kFail;
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
  StreamResult sr = feed(engine, files, eo, out, reports, cp);
  if (cp.dir && !sr.closed && !sr.checkpoint_failed) {
    // The state before the end of the stream: a run restarted over more
    // input (a file that grew) continues every partial. On SIGINT/SIGTERM
    // nothing is drained: the restarted run goes on from here.
    if (sr.input_error || !cp.write(engine, out)) sr.checkpoint_failed = true;
  }
  // At end of input, and on SIGINT/SIGTERM: drain what the engine holds
  // (with --state-dir, only at the end of input).
  if (!sr.closed && !(cp.dir && (sr.signal != 0 || sr.checkpoint_failed))) engine.finish();
  out.flush();
  reports.summary();
  print_stats(engine.stats(), sr, start, stats_line);
  int rc = sr.input_error || sr.checkpoint_failed ? kFail : kOk;
  if (sr.signal != 0) {
    std::fprintf(stderr, "eqlpp: interrupted by %s: input stopped, %s, output flushed\n",
                 sr.signal == SIGINT    ? "SIGINT"
                 : sr.signal == SIGTERM ? "SIGTERM"
                                        : "a signal",
                 cp.dir ? (sr.checkpoint_failed ? "NO checkpoint written" : "state checkpointed")
                        : "state drained");
    rc = 128 + sr.signal;
  }
  return out.finish(rc);
}

}  // namespace eqlpp_cli
