// SPDX-License-Identifier: Apache-2.0
// Rule test files (`eqlpp test`): rules/tests/<rule file name>.toml.
#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eqlpp/harness.hpp"
#include "util/source_files.hpp"

namespace eqlpp {
namespace {

namespace fs = std::filesystem;

const char* const kRuleExtensions[] = {".toml", ".eql", ".ndjson", ".jsonl"};

using detail::read_file;

// A problem in a rule test file, at a line and column when known.
Diagnostic file_error(const std::string& name, const std::string& text, std::string message,
                      std::uint32_t line = 0, std::uint32_t col = 0) {
  if (line == 0) return detail::file_diag(DiagCode::kTomlError, Severity::kError, name, message);
  return detail::file_diag(DiagCode::kTomlError, Severity::kError, name, std::move(message),
                           std::make_shared<SourceFile>(name, text),
                           detail::offset_of(text, line, col));
}

std::string join(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out + "]";
}

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    out += pad + text.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return out;
}

class Runner {
 public:
  RuleTestReport report;

  void test_file(const fs::path& file) {
    std::string text;
    const std::string name = file.string();
    if (!read_file(file, text)) {
      report.diagnostics.add(file_error(name, "", "cannot read the rule test file"));
      return;
    }
    toml::table doc;
    try {
      doc = toml::parse(text, name);
    } catch (const toml::parse_error& e) {
      report.diagnostics.add(file_error(name, text, std::string(e.description()),
                                        e.source().begin.line, e.source().begin.column));
      return;
    }
    fs::path rule_file;
    if (auto r = doc["rule_file"].value<std::string>()) {
      rule_file = file.parent_path() / *r;
    } else {
      for (const char* ext : kRuleExtensions) {
        fs::path cand = file.parent_path().parent_path() / (file.stem().string() + ext);
        std::error_code ec;
        if (fs::is_regular_file(cand, ec)) {
          rule_file = cand;
          break;
        }
      }
    }
    if (rule_file.empty()) {
      report.diagnostics.add(
          file_error(name, text,
                     "no rule file for this test file: expected ../" + file.stem().string() +
                         ".toml (or .eql, .ndjson, .jsonl), or a top-level rule_file = \"...\""));
      return;
    }
    auto cases = doc["case"].as_array();
    if (!cases || cases->empty()) {
      report.diagnostics.add(file_error(name, text, "no [[case]] tables in the rule test file"));
      return;
    }
    std::size_t index = 0;
    for (auto& node : *cases) {
      ++index;
      auto* tbl = node.as_table();
      std::uint32_t line = node.source().begin.line, col = node.source().begin.column;
      if (!tbl) {
        report.diagnostics.add(file_error(name, text, "a [[case]] must be a table", line, col));
        continue;
      }
      run_case(file, text, rule_file, *tbl, index);
    }
  }

 private:
  void run_case(const fs::path& file, const std::string& text, const fs::path& rule_file,
                const toml::table& c, std::size_t index) {
    RuleTestOutcome out;
    out.test_file = file.string();
    out.rule_file = rule_file.string();
    out.name = c["name"].value_or(std::string("case ") + std::to_string(index));
    auto fail = [&](std::string why) {
      out.passed = false;
      out.message = std::move(why);
      ++report.failed;
      report.cases.push_back(std::move(out));
    };
    std::uint32_t line = c.source().begin.line, col = c.source().begin.column;
    // Expected alerts.
    auto* alerts = c["alerts"].as_array();
    if (!alerts) {
      report.diagnostics.add(file_error(file.string(), text,
                                        "case '" + out.name +
                                            "' has no `alerts` (a list of expected alerts, each "
                                            "a list of event ids; [] for none)",
                                        line, col));
      return;
    }
    std::vector<std::vector<std::string>> expected;
    for (auto& a : *alerts) {
      auto* ids = a.as_array();
      if (!ids) {
        report.diagnostics.add(file_error(file.string(), text,
                                          "each expected alert is a list of event ids",
                                          a.source().begin.line, a.source().begin.column));
        return;
      }
      std::vector<std::string> v;
      for (auto& id : *ids) {
        if (auto s = id.value<std::string>())
          v.push_back(*s);
        else if (auto n = id.value<std::int64_t>())
          v.push_back(std::to_string(*n));
        else {
          report.diagnostics.add(file_error(file.string(), text,
                                            "an event id is a string (event.id) or an integer "
                                            "(1-based position)",
                                            id.source().begin.line, id.source().begin.column));
          return;
        }
      }
      expected.push_back(std::move(v));
    }
    // Events.
    std::string events;
    if (auto e = c["events"].value<std::string>()) {
      events = *e;
    } else if (auto f = c["events_file"].value<std::string>()) {
      if (!read_file(file.parent_path() / *f, events))
        return fail("cannot read events_file '" + (file.parent_path() / *f).string() + "'");
    } else {
      report.diagnostics.add(file_error(file.string(), text,
                                        "case '" + out.name + "' has no `events` or `events_file`",
                                        line, col));
      return;
    }
    auto h = RuleHarness::from_file(rule_file.string());
    if (!h) return fail("the rule does not compile:\n" + h.error().render());
    if (Status st = h->push_lines(events); !st) return fail("bad event: " + st.message());
    std::optional<std::string> only = c["rule"].value<std::string>();
    std::vector<std::vector<std::string>> got;
    std::vector<const HarnessAlert*> got_alerts;
    for (const auto& a : h->alerts()) {
      if (only && a.rule_id != *only && a.alert.rule.metadata().name != *only) continue;
      got.push_back(a.event_ids);
      got_alerts.push_back(&a);
    }
    // Compare as multisets: each expected alert consumes one equal alert.
    std::vector<bool> used(got.size(), false);
    std::string why;
    for (const auto& e : expected) {
      bool found = false;
      for (std::size_t i = 0; i < got.size() && !found; ++i) {
        if (!used[i] && got[i] == e) used[i] = found = true;
      }
      if (!found) {
        why += "expected an alert with events " + join(e) +
               "; none was raised. Trace of those events:\n";
        why += indent(h->trace_text(e), "  ");
      }
    }
    for (std::size_t i = 0; i < got.size(); ++i) {
      if (used[i]) continue;
      why += "unexpected alert of " + got_alerts[i]->to_string() + "\n";
    }
    // Optional: text the trace must contain (e.g. the condition that excludes an event).
    if (auto* want = c["trace_contains"].as_array()) {
      std::string trace = h->trace_text();
      for (auto& w : *want) {
        auto s = w.value<std::string>();
        if (s && trace.find(*s) == std::string::npos)
          why += "the trace does not contain \"" + *s + "\". Trace:\n" + indent(trace, "  ");
      }
    }
    if (!why.empty()) return fail(why);
    out.passed = true;
    ++report.passed;
    report.cases.push_back(std::move(out));
  }
};

bool in_tests_dir(const fs::path& p) { return p.parent_path().filename() == "tests"; }

}  // namespace

RuleTestReport run_rule_tests(const std::vector<std::string>& paths) {
  Runner r;
  for (const auto& p : paths) {
    fs::path path(p);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> files;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".toml" &&
            in_tests_dir(it->path()))
          files.push_back(it->path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) r.test_file(f);
    } else if (fs::is_regular_file(path, ec)) {
      if (in_tests_dir(path)) {
        r.test_file(path);
      } else {
        fs::path t = path.parent_path() / "tests" / (path.stem().string() + ".toml");
        if (fs::is_regular_file(t, ec))
          r.test_file(t);
        else
          r.report.diagnostics.add(
              file_error(p, "", "no rule tests for this rule file (expected " + t.string() + ")"));
      }
    } else {
      r.report.diagnostics.add(file_error(p, "", "no such file or directory"));
    }
  }
  return std::move(r.report);
}

}  // namespace eqlpp
