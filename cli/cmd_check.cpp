// SPDX-License-Identifier: Apache-2.0
// `eqlpp check RULES...`: parse and compile rules, print diagnostics.
#include <cstdio>

#include "commands.hpp"

namespace eqlpp_cli {

int cmd_check(Args& args) {
  std::vector<std::string> paths, queries;
  bool json = false;
  std::string partition_by;
  EventOptions eo;
  const std::string help =
      "Usage: eqlpp check [--json] [-e QUERY]... [RULES...]\n\n"
      "Parse and compile every rule (TOML, NDJSON/JSONL, .eql files, directories) and every\n"
      "-e query. Prints compiler-style diagnostics on stderr (or JSON objects on stdout with\n"
      "--json) and a summary line 'N rules: N ok, N failed' on stderr.\n"
      "Exit: 0 all compile, 1 otherwise, 2 bad usage.\n"
      "  --event-category-field F  default category field for rules without an override\n"
      "  --dialect D               elasticsearch or endpoint (default: by the rule's layout)\n"
      "  --partition-by FIELD      also print, per rule, whether splitting the stream by\n"
      "                            FIELD gives the same alerts (stdout: SAFE or UNSAFE)\n"
      "  --mapping FILE            an Elasticsearch index mapping to compile against\n"
      "                            (repeatable; mappings/ecs.json has ECS's field types)\n";
  auto option = [&](const std::string& a) {
    if (a == "--json")
      json = true;
    else if (a == "-e")
      queries.push_back(args.value(a));
    else if (a == "--partition-by") {
      partition_by = args.value(a);
      if (partition_by.empty()) throw UsageError{"--partition-by needs a field"};
    } else if (a == "--event-category-field" || a == "--mapping" || a == "--dialect")
      return event_option(a, args, eo);
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
  if (!partition_by.empty()) {
    // The partition plan: one line (or JSON object) per rule that compiled.
    std::size_t safe = 0;
    for (const auto& v : eqlpp::plan_partitions(loaded.rules, partition_by)) {
      const auto& m = v.rule.metadata();
      safe += v.safe;
      if (json) {
        auto q = [](const std::string& t) { return eqlpp::Value(std::string_view(t)).to_json(); };
        out.line("{\"rule_id\":" + q(m.id) + ",\"name\":" + q(m.name) + ",\"partition_by\":" +
                 q(partition_by) + ",\"partition_safe\":" + (v.safe ? "true" : "false") +
                 (v.safe ? "" : ",\"reason\":" + q(v.reason)) + "}");
      } else {
        out.line(std::string(v.safe ? "SAFE   " : "UNSAFE ") + (m.id.empty() ? m.name : m.id) +
                 " " + m.name + (v.safe ? "" : ": " + v.reason));
      }
    }
    std::fprintf(stderr, "partition by %s: %zu of %zu rules are partition-safe\n",
                 partition_by.c_str(), safe, loaded.rules.size());
  }
  std::fprintf(stderr, "%zu rules: %zu ok, %zu failed\n", ok + loaded.failed, ok, loaded.failed);
  return out.finish((failed || loaded.diagnostics.has_errors()) ? kFail : kOk);
}

}  // namespace eqlpp_cli
