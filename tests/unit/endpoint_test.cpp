// SPDX-License-Identifier: Apache-2.0
// The Elastic Endpoint dialect (issue 16): CompileOptions::dialect,
// `_arraysearch(array, $var, condition)` and comparisons of two fields.
// Expected results follow Endpoint's rule documentation and the rules of
// ../shared/corpus/protections-artifacts-eql.jsonl: `_arraysearch` holds when
// the condition holds for one element, `$var.f` reading that element's f.
#include <gtest/gtest.h>

#include "eqlpp/eqlpp.hpp"

namespace {

eqlpp::CompileOptions endpoint() {
  eqlpp::CompileOptions o;
  o.dialect = eqlpp::Dialect::kEndpoint;
  return o;
}

// Alerts of `any where cond` (Endpoint dialect) over one event; -1: compile error.
int run(const std::string& cond, const std::string& fields) {
  auto r = eqlpp::compile("any where " + cond, eqlpp::RuleMetadata{}, endpoint(), "<q>");
  if (!r) {
    ADD_FAILURE() << cond << "\n" << r.error().render();
    return -1;
  }
  eqlpp::Engine e;
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  auto st = e.push_json("{\"@timestamp\":1" + fields + "}");
  EXPECT_TRUE(st.ok()) << st.message();
  e.finish();
  return n;
}

TEST(ArraySearch, TheConditionHoldsForOneElement) {
  const std::string cond = R"(_arraysearch(a, $e, $e.x == 1 and $e.y == "b"))";
  EXPECT_EQ(run(cond, R"(,"a":[{"x":1,"y":"a"},{"x":2,"y":"b"}])"), 0);  // not the same element
  EXPECT_EQ(run(cond, R"(,"a":[{"x":2,"y":"a"},{"x":1,"y":"b"}])"), 1);
  EXPECT_EQ(run(cond, R"(,"a":{"x":1,"y":"b"})"), 1);  // a lone object is one element
  EXPECT_EQ(run(cond, R"(,"a":[])"), 0);
  EXPECT_EQ(run(cond, ""), 0);
  // The flattened field still reads every element's values outside _arraysearch.
  EXPECT_EQ(run(R"(a.x == 1 and a.y == "b")", R"(,"a":[{"x":1,"y":"a"},{"x":2,"y":"b"}])"), 1);
}

TEST(ArraySearch, ElementsWithoutTheFieldAndNegation) {
  EXPECT_EQ(run("_arraysearch(a, $e, $e.x == null)", R"(,"a":[{"x":1},{"y":2}])"), 1);
  EXPECT_EQ(run("_arraysearch(a, $e, $e.x == null)", R"(,"a":[{"x":1}])"), 0);
  EXPECT_EQ(run("not _arraysearch(a, $e, $e.x == 1)", R"(,"a":[{"x":2}])"), 1);
  EXPECT_EQ(run("not _arraysearch(a, $e, $e.x == 1)", R"(,"a":[{"x":2},{"x":1}])"), 0);
  EXPECT_EQ(run("_arraysearch(a, $e, $e.x != 1)", R"(,"a":[{"x":1},{"x":1}])"), 0);
}

TEST(ArraySearch, ScalarsNestedObjectsAndTheRestOfTheEvent) {
  EXPECT_EQ(run(R"(_arraysearch(tags, $t, $t : "ad*"))", R"(,"tags":["x","admin"])"), 1);
  EXPECT_EQ(run(R"(_arraysearch(tags, $t, $t : "ad*"))", R"(,"tags":["x","y"])"), 0);
  EXPECT_EQ(run(R"(_arraysearch(p.stack, $e, $e.sig.status : "trusted" and $e.sig.ok == true))",
                R"(,"p":{"stack":[{"sig":{"status":"trusted","ok":false}},{"sig":{"ok":true}}]})"),
            0);
  EXPECT_EQ(run(R"(_arraysearch(p.stack, $e, $e.sig.status : "trusted" and $e.sig.ok == true))",
                R"(,"p":{"stack":[{"sig":{"status":"TRUSTED","ok":true}}]})"),
            1);
  // The condition may read the event's own fields, and compare them with the element's.
  EXPECT_EQ(run(R"(_arraysearch(a, $e, $e.x == n))", R"(,"n":2,"a":[{"x":1},{"x":2}])"), 1);
  EXPECT_EQ(run(R"(_arraysearch(a, $e, stringcontains~($e.s, name)))",
                R"(,"name":"Bad","a":[{"s":"ok"},{"s":"xBADx"}])"),
            1);
  // Two searches of one array, and one inside the other over another array.
  EXPECT_EQ(run(R"(_arraysearch(a, $e, $e.x == 1) and _arraysearch(a, $e, $e.x == 2))",
                R"(,"a":[{"x":1},{"x":2}])"),
            1);
  EXPECT_EQ(run(R"(_arraysearch(a, $e, $e.x == 1 and _arraysearch(b, $f, $f.y == $e.z)))",
                R"(,"a":[{"x":1,"z":5}],"b":[{"y":4},{"y":5}])"),
            1);
}

TEST(ArraySearch, IsEndpointOnly) {
  auto r = eqlpp::compile("any where _arraysearch(a, $e, $e.x == 1)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), eqlpp::DiagCode::kNotSupportedYet);
  EXPECT_NE(r.error()[0].message.find("--dialect endpoint"), std::string::npos);
  auto unbound =
      eqlpp::compile("any where _arraysearch(a, $e, $f.x == 1)", eqlpp::RuleMetadata{}, endpoint());
  ASSERT_FALSE(unbound.ok());
  EXPECT_EQ(unbound.code(), eqlpp::DiagCode::kUnboundVariable);
  auto ok =
      eqlpp::compile("any where _arraysearch(a, $e, $e.x == 1)", eqlpp::RuleMetadata{}, endpoint());
  ASSERT_TRUE(ok.ok());
  EXPECT_NE(ok->explain().find("some element of a (_arraysearch)"), std::string::npos)
      << ok->explain();
  for (const auto& f : ok->fields()) EXPECT_NE(f[0], '\x01') << "an internal field is listed";
}

TEST(FieldComparisons, TwoFieldsOfTheEventInTheEndpointDialect) {
  EXPECT_EQ(run("process.name == process.parent.name",
                R"(,"process":{"name":"a","parent":{"name":"a"}})"),
            1);
  EXPECT_EQ(run("process.name == process.parent.name",
                R"(,"process":{"name":"a","parent":{"name":"b"}})"),
            0);
  EXPECT_EQ(run("process.name != process.parent.name",
                R"(,"process":{"name":"a","parent":{"name":"b"}})"),
            1);
  EXPECT_EQ(run("process.name == process.parent.name", R"(,"process":{"name":"a"})"), 0);
  EXPECT_EQ(run("a < b", R"(,"a":1,"b":2)"), 1);
  EXPECT_EQ(run("not a < b", R"(,"a":1,"b":2)"), 0);
  auto es = eqlpp::compile("any where a == b");
  ASSERT_FALSE(es.ok());
  EXPECT_EQ(es.code(), eqlpp::DiagCode::kFieldComparison);
  EXPECT_NE(es.error()[0].message.find("--dialect endpoint"), std::string::npos);
}

TEST(Dialect, TheEndpointLayoutDefaultsToTheEndpointDialect) {
  const std::string endpoint_rule = R"([rule]
id = "00000000-0000-0000-0000-000000000001"
name = "endpoint rule"
query = '''
process where _arraysearch(process.thread.Ext.call_stack, $entry, $entry.symbol_info : "Unbacked*")
'''
)";
  const std::string detection_rule = R"([rule]
rule_id = "00000000-0000-0000-0000-000000000002"
name = "detection rule"
language = "eql"
type = "eql"
query = '''
process where _arraysearch(process.thread.Ext.call_stack, $entry, $entry.symbol_info : "Unbacked*")
'''
)";
  auto a = eqlpp::load_rules_from_text("endpoint.toml", endpoint_rule);
  EXPECT_EQ(a.rules.size(), 1u) << a.diagnostics.render();
  auto b = eqlpp::load_rules_from_text("detection.toml", detection_rule);
  EXPECT_EQ(b.rules.size(), 0u);
  eqlpp::CompileOptions es;
  es.dialect = eqlpp::Dialect::kElasticsearch;
  auto c = eqlpp::load_rules_from_text("endpoint.toml", endpoint_rule, es);
  EXPECT_EQ(c.rules.size(), 0u);  // an explicit dialect wins over the layout
}

}  // namespace
