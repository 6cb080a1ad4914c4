// SPDX-License-Identifier: Apache-2.0
// `eqlpp explain QUERY|RULE`: print the compiled plan.
#include <cstdio>
#include <filesystem>

#include "commands.hpp"

namespace eqlpp_cli {

int cmd_explain(Args& args) {
  EventOptions eo;
  std::vector<std::string> pos;
  const std::string help =
      "Usage: eqlpp explain [--event-category-field F] [--dialect D] [--mapping FILE]...\n"
      "                     QUERY|RULE_FILE...\n\n"
      "Print the compiled plan: stages, join keys, maxspan, until, each filter with its\n"
      "compiled matchers (wildcard sets, regexes, in-sets) and the fields read.\n";
  auto option = [&](const std::string& a) {
    if (a != "--event-category-field" && a != "--dialect" && a != "--mapping") return false;
    return event_option(a, args, eo);
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

}  // namespace eqlpp_cli
