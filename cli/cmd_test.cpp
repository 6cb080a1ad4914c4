// SPDX-License-Identifier: Apache-2.0
// `eqlpp test [RULES...]`: run the rules' test cases.
#include <cstdio>
#include <eqlpp/harness.hpp>
#include <filesystem>

#include "commands.hpp"

namespace eqlpp_cli {

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

}  // namespace eqlpp_cli
