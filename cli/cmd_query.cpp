// SPDX-License-Identifier: Apache-2.0
// `eqlpp query QUERY [EVENTS]`: run one query, print what matched.
#include <cstdio>

#include "commands.hpp"
#include "stream.hpp"

namespace eqlpp_cli {

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

}  // namespace eqlpp_cli
