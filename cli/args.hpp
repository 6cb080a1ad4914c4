// SPDX-License-Identifier: Apache-2.0
// Reading the command line: the arguments of a subcommand, the event options
// that query and run share, and how they become engine and compile options.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <eqlpp/eqlpp.hpp>
#include <optional>
#include <string>
#include <vector>

namespace eqlpp_cli {

constexpr int kOk = 0, kFail = 1, kUsage = 2;

/// Bad usage: main() prints it and exits 2.
struct UsageError {
  std::string message;
};

struct EventOptions {
  std::optional<std::string> timestamp_field, tiebreaker_field, category_field;
  bool sort = false;
  std::optional<std::chrono::nanoseconds> reorder_window;
  std::optional<std::size_t> max_partials_per_key, max_state_bytes, max_line_bytes;
  std::optional<std::size_t> max_samples_per_key;
  std::vector<std::string> mappings;  // --mapping (repeatable): each mapping's JSON text, validated
  eqlpp::Dialect dialect = eqlpp::Dialect::kAuto;  // --dialect
  bool progress = false;
  bool verbose = false;
  std::optional<std::chrono::nanoseconds> max_time_ahead;
  std::vector<std::string> trace;  // rule ids to trace ("" = every rule)
  // `run --state-dir DIR [--checkpoint-interval DUR|N]`: checkpoints every
  // DUR of wall-clock time, or every N events.
  std::string state_dir;
  std::chrono::nanoseconds checkpoint_every = std::chrono::seconds(10);
  std::uint64_t checkpoint_events = 0;  // N, when given as a count
  // `run --threads N [--partition-by FIELD]` (0: one engine, no threads).
  std::size_t threads = 0;
  std::string partition_by = "host.id";
};

/// The arguments after the subcommand, taken one by one.
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

/// "500ms", "2s", "1m", "1h", "1d" (and "0"); a UsageError otherwise.
std::chrono::nanoseconds parse_duration(const std::string& s);
/// A non-negative integer for option `opt`; a UsageError otherwise.
std::size_t parse_count(const std::string& opt, const std::string& s);
/// Takes a common event option if `a` is one; returns false otherwise.
bool event_option(const std::string& a, Args& args, EventOptions& o);
/// The help text of the common event options.
extern const char* const kEventOptionsHelp;
/// Engine options from the event options and the rules' own settings.
eqlpp::EngineOptions engine_options(const EventOptions& o, const std::vector<eqlpp::Rule>& rules);
eqlpp::CompileOptions compile_options(const EventOptions& o);

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

}  // namespace eqlpp_cli
