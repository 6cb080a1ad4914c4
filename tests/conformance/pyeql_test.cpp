// SPDX-License-Identifier: Apache-2.0
// The Python reference engine's suite (../shared/conformance/python-eql),
// run under Elasticsearch semantics. Queries are translated from PyEQL's
// dialect where the translation is mechanical ('x' -> "x", = -> ==,
// ?"raw" -> """raw""", bare maxspan seconds -> Ns). Data is loaded the way
// Elasticsearch's own harness loads it: @timestamp = timestamp / 10000 -
// 11644473600000 (ms), category field event_type, tiebreaker serial_event_id,
// results in Elasticsearch's order (--sort semantics).
//
// Excluded queries are listed with a one-line reason each (kExcluded below,
// plus dialect features detected by `dialect_reason`); every other query must
// give exactly the expected event ids.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compile/binder.hpp"
#include "eqlpp/engine.hpp"

namespace {

std::string shared(const std::string& rel) {
  return std::string(EQLPP_SHARED_DIR) + "/conformance/python-eql/" + rel;
}

std::vector<std::string> event_lines() {
  std::ifstream in(shared("test_data.json"));
  std::stringstream ss;
  ss << in.rdbuf();
  auto arr = nlohmann::json::parse(ss.str());
  std::vector<std::string> out;
  for (auto e : arr) {
    e["@timestamp"] = e["timestamp"].get<std::int64_t>() / 10000 - 11644473600000LL;
    out.push_back(e.dump());
  }
  return out;
}

// PyEQL dialect -> Elasticsearch 8 syntax, where the mapping is mechanical.
std::string translate(const std::string& q) {
  std::string out;
  for (std::size_t i = 0; i < q.size(); ++i) {
    char c = q[i];
    if (c == '"' || c == '\'' ||
        (c == '?' && i + 1 < q.size() && (q[i + 1] == '"' || q[i + 1] == '\''))) {
      bool raw = c == '?';
      if (raw) c = q[++i];
      if (c == '"' && q.compare(i, 3, "\"\"\"") == 0) {  // already a triple-quoted string
        std::size_t end = q.find("\"\"\"", i + 3);
        out += q.substr(i, end + 3 - i);
        i = end + 2;
        continue;
      }
      char quote = c;
      std::string body;
      std::size_t j = i + 1;
      for (; j < q.size() && q[j] != quote; ++j) {
        if (q[j] == '\\' && !raw && j + 1 < q.size()) {
          body += q[j];
          body += q[++j];
        } else {
          body += q[j];
        }
      }
      i = j;
      if (raw) {
        out += "\"\"\"" + body + "\"\"\"";
      } else {
        std::string esc;
        for (std::size_t k = 0; k < body.size(); ++k) {
          if (body[k] == '\\' && k + 1 < body.size()) {
            if (body[k + 1] == '\'')
              esc += '\'';
            else {
              esc += body[k];
              esc += body[k + 1];
            }
            ++k;
          } else if (body[k] == '"') {
            esc += "\\\"";
          } else {
            esc += body[k];
          }
        }
        out += "\"" + esc + "\"";
      }
      continue;
    }
    if (c == '=' && (i == 0 || std::string("=!<>").find(q[i - 1]) == std::string::npos) &&
        (i + 1 >= q.size() || q[i + 1] != '=')) {
      // maxspan=N / runs=N keep '='; a bare maxspan number is seconds in PyEQL.
      std::size_t k = out.find_last_not_of(' ');
      bool assign = k != std::string::npos && k >= 6 &&
                    (out.compare(k - 6, 7, "maxspan") == 0 || out.compare(k - 3, 4, "runs") == 0);
      if (assign) {
        out += '=';
        if (out.compare(k - 6, 7, "maxspan") == 0) {
          std::size_t j = i + 1;
          while (j < q.size() && q[j] == ' ') ++j;
          std::size_t d = j;
          while (d < q.size() && std::isdigit(static_cast<unsigned char>(q[d]))) ++d;
          std::size_t u = d;
          while (u < q.size() && std::isalpha(static_cast<unsigned char>(q[u]))) ++u;
          out += q.substr(j, d - j);
          out += u == d ? "s" : q.substr(d, u - d);
          i = u - 1;
        }
      } else {
        out += "==";
      }
      continue;
    }
    out += c;
  }
  return out;
}

// Features of PyEQL's dialect that Elasticsearch does not have.
std::string dialect_reason(const std::string& q) {
  for (const char* pipe :
       {"| filter", "| unique", "| sort", "| count", "| window", "|filter", "|unique"})
    if (q.find(pipe) != std::string::npos) return std::string("PyEQL-only pipe '") + pipe + "'";
  for (const char* kw : {"join ", "arrayContains", "arrayCount", "arraySearch", "wildcard(",
                         "matchLite", "match(", "safe(", "length(\"\")"})
    if (q.find(kw) != std::string::npos) return std::string("PyEQL-only feature '") + kw + "'";
  if (q.rfind("join", 0) == 0) return "PyEQL-only 'join'";
  if (q.find("fork=") != std::string::npos) return "PyEQL-only stage option 'fork'";
  for (std::size_t i = q.find('['); i != std::string::npos; i = q.find('[', i + 1))
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(q[i - 1])) || q[i - 1] == '_') &&
        i + 1 < q.size() && std::isdigit(static_cast<unsigned char>(q[i + 1])))
      return "PyEQL array indexing 'field[N]'";
  // '==' / '!=' against a string with '*': a wildcard in PyEQL, a literal in ES.
  for (const char* op : {"==", "!=", "="}) {
    for (std::size_t i = q.find(op); i != std::string::npos; i = q.find(op, i + 1)) {
      std::size_t j = i + std::strlen(op);
      while (j < q.size() && q[j] == ' ') ++j;
      if (j < q.size() && (q[j] == '"' || q[j] == '\'')) {
        std::size_t end = q.find(q[j], j + 1);
        if (end != std::string::npos && q.substr(j, end - j).find('*') != std::string::npos)
          return "PyEQL: '==' with '*' is a wildcard match; ES compares literally";
      }
    }
  }
  // Method-call syntax: "hello":length()
  for (std::size_t i = q.find(':'); i != std::string::npos; i = q.find(':', i + 1)) {
    std::size_t j = i + 1;
    while (j < q.size() && std::isalpha(static_cast<unsigned char>(q[j]))) ++j;
    if (j > i + 1 && j < q.size() && q[j] == '(') return "PyEQL method-call syntax 'x:fn()'";
  }
  return {};
}

struct Excluded {
  const char* query_start;
  const char* reason;
};

// Semantic differences named in ../shared/design/eql-semantics.md (§3.4, §4, §5).
const Excluded kExcluded[] = {
    {"process where process_name == \"svchost.exe\" and command_line != \"* -k *\"",
     "PyEQL: '!=' with a wildcard pattern; ES compares literally"},
    {"sequence\n  [process where serial_event_id<3] by unique_pid * 2, length(unique_pid)",
     "ES length() takes strings (keyword fields) only; PyEQL measures a number"},
};

// Fold tests whose PyEQL answer differs from Elasticsearch's (eql-semantics.md §5).
const Excluded kFoldExcluded[] = {
    {"between(\"welcome to the planet\", \"welcome\", \"village\")",
     "ES returns \"\" when right is not found; PyEQL null"},
    {"between(\"welcome to the planet\", \"goodbye\", \"planet\")",
     "ES returns \"\" when left is not found; PyEQL null"},
    {"between(\"welcome to the planet\", \"welcome\", \"x\"",
     "ES returns \"\" when right is not found; PyEQL null"},
    {"between(\"welcome to the planet\", \"\"",
     "ES returns the source unchanged when left or right is \"\""},
    {"indexOf(\"foobarbaz\", \"o\", null)", "ES folds a call with a literal null argument to null"},
    {"substring(\"hello world\", null", "ES folds a call with a literal null argument to null"},
    {"substring(\"hello world\", 6, null)", "ES folds a call with a literal null argument to null"},
    {"substring(\"hello world\", -5, null)",
     "ES folds a call with a literal null argument to null"},
};

bool uses_lineage(const std::string& q) {
  for (const char* kw : {"descendant of", "child of", "event of"})
    if (q.find(kw) != std::string::npos) return true;
  return false;
}

std::vector<std::int64_t> run(const std::string& query, const std::vector<std::string>& lines,
                              std::string& error) {
  // Lineage is Endpoint EQL; the suite's Endgame data names processes by
  // unique_pid and marks starts and ends with opcode (as PyEQL's
  // data_source "endgame" configuration does).
  const bool lineage = uses_lineage(query);
  eqlpp::CompileOptions co;
  co.event_category_field = "event_type";
  if (lineage) co.dialect = eqlpp::Dialect::kEndpoint;
  auto rule = eqlpp::compile(query, eqlpp::RuleMetadata{}, co, "<query>");
  if (!rule) {
    error = rule.error().render();
    return {};
  }
  eqlpp::EngineOptions o;
  o.event_category_field = "event_type";
  o.tiebreaker_field = "serial_event_id";
  o.lineage.process_field = "unique_pid";
  o.lineage.parent_field = "unique_ppid";
  o.lineage.subtype_field = "opcode";
  o.lineage.start_values = {"1", "3", "9"};
  o.lineage.end_values = {"2", "4"};
  o.batch = true;  // results in order, after head and tail
  eqlpp::Engine engine(o);
  engine.add_rule(*rule);
  std::vector<eqlpp::Alert> alerts;
  engine.on_alert([&](const eqlpp::Alert& a) { alerts.push_back(a); });
  for (const auto& l : lines) {
    auto st = engine.push_json(l);
    if (!st) error = st.message();
  }
  engine.finish();
  std::vector<std::int64_t> ids;
  for (const auto& a : alerts)
    for (const auto& e : a.events)
      ids.push_back(e.missing
                        ? -1
                        : nlohmann::json::parse(*e.payload)["serial_event_id"].get<std::int64_t>());
  return ids;
}

std::string ids_text(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

TEST(PyEql, Queries) {
  auto lines = event_lines();
  ASSERT_EQ(lines.size(), 102u);
  auto tbl = toml::parse_file(shared("test_queries.toml"));
  std::size_t total = 0, passed = 0, dialect = 0, insensitive_only = 0, excluded = 0, failed = 0;
  for (const auto& node : *tbl["queries"].as_array()) {
    const auto& t = *node.as_table();
    ++total;
    std::string q = t["query"].value_or(std::string());
    while (!q.empty() && (q.back() == '\n' || q.back() == ' ')) q.pop_back();
    while (!q.empty() && (q.front() == '\n' || q.front() == ' ')) q.erase(0, 1);
    if (t["case_insensitive"].value_or(false)) {
      ++insensitive_only;  // holds only in PyEQL's case-insensitive mode
      continue;
    }
    if (!dialect_reason(q).empty()) {
      ++dialect;
      continue;
    }
    bool skip = false;
    for (const auto& e : kExcluded)
      if (q.rfind(e.query_start, 0) == 0) skip = true;
    if (skip) {
      ++excluded;
      continue;
    }
    std::vector<std::int64_t> expected;
    for (const auto& v : *t["expected_event_ids"].as_array())
      expected.push_back(v.value_or(std::int64_t{0}));
    std::string error;
    std::string es = translate(q);
    // Elasticsearch rejects comparing two fields (eql-semantics.md §4): PyEQL allows it.
    if (auto r = eqlpp::compile(es); !r && r.error()[0].code == eqlpp::DiagCode::kFieldComparison) {
      ++excluded;
      continue;
    }
    auto got = run(es, lines, error);
    if (got == expected && error.empty()) {
      ++passed;
    } else {
      ++failed;
      ADD_FAILURE() << "query: " << q << "\ntranslated: " << es
                    << "\nexpected: " << ids_text(expected) << "\ngot:      " << ids_text(got)
                    << "\n"
                    << error;
    }
  }
  std::printf(
      "python-eql queries: %zu total, %zu passed, %zu failed, %zu PyEQL-dialect only, "
      "%zu case-insensitive-mode only, %zu excluded (semantic difference)\n",
      total, passed, failed, dialect, insensitive_only, excluded);
  // The suite was actually run: it has its 241 queries and most of those
  // Elasticsearch can answer were answered (110 when this was written; 120
  // with the Endpoint dialect's lineage: `descendant of`, `child of`, `event of`).
  EXPECT_EQ(total, 241u);
  EXPECT_GE(passed, 120u);
}

void fold_file(const char* file, std::size_t& passed, std::size_t& failed, std::size_t& skipped) {
  auto tbl = toml::parse_file(shared(file));
  for (const auto& [group, gnode] : tbl) {
    const auto* g = gnode.as_table();
    if (!g) continue;
    if ((*g)["case_insensitive"].value_or(false)) {
      ++skipped;
      continue;
    }
    const auto* tests = (*g)["fold"]["tests"].as_array();
    if (!tests) continue;
    for (const auto& tn : *tests) {
      const auto& t = *tn.as_table();
      std::string expr = translate(t["expression"].value_or(std::string()));
      if (t["case_insensitive"].value_or(false) || !dialect_reason(expr).empty()) {
        ++skipped;
        continue;
      }
      bool excluded = false;
      for (const auto& e : kFoldExcluded)
        if (expr.rfind(e.query_start, 0) == 0) excluded = true;
      if (excluded) {
        ++skipped;
        continue;
      }
      auto file_src = std::make_shared<eqlpp::SourceFile>("<fold>", expr);
      eqlpp::DiagSink diags(file_src);
      auto c = eqlpp::compiler::fold_expression(expr, diags);
      const toml::node* exp = t.get("expected");
      std::string want = "null";
      if (exp) {
        if (exp->is_boolean())
          want = *exp->value<bool>() ? "true" : "false";
        else if (exp->is_integer())
          want = std::to_string(*exp->value<std::int64_t>());
        else if (exp->is_floating_point())
          want = eqlpp::Value(*exp->value<double>()).to_json();
        else if (auto s = exp->value<std::string>())
          want = eqlpp::Value(std::string_view(*s)).to_json();
      }
      std::string got = c ? c->value.to_json() : "<error: " + diags.diagnostics().render() + ">";
      if (got == want) {
        ++passed;
      } else {
        ++failed;
        ADD_FAILURE() << file << " [" << group.str() << "] " << expr << "\nexpected " << want
                      << "\ngot      " << got;
      }
    }
  }
}

TEST(PyEql, Folding) {
  std::size_t passed = 0, failed = 0, skipped = 0;
  fold_file("test_folding.toml", passed, failed, skipped);
  fold_file("test_string_functions.toml", passed, failed, skipped);
  std::printf("python-eql fold tests: %zu passed, %zu failed, %zu skipped (PyEQL-only)\n", passed,
              failed, skipped);
  EXPECT_GE(passed, 153u);  // the suites were found and read (153 when this was written)
  EXPECT_EQ(failed, 0u);
}

}  // namespace
