// SPDX-License-Identifier: Apache-2.0
// The eqlpp command line (see docs/CLI.md): check, query, run, explain, test.
// Argument reading is in args.*, running rules over events in stream.*.
// Uses only the public API. Results on stdout, diagnostics and statistics on
// stderr. Exit codes: 0 success, 1 rule/query error, failed check or I/O
// error, 2 bad usage, 128+N stopped by signal N (SIGINT 130, SIGTERM 143)
// after draining the engine and flushing the output.
#include <csignal>
#include <cstdio>
#include <eqlpp/eqlpp.hpp>
#include <eqlpp/harness.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "output.hpp"
#include "stream.hpp"

namespace {

using eqlpp_cli::Args;
using eqlpp_cli::compile_options;
using eqlpp_cli::event_option;
using eqlpp_cli::EventOptions;
using eqlpp_cli::kEventOptionsHelp;
using eqlpp_cli::kFail;
using eqlpp_cli::kOk;
using eqlpp_cli::kUsage;
using eqlpp_cli::Out;
using eqlpp_cli::read_args;
using eqlpp_cli::run_engine;
using eqlpp_cli::UsageError;

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
