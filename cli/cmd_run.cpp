// SPDX-License-Identifier: Apache-2.0
// `eqlpp run [--rules P] [EVENTS]`: run rules, print ECS-style alerts.
#include <cstdio>

#include "commands.hpp"
#include "stream.hpp"

namespace eqlpp_cli {

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
      "                            or name when it has none) did with each event (repeatable)\n"
      "  --state-dir DIR           restore state from DIR on start and checkpoint it there,\n"
      "                            with the input position, periodically and on SIGINT or\n"
      "                            SIGTERM: a restarted run resumes where the checkpoint stands\n"
      "  --checkpoint-interval DUR|N  every DUR of wall-clock time (default 10s) or every N\n"
      "                            events (a plain number)\n"
      "  --threads N               run N engines on N threads, events routed by a hash of\n"
      "                            --partition-by FIELD (default host.id); rules that are not\n"
      "                            partition-safe run on one more engine fed every event.\n"
      "                            The same alerts as one engine (with --sort, in the same "
      "order)\n\n" +
      kEventOptionsHelp;
  auto option = [&](const std::string& a) {
    if (a == "--trace") {
      eo.trace.push_back(args.value(a));
      return true;
    }
    if (a == "--threads") {
      eo.threads = parse_count(a, args.value(a));
      if (eo.threads == 0 || eo.threads > 256) throw UsageError{"--threads takes 1 to 256"};
      return true;
    }
    if (a == "--partition-by") {
      eo.partition_by = args.value(a);
      if (eo.partition_by.empty()) throw UsageError{"--partition-by needs a field"};
      return true;
    }
    if (a == "--state-dir") {
      eo.state_dir = args.value(a);
      return true;
    }
    if (a == "--checkpoint-interval") {
      const std::string v = args.value(a);
      if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) {
        eo.checkpoint_events = parse_count(a, v);
        if (eo.checkpoint_events == 0) throw UsageError{"--checkpoint-interval: must be positive"};
      } else {
        eo.checkpoint_every = parse_duration(v);
        eo.checkpoint_events = 0;
      }
      return true;
    }
    if (a != "--rules") return event_option(a, args, eo);
    rule_paths.push_back(args.value(a));
    return true;
  };
  if (!read_args(args, "run", help, option, files)) return kOk;
  if (eo.threads > 0 && !eo.state_dir.empty())
    throw UsageError{
        "run: --threads and --state-dir do not go together yet (one engine per state directory)"};
  if (eo.threads > 0 && !eo.trace.empty())
    throw UsageError{"run: --trace needs one engine: drop --threads"};
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

}  // namespace eqlpp_cli
