// SPDX-License-Identifier: Apache-2.0
// Rule loading: TOML (detection and Endpoint layouts), NDJSON, .eql, directories.
#include <gtest/gtest.h>

#include <climits>
#include <fstream>
#include <sstream>

#include "eqlpp/eqlpp.hpp"

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kSeed = std::string(EQLPP_SOURCE_DIR) +
                          "/rules/defense_evasion_process_termination_followed_by_deletion.toml";

TEST(Loader, BundledSeedRuleWithAllItsMetadata) {
  auto l = eqlpp::load_rules(std::string(EQLPP_SOURCE_DIR) + "/rules");
  ASSERT_FALSE(l.diagnostics.has_errors()) << l.diagnostics.render();
  ASSERT_EQ(l.rules.size(), 1u);
  const auto& m = l.rules[0].metadata();
  EXPECT_EQ(m.id, "09443c92-46b3-45a4-8f25-383b028b258d");
  EXPECT_EQ(m.name, "Process Termination followed by Deletion");
  EXPECT_EQ(m.severity, "medium");
  EXPECT_EQ(m.risk_score, 47);
  EXPECT_EQ(m.timestamp_override, "event.ingested");
  EXPECT_EQ(m.maturity, "production");
  EXPECT_FALSE(m.description.empty());
  EXPECT_EQ(m.version, "109");    // the version the project was specified from
  EXPECT_EQ(m.index.size(), 3u);  // process, file, endgame
  EXPECT_NE(std::find(m.tags.begin(), m.tags.end(), "Data Source: Elastic Endgame"), m.tags.end());
  EXPECT_NE(std::find(m.tags.begin(), m.tags.end(), "Tactic: Defense Evasion"), m.tags.end());
  ASSERT_EQ(m.threat.size(), 1u);
  EXPECT_EQ(m.threat[0].framework, "MITRE ATT&CK");
  EXPECT_EQ(m.threat[0].tactic.id, "TA0005");
  ASSERT_EQ(m.threat[0].techniques.size(), 2u);
  EXPECT_EQ(m.threat[0].techniques[0].ref.id, "T1036");
  EXPECT_EQ(m.threat[0].techniques[0].subtechniques[0].id, "T1036.001");
  EXPECT_EQ(m.threat[0].techniques[1].ref.id, "T1070");
  EXPECT_EQ(m.threat[0].techniques[1].subtechniques[0].id, "T1070.004");
  EXPECT_EQ(l.rules[0].kind(), eqlpp::QueryKind::kSequence);
}

TEST(Loader, QueryErrorInTomlPointsIntoTheFile) {
  std::string text = slurp(kSeed);
  auto at = text.find("] by process.executable");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 1, "");  // drop the ']' closing the first stage
  auto l = eqlpp::load_rules_from_text("broken.toml", text);
  ASSERT_TRUE(l.diagnostics.has_errors());
  const auto& d = l.diagnostics[0];
  auto [line, col] = d.source->line_col(d.span.offset);
  // The error is on the file's line holding "by process.executable".
  std::size_t expect_line =
      1 + static_cast<std::size_t>(
              std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  EXPECT_EQ(line, expect_line) << d.render();
  EXPECT_EQ(d.source->name(), "broken.toml");
  EXPECT_EQ(d.code, eqlpp::DiagCode::kUnclosedStage) << d.render();
  (void)col;
}

TEST(Loader, TomlSyntaxErrorHasALocation) {
  auto l = eqlpp::load_rules_from_text("bad.toml", "[rule]\nname = \"x\nquery = '''a'''\n");
  ASSERT_TRUE(l.diagnostics.has_errors());
  EXPECT_EQ(l.diagnostics[0].code, eqlpp::DiagCode::kTomlError);
  EXPECT_NE(l.diagnostics[0].render().find("bad.toml:2:"), std::string::npos)
      << l.diagnostics[0].render();
}

TEST(Loader, EndpointLayoutNdjsonAndEql) {
  auto ep = eqlpp::load_rules_from_text(
      "ep.toml",
      "[rule]\nid = \"abc\"\nname = \"Endpoint rule\"\nversion = \"1.0.4\"\n"
      "query = '''\nprocess where process.name : \"x.exe\"\n'''\n");
  ASSERT_EQ(ep.rules.size(), 1u) << ep.diagnostics.render();
  EXPECT_EQ(ep.rules[0].metadata().id, "abc");
  EXPECT_EQ(ep.rules[0].metadata().version, "1.0.4");

  auto nd = eqlpp::load_rules_from_text(
      "rules.ndjson",
      "{\"name\":\"a\",\"rule_id\":\"1\",\"query\":\"process where "
      "true\",\"language\":\"eql\",\"risk_score\":21,"
      "\"severity\":\"low\",\"event_category_override\":\"event.type\"}\n"
      "\n"
      "{\"name\":\"k\",\"rule_id\":\"2\",\"query\":\"host.name: *\",\"language\":\"kuery\"}\n"
      "{\"name\":\"b\",\"rule_id\":\"1\",\"query\":\"file where true\"}\n"
      "not json\n"
      "{\"name\":\"c\",\"rule_id\":\"3\",\"query\":\"file where a ==\"}\n");
  EXPECT_EQ(nd.rules.size(), 2u);
  EXPECT_EQ(nd.rules[0].metadata().risk_score, 21);
  EXPECT_EQ(nd.rules[0].metadata().event_category_override, "event.type");
  bool skipped = false, duplicate = false, json_error = false, query_error = false;
  for (const auto& d : nd.diagnostics) {
    skipped |= d.code == eqlpp::DiagCode::kSkippedLanguage;
    duplicate |= d.code == eqlpp::DiagCode::kDuplicateRuleId;
    json_error |= d.code == eqlpp::DiagCode::kJsonError;
    query_error |=
        d.code == eqlpp::DiagCode::kUnexpectedToken && d.source->name().find("rules.ndjson:6") == 0;
  }
  EXPECT_TRUE(skipped && duplicate && json_error && query_error) << nd.diagnostics.render();

  auto eq = eqlpp::load_rules_from_text("dir/my_rule.eql", "process where a == 1");
  ASSERT_EQ(eq.rules.size(), 1u);
  EXPECT_EQ(eq.rules[0].metadata().name, "my_rule");
}

// NDJSON metadata as Kibana exports and the corpus write it, and the odd
// forms: a key given twice counts by its last value; numbers as integers,
// unsigned, fractions or strings; a threat entry whose technique is not an
// object still counts as a technique with no reference.
TEST(Loader, NdjsonMetadataForms) {
  auto nd = eqlpp::load_rules_from_text(
      "rules.ndjson",
      R"({"name":"first","name":"a","rule_id":"1","query":"process where true","risk_score":47.9,)"
      R"("version":109,"tags":["x",1,"y"],"index":["logs-*"],"building_block_type":"default",)"
      R"("threat":[{"framework":"MITRE ATT&CK","tactic":{"id":"TA1","name":"T","reference":"r"},)"
      R"("technique":[{"id":"T1","name":"n","subtechnique":[{"id":"T1.1"}]},"odd"]},7]})"
      "\n"
      R"({"name":"b","id":"2","query":"file where true","version":"1.0.4",)"
      R"("risk_score":18446744073709551615,"building_block":false})"
      "\n"
      R"({"name":"c","rule_id":"3","query":"file where true","version":18446744073709551615})"
      "\n");
  ASSERT_EQ(nd.rules.size(), 3u) << nd.diagnostics.render();
  const auto& a = nd.rules[0].metadata();
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.risk_score, 47);
  EXPECT_EQ(a.version, "109");
  EXPECT_EQ(a.tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(a.index, (std::vector<std::string>{"logs-*"}));
  EXPECT_TRUE(a.building_block);
  ASSERT_EQ(a.threat.size(), 1u);  // 7 is not a threat entry
  EXPECT_EQ(a.threat[0].tactic.id, "TA1");
  ASSERT_EQ(a.threat[0].techniques.size(), 2u);
  EXPECT_EQ(a.threat[0].techniques[0].ref.id, "T1");
  ASSERT_EQ(a.threat[0].techniques[0].subtechniques.size(), 1u);
  EXPECT_EQ(a.threat[0].techniques[0].subtechniques[0].id, "T1.1");
  EXPECT_EQ(a.threat[0].techniques[1].ref.id, "");
  const auto& b = nd.rules[1].metadata();
  EXPECT_EQ(b.id, "2");  // Endpoint rules: id
  EXPECT_EQ(b.version, "1.0.4");
  EXPECT_EQ(b.risk_score, INT_MAX);  // saturated
  EXPECT_FALSE(b.building_block);
  EXPECT_EQ(nd.rules[2].metadata().version, "18446744073709551615");
}

TEST(Loader, MissingPathIsADiagnostic) {
  auto l = eqlpp::load_rules("/nonexistent/rules");
  EXPECT_TRUE(l.rules.empty());
  ASSERT_TRUE(l.diagnostics.has_errors());
  EXPECT_EQ(l.diagnostics[0].code, eqlpp::DiagCode::kCannotRead);
}

TEST(Loader, CorpusSeedRuleFolder) {
  auto l = eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/seed-rule");
  EXPECT_EQ(l.files, 8u);
  // The Endpoint example uses _arraysearch: its layout selects the Endpoint dialect.
  EXPECT_EQ(l.rules.size(), 8u) << l.diagnostics.render();
  eqlpp::CompileOptions es;
  es.dialect = eqlpp::Dialect::kElasticsearch;
  EXPECT_EQ(eqlpp::load_rules(std::string(EQLPP_SHARED_DIR) + "/corpus/seed-rule", es).rules.size(),
            7u);
}

}  // namespace

namespace {

// The partition planner (eqlpp/partition.hpp): safe exactly when each result
// only involves events that agree on the field.
TEST(Partition, SafeWhenEveryStageJoinsOnTheField) {
  eqlpp::CompileOptions endpoint;
  endpoint.dialect = eqlpp::Dialect::kEndpoint;
  auto c = [&](const std::string& q) {
    auto r = eqlpp::compile(q, eqlpp::RuleMetadata{}, endpoint);
    EXPECT_TRUE(r.ok()) << q;
    return *r;
  };
  std::vector<eqlpp::Rule> rules = {
      c("process where process.name == \"a\""),                                      // no state
      c("sequence by host.id [process where true] [file where true]"),               // shared key
      c("sequence [process where true] by host.id [file where true] by host.id"),    // per stage
      c("sequence by user.name, host.id [process where true] [file where true]"),    // 2nd key
      c("sequence by user.name [process where true] [file where true]"),             // not F
      c("sequence [process where true] by host.id [file where true] by host.name"),  // mixed
      c("sequence by ?host.id [process where true] [file where true]"),              // optional
      c("sample by host.id [process where true] [file where true]"),
      c("process where true | head 3"),  // pipes
      c("sequence [process where true] by host.id [file where true] by host.id "
        "until [network where true] by user.name"),  // until joins on another field
      c("process where descendant of [process where process.name == \"cmd.exe\"]"),  // lineage
  };
  std::vector<bool> safe;
  for (const auto& v : eqlpp::plan_partitions(rules, "host.id")) {
    safe.push_back(v.safe);
    EXPECT_EQ(v.safe, v.reason.empty());
  }
  EXPECT_EQ(safe, (std::vector<bool>{true, true, true, true, false, false, false, true, false,
                                     false, true}));
  // Lineage keeps a process tree together only when the field names the host.
  auto by_user = eqlpp::plan_partitions(std::span(rules).subspan(10), "user.name");
  EXPECT_FALSE(by_user[0].safe);
  EXPECT_NE(by_user[0].reason.find("lineage"), std::string::npos);
  EXPECT_EQ(eqlpp::plan_partitions(std::span(rules).subspan(4, 1), "user.name")[0].safe, true);
}

}  // namespace
