// SPDX-License-Identifier: Apache-2.0
// The Elastic Endpoint dialect (issue 16): CompileOptions::dialect,
// `_arraysearch(array, $var, condition)` and comparisons of two fields.
// Expected results follow Endpoint's rule documentation and the rules of
// ../shared/corpus/protections-artifacts-eql.jsonl: `_arraysearch` holds when
// the condition holds for one element, `$var.f` reading that element's f.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

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

// The rule index reads through `_arraysearch`: an element that satisfies the
// condition has its values among the event's values of the same field, so
// the condition's keys are the rule's (a rule of Endpoint's call-stack
// checks is not evaluated on events whose stack lacks its byte patterns).
// `not _arraysearch` has none. Index on and off give the same alerts.
TEST(ArraySearch, SelectedByTheIndexThroughItsCondition) {
  const std::string searched =
      R"(any where _arraysearch(process.thread.Ext.call_stack, $e,
           $e.callsite_leading_bytes : ("*4c8bd10f05", "*4989ca0f05") and
           $e.symbol_info : "*ntdll*"))";
  const std::string negated =
      R"(any where not _arraysearch(process.thread.Ext.call_stack, $e,
           $e.callsite_leading_bytes : "*0f05"))";
  auto sr = eqlpp::compile(searched, eqlpp::RuleMetadata{}, endpoint(), "<q>");
  auto nr = eqlpp::compile(negated, eqlpp::RuleMetadata{}, endpoint(), "<q>");
  ASSERT_TRUE(sr.ok() && nr.ok());
  EXPECT_NE(sr->explain().find("rule index: every stage requires one of\n"
                               "  process.thread.Ext.call_stack.symbol_info contains~ one of "
                               "[\"ntdll\"]"),
            std::string::npos)
      << sr->explain();
  EXPECT_NE(nr->explain().find("rule index: none (dispatched by category)"), std::string::npos)
      << nr->explain();
  auto frame = [](const char* bytes, const char* symbol) {
    return std::string(R"({"callsite_leading_bytes":")") + bytes + R"(","symbol_info":")" + symbol +
           R"("})";
  };
  const std::vector<std::string> stacks = {
      "[" + frame("4C8BD10F05", "NTDLL.dll!NtOpenProcess") + "]",
      // The bytes in one frame, ntdll in another: not one element.
      "[" + frame("4989ca0f05", "kernel32.dll") + "," + frame("00", "ntdll.dll") + "]",
      "[" + frame("00", "kernelbase.dll") + "," + frame("4989ca0f05", "x!ntdll") + "]",
      "[" + frame("00", "kernelbase.dll") + "]",
      "[]",
  };
  for (bool index : {true, false}) {
    eqlpp::EngineOptions o;
    o.index_rules = index;
    eqlpp::Engine e(o);
    e.add_rule(*sr);
    e.add_rule(*nr);
    std::vector<std::pair<std::size_t, std::int64_t>> alerts;  // rule, event time
    e.on_alert([&](const eqlpp::Alert& a) {
      alerts.emplace_back(a.rule.query() == searched ? 0 : 1, a.first_timestamp);
    });
    for (std::size_t i = 0; i < stacks.size(); ++i) {
      auto st = e.push_json(R"({"@timestamp":)" + std::to_string(i + 1) +
                            R"(,"event":{"category":"process"},"process":{"thread":{"Ext":{)" +
                            R"("call_stack":)" + stacks[i] + "}}}}");
      ASSERT_TRUE(st.ok()) << st.message();
    }
    e.finish();
    std::sort(alerts.begin(), alerts.end());
    const std::vector<std::pair<std::size_t, std::int64_t>> want = {
        {0, 1'000'000}, {0, 3'000'000}, {1, 4'000'000}, {1, 5'000'000}};
    EXPECT_EQ(alerts, want) << (index ? "index on" : "index off");
    ASSERT_EQ(e.stats().rules.size(), 2u);
    // Indexed: the searched rule only on the three stacks with "ntdll" in a
    // symbol; the negated one on every event either way.
    EXPECT_EQ(e.stats().rules[0].evaluations, index ? 3u : 5u);
    EXPECT_EQ(e.stats().rules[1].evaluations, 5u);
  }
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
  EXPECT_EQ(ok->fields(), (std::vector<std::string>{"event.category", "a", "a.x"}));
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

namespace {

// Alerts (as the `n` of their events) of an Endpoint sequence over events.
std::vector<std::string> run_seq(const std::string& query, const std::vector<std::string>& events,
                                 bool batch = false) {
  auto r = eqlpp::compile(query, eqlpp::RuleMetadata{}, endpoint(), "<q>");
  if (!r) {
    ADD_FAILURE() << query << "\n" << r.error().render();
    return {"compile error"};
  }
  eqlpp::EngineOptions o;
  o.batch = batch;
  eqlpp::Engine e(o);
  e.add_rule(*r);
  std::vector<std::string> out;
  e.on_alert([&](const eqlpp::Alert& a) {
    std::string s;
    for (const auto& ev : a.events) {
      auto at = ev.payload->find("\"n\":");
      s += (s.empty() ? "" : ",") + ev.payload->substr(at + 4, 1);
    }
    out.push_back(s);
  });
  for (const auto& l : events) EXPECT_TRUE(e.push_json(l).ok()) << l;
  e.finish();
  return out;
}

TEST(StageAliases, ALaterStageReadsTheAliasedEventOfItsOwnPartial) {
  const std::string q = R"(sequence by h with maxspan=1m
    [process where true] as event0
    [file where stringcontains~(event0.process.command_line, file.name)])";
  const std::vector<std::string> events = {
      R"({"@timestamp":1,"n":1,"h":"a","event":{"category":"process"},"process":{"command_line":"run evil.js"}})",
      R"({"@timestamp":2,"n":2,"h":"b","event":{"category":"process"},"process":{"command_line":"run good.js"}})",
      R"({"@timestamp":3,"n":3,"h":"b","event":{"category":"file"},"file":{"name":"EVIL.js"}})",
      R"({"@timestamp":4,"n":4,"h":"a","event":{"category":"file"},"file":{"name":"EVIL.js"}})",
  };
  EXPECT_EQ(run_seq(q, events), std::vector<std::string>{"1,4"});
  EXPECT_EQ(run_seq(q, events, true), std::vector<std::string>{"1,4"});
}

TEST(StageAliases, TheNewestPartialAndSeveralAliases) {
  const std::string q = R"(sequence by h
    [process where true] as event0
    [process where process.name != event0.process.name] as event1
    [process where process.pid == event0.process.pid and process.name == event1.process.name])";
  const std::vector<std::string> events = {
      R"({"@timestamp":1,"n":1,"h":"a","event":{"category":"process"},"process":{"name":"x","pid":7}})",
      R"({"@timestamp":2,"n":2,"h":"a","event":{"category":"process"},"process":{"name":"x","pid":8}})",
      R"({"@timestamp":3,"n":3,"h":"a","event":{"category":"process"},"process":{"name":"y","pid":9}})",
      R"({"@timestamp":4,"n":4,"h":"a","event":{"category":"process"},"process":{"name":"y","pid":7}})",
      R"({"@timestamp":5,"n":5,"h":"a","event":{"category":"process"},"process":{"name":"y","pid":8}})",
  };
  // Event 2 replaced event 1 as the newest partial after stage 0 (only the
  // newest completes), so event0 is event 2 (pid 8): event 4 (pid 7) does
  // not complete; event 5 does.
  EXPECT_EQ(run_seq(q, events), std::vector<std::string>{"2,3,5"});
}

// An alias read against a constant is not a value of the event: the rule
// index must not take it as a key (the event never has the alias's field).
TEST(StageAliases, AnAliasIsNotAnIndexKey) {
  const std::string q = R"(sequence by h
    [process where process.name == "a.exe"] as event0
    [file where event0.process.name : "A*"])";
  const std::vector<std::string> events = {
      R"({"@timestamp":1,"n":1,"h":"a","event":{"category":"process"},"process":{"name":"a.exe"}})",
      R"({"@timestamp":2,"n":2,"h":"a","event":{"category":"file"},"process":{"name":"zz"}})",
  };
  EXPECT_EQ(run_seq(q, events), std::vector<std::string>{"1,2"});
  auto r = eqlpp::compile(q, eqlpp::RuleMetadata{}, endpoint());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->explain().find("alias:0"), std::string::npos) << r->explain();
}

TEST(StageAliases, CompileErrors) {
  auto es = eqlpp::compile("sequence [process where true] as e0 [file where file.name == e0.x]");
  ASSERT_FALSE(es.ok());
  EXPECT_NE(es.error()[0].message.find("--dialect endpoint"), std::string::npos);
  auto later = eqlpp::compile("sequence [process where e1.x == 1] as e0 [file where true] as e1",
                              eqlpp::RuleMetadata{}, endpoint());
  ASSERT_FALSE(later.ok());
  EXPECT_NE(later.error()[0].message.find("not before this stage"), std::string::npos);
  auto until = eqlpp::compile(
      "sequence [process where true] as e0 [file where true] until [network where e0.x == 1]",
      eqlpp::RuleMetadata{}, endpoint());
  ASSERT_FALSE(until.ok());
  auto ok = eqlpp::compile("sequence [process where true] as e0 [file where file.name == e0.x]",
                           eqlpp::RuleMetadata{}, endpoint());
  ASSERT_TRUE(ok.ok()) << ok.error().render();
  for (const auto& f : ok->fields()) EXPECT_NE(f[0], '\x01') << "an internal field is listed";
  EXPECT_EQ(ok->fields(), (std::vector<std::string>{"event.category", "file.name", "x"}));
  EXPECT_NE(ok->explain().find("(file.name == stage 0 alias: x) is true"), std::string::npos)
      << ok->explain();
}

}  // namespace

namespace {

// Lineage over ECS process events (EngineOptions::lineage defaults):
// process.entity_id / process.parent.entity_id, event.type start / end.
std::string proc(int ts, const std::string& id, const std::string& parent, const std::string& name,
                 const std::string& type = "start") {
  return R"({"@timestamp":)" + std::to_string(ts) + R"(,"event":{"category":"process","type":")" +
         type + R"("},"process":{"entity_id":")" + id + R"(","parent":{"entity_id":")" + parent +
         R"("},"name":")" + name + R"("}})";
}
std::string file(int ts, const std::string& id, const std::string& path) {
  return R"({"@timestamp":)" + std::to_string(ts) +
         R"(,"event":{"category":"file","type":"creation"},"process":{"entity_id":")" + id +
         R"("},"file":{"path":")" + path + R"("}})";
}

// Names (process.name, or file.path) of the events the query alerts on.
std::vector<std::string> lineage_run(const std::string& query,
                                     const std::vector<std::string>& events,
                                     eqlpp::EngineOptions o = {}) {
  auto r = eqlpp::compile(query, eqlpp::RuleMetadata{}, endpoint(), "<q>");
  if (!r) {
    ADD_FAILURE() << r.error().render();
    return {};
  }
  eqlpp::Engine e(o);
  e.add_rule(*r);
  std::vector<std::string> out;
  e.on_alert([&](const eqlpp::Alert& a) {
    auto j = *a.events[0].payload;
    auto at = j.find("\"name\":\"");
    if (at == std::string::npos) at = j.find("\"path\":\"");
    out.push_back(j.substr(at + 8, j.find('"', at + 8) - at - 8));
  });
  for (const auto& l : events) EXPECT_TRUE(e.push_json(l).ok()) << l;
  e.finish();
  return out;
}

const std::vector<std::string> kTree = {
    proc(1, "p1", "p0", "explorer.exe"),   proc(2, "p2", "p1", "cmd.exe"),
    proc(3, "p3", "p2", "powershell.exe"), proc(4, "p4", "p3", "rundll32.exe"),
    file(5, "p4", "c:/temp/x.dll"),        proc(6, "p5", "p1", "notepad.exe")};

TEST(Lineage, DescendantChildAndEventOf) {
  EXPECT_EQ(lineage_run(R"(process where descendant of [process where process.name == "cmd.exe"])",
                        kTree),
            (std::vector<std::string>{"powershell.exe", "rundll32.exe"}));
  EXPECT_EQ(
      lineage_run(R"(process where child of [process where process.name == "cmd.exe"])", kTree),
      (std::vector<std::string>{"powershell.exe"}));
  EXPECT_EQ(
      lineage_run(R"(file where descendant of [process where process.name == "cmd.exe"])", kTree),
      (std::vector<std::string>{"c:/temp/x.dll"}));
  EXPECT_EQ(
      lineage_run(R"(file where event of [process where process.name == "rundll32.exe"])", kTree),
      (std::vector<std::string>{"c:/temp/x.dll"}));
  EXPECT_EQ(lineage_run(R"(process where not descendant of [process where process.name == "cmd.exe"]
                           and process.name != "explorer.exe")",
                        kTree),
            (std::vector<std::string>{"cmd.exe", "notepad.exe"}));
}

TEST(Lineage, NestedSubQueries) {
  EXPECT_EQ(lineage_run(R"(process where child of [process where child of
                             [process where process.name == "cmd.exe"]])",
                        kTree),
            (std::vector<std::string>{"rundll32.exe"}));
  EXPECT_EQ(lineage_run(R"(file where descendant of [process where process.name == "powershell.exe"
                             and descendant of [process where process.name == "explorer.exe"]])",
                        kTree),
            (std::vector<std::string>{"c:/temp/x.dll"}));
}

// The engine tests an event against a sub-query only when the rule index
// selects it (Dispatcher::add_filter): by an exact, folded or substring key,
// or by category when the filter has no key. Each form, with the index on and
// off, gives the same alerts.
TEST(Lineage, SubQueriesSelectedByTheIndex) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {R"(process where descendant of [process where process.name == "cmd.exe"])",
       {"powershell.exe", "rundll32.exe"}},
      {R"(process where child of [process where process.name : "CMD.EXE"])", {"powershell.exe"}},
      {R"(process where child of [process where process.name : "*SHELL*"])", {"rundll32.exe"}},
      {R"(process where child of [process where process.name like~ "?md.*"])", {"powershell.exe"}},
      {R"(process where child of [process where process.name in ("notepad.exe", "cmd.exe")])",
       {"powershell.exe"}},
      {R"(process where child of [process where event.type == "start" and
                                  process.name != "explorer.exe"])",
       {"powershell.exe", "rundll32.exe"}},
      {R"(file where event of [any where process.name : "rundll32.exe"])", {"c:/temp/x.dll"}},
      {R"(process where child of [process where process.name : "*shell*" or
                                  process.name == "explorer.exe"])",
       {"cmd.exe", "rundll32.exe", "notepad.exe"}},
      {R"(process where descendant of [file where file.path : "*x.dll"])", {}},
      {R"(file where event of [file where file.path : "C:/TEMP/*"])", {"c:/temp/x.dll"}},
  };
  for (const auto& [query, want] : cases) {
    for (bool index : {true, false}) {
      eqlpp::EngineOptions o;
      o.index_rules = index;
      EXPECT_EQ(lineage_run(query, kTree, o), want) << query << (index ? "" : " (index off)");
    }
  }
  // A file event marks its process for a process event's sub-query.
  auto ended = kTree;
  ended.push_back(proc(7, "p4", "p3", "rundll32.exe", "end"));
  for (bool index : {true, false}) {
    eqlpp::EngineOptions o;
    o.index_rules = index;
    EXPECT_EQ(lineage_run(R"(process where event.type == "end" and
                               event of [file where file.path : "*x.dll"])",
                          ended, o),
              std::vector<std::string>{"rundll32.exe"});
  }
}

TEST(Lineage, AnAncestorMustMatchBeforeTheChildStarts) {
  // cmd.exe's match comes after powershell.exe started: not an ancestor match then.
  std::vector<std::string> events = {proc(1, "p2", "p1", "other.exe"),
                                     proc(2, "p3", "p2", "powershell.exe"),
                                     proc(3, "p2", "p1", "cmd.exe", "info")};
  EXPECT_TRUE(
      lineage_run(R"(process where descendant of [process where process.name == "cmd.exe"])",
                  events)
          .empty());
}

TEST(Lineage, AnEndedProcessIsForgotten) {
  std::vector<std::string> events = {proc(1, "p2", "p1", "cmd.exe"),
                                     proc(2, "p2", "p1", "cmd.exe", "end"),
                                     proc(3, "p9", "p1", "other.exe"),  // purges p2
                                     proc(4, "p3", "p2", "powershell.exe")};
  EXPECT_TRUE(
      lineage_run(R"(process where child of [process where process.name == "cmd.exe"])", events)
          .empty());
}

TEST(Lineage, AFloodOfProcessStartsStaysUnderTheLimit) {
  auto r =
      eqlpp::compile(R"(process where descendant of [process where process.name == "cmd.exe"])",
                     eqlpp::RuleMetadata{}, endpoint());
  ASSERT_TRUE(r.ok());
  eqlpp::EngineOptions o;
  o.lineage.max_entries = 1000;
  eqlpp::Engine e(o);
  e.add_rule(*r);
  std::size_t alerts = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++alerts; });
  const int n = std::getenv("EQLPP_SLOW") ? 10'000'000 : 200'000;
  // A cmd.exe tree: every process is a child of the previous one, so every
  // entry carries a bit and the table fills.
  ASSERT_TRUE(e.push_json(proc(0, "q0", "root", "cmd.exe")).ok());
  for (int i = 1; i < n; ++i) {
    ASSERT_TRUE(
        e.push_json(proc(i, "q" + std::to_string(i), "q" + std::to_string(i - 1), "x.exe")).ok());
    if (i % 100'000 == 0) {
      ASSERT_LE(e.stats().lineage_entries, 1000u);
    }
  }
  e.finish();
  const auto st = e.stats();
  EXPECT_LE(st.lineage_entries, 1000u);
  EXPECT_EQ(st.lineage_evicted, static_cast<std::uint64_t>(n) - st.lineage_entries);
  EXPECT_EQ(alerts, static_cast<std::size_t>(n - 1));  // the chain is never broken: newest kept
}

}  // namespace
