// SPDX-License-Identifier: Apache-2.0
// The eqlpp command line (see docs/CLI.md): check, query, run, explain, test,
// one file each (commands.hpp). Argument reading is in args.*, running rules
// over events in stream.*. Uses only the public API. Results on stdout,
// diagnostics and statistics on stderr. Exit codes: 0 success, 1 rule/query
// error, failed check or I/O error, 2 bad usage, 128+N stopped by signal N
// (SIGINT 130, SIGTERM 143) after draining the engine and flushing the output.
#include <csignal>
#include <cstdio>
#include <eqlpp/eqlpp.hpp>
#include <string>

#include "args.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace {

using eqlpp_cli::Args;
using eqlpp_cli::kFail;
using eqlpp_cli::kOk;
using eqlpp_cli::kUsage;
using eqlpp_cli::UsageError;

void usage(std::FILE* f) {
  std::fprintf(f,
               "Usage: eqlpp COMMAND [OPTIONS]\n\n"
               "Run Elastic EQL detection rules over JSON event streams.\n\n"
               "Commands:\n"
               "  check RULES...           parse and compile rules, print diagnostics\n"
               "  query QUERY [EVENTS]     run one query, print matching events or sequences\n"
               "  run [--rules P] [EVENTS] run rules, print ECS-style alerts\n"
               "  explain QUERY|RULE       print the compiled plan\n"
               "  test [RULES...]          run the rules' test cases (rules/tests/*.toml)\n"
               "  consume --brokers L --group G --topic T\n"
               "                           run rules as a Kafka consumer-group member\n\n"
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
    if (cmd == "check") rc = eqlpp_cli::cmd_check(args);
    if (cmd == "query") rc = eqlpp_cli::cmd_query(args);
    if (cmd == "run") rc = eqlpp_cli::cmd_run(args);
    if (cmd == "explain") rc = eqlpp_cli::cmd_explain(args);
    if (cmd == "test") rc = eqlpp_cli::cmd_test(args);
    if (cmd == "consume") rc = eqlpp_cli::cmd_consume(args);
    if (rc < 0) throw UsageError{"unknown command '" + cmd + "'"};
    return eqlpp_cli::flush_stdio() ? rc : (rc == kOk ? kFail : rc);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "eqlpp: %s\n(see 'eqlpp --help')\n", e.message.c_str());
    return kUsage;
  }
}
