// SPDX-License-Identifier: Apache-2.0
// The rule trace (eqlpp/trace.hpp), RuleHarness and EventBuilder
// (eqlpp/harness.hpp), the GoogleMock matchers (eqlpp/testing.hpp) and rule
// test files (run_rule_tests).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "eqlpp/eqlpp.hpp"
#include "eqlpp/testing.hpp"

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using namespace eqlpp::testing;  // NOLINT: test file

const char* kSeq =
    "sequence by host.id with maxspan=5s\n"
    "  [process where event.type == \"end\" and not process.name : (\"a.exe\", \"b.exe\")] by "
    "process.executable\n"
    "  [file where event.type == \"deletion\"] by file.path";

eqlpp::Rule compile(const std::string& q) {
  eqlpp::RuleMetadata m;
  m.id = "rule-1";
  m.name = "test rule";
  auto r = eqlpp::compile(q, m, {}, "<q>");
  EXPECT_TRUE(r.ok()) << (r ? "" : r.error().render());
  return r.value();
}

struct Traced {
  eqlpp::Engine engine;
  std::vector<eqlpp::TraceEntry> entries;
  std::size_t alerts = 0;
  explicit Traced(const std::string& q, bool trace = true) {
    engine.add_rule(compile(q));
    engine.on_alert([this](const eqlpp::Alert&) { ++alerts; });
    if (trace) {
      auto st =
          engine.trace("rule-1", [this](const eqlpp::TraceEntry& t) { entries.push_back(t); });
      EXPECT_TRUE(st.ok()) << st.message();
    }
  }
  void push(const std::string& line) {
    auto st = engine.push_json(line);
    ASSERT_TRUE(st.ok()) << st.message();
  }
};

std::string proc(int ms, const std::string& type, const std::string& name,
                 const std::string& host = "h1") {
  return R"({"@timestamp":)" + std::to_string(ms) + R"(,"event":{"category":"process","type":")" +
         type + R"("},"host":{"id":")" + host + R"("},"process":{"name":")" + name +
         R"(","executable":"C:\\)" + name + R"("}})";
}
std::string del(int ms, const std::string& name, const std::string& type = "deletion",
                const std::string& host = "h1") {
  return R"({"@timestamp":)" + std::to_string(ms) + R"(,"event":{"category":"file","type":")" +
         type + R"("},"host":{"id":")" + host + R"("},"file":{"path":"C:\\)" + name + R"("}})";
}

TEST(Trace, OffByDefaultAndUnknownRuleIsAnError) {
  Traced t(kSeq, false);
  t.push(proc(0, "end", "x.exe"));
  EXPECT_THAT(t.entries, IsEmpty());
  auto st = t.engine.trace("no-such-rule", [](const eqlpp::TraceEntry&) {});
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("no-such-rule"));
}

TEST(Trace, MatchedStageStartsAPartialAndTheOtherStageNamesTheCategory) {
  Traced t(kSeq);
  t.push(proc(0, "end", "x.exe"));
  ASSERT_THAT(t.entries, SizeIs(1));
  const auto& e = t.entries[0];
  EXPECT_EQ(e.kind, eqlpp::TraceEntry::Kind::kEvent);
  EXPECT_EQ(e.rule_id, "rule-1");
  ASSERT_THAT(e.stages, SizeIs(2));
  EXPECT_EQ(e.stages[0].stage, 0);
  EXPECT_TRUE(e.stages[0].matched);
  EXPECT_THAT(e.stages[0].outcome,
              ElementsAre(HasSubstr(R"(started a partial sequence for key ["h1","C:\\x.exe"])")));
  EXPECT_EQ(e.stages[1].stage, 1);
  EXPECT_FALSE(e.stages[1].matched);
  ASSERT_TRUE(e.stages[1].rejected_by);
  EXPECT_EQ(e.stages[1].rejected_by->text, "file where");
  EXPECT_EQ(e.stages[1].rejected_by->operand, "event.category");
  EXPECT_EQ(e.stages[1].rejected_by->seen, "\"process\"");
}

TEST(Trace, RejectedStageNamesTheFirstFailingConditionWithPositionAndValue) {
  Traced t(kSeq);
  t.push(proc(0, "start", "x.exe"));
  ASSERT_THAT(t.entries, SizeIs(1));
  const auto& c = t.entries[0].stages[0].rejected_by;
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "event.type == \"end\"");
  EXPECT_EQ(c->line, 2u);
  EXPECT_EQ(c->column, 18u);
  EXPECT_EQ(c->operand, "event.type");
  EXPECT_EQ(c->seen, "\"start\"");
  EXPECT_TRUE(c->needed);
  EXPECT_THAT(t.entries[0].to_string(),
              HasSubstr("stage 0 (process): rejected: `event.type == \"end\"` (query 2:18) is "
                        "false; event.type is \"start\""));
}

TEST(Trace, NegatedConditionIsReportedAsTrueAndNegated) {
  Traced t(kSeq);
  t.push(proc(0, "end", "B.EXE"));
  const auto& c = t.entries.at(0).stages.at(0).rejected_by;
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "process.name : (\"a.exe\", \"b.exe\")");
  EXPECT_FALSE(c->needed);
  EXPECT_EQ(c->seen, "\"B.EXE\"");
  EXPECT_THAT(t.entries[0].to_string(), HasSubstr("is true, and the query negates it"));
}

TEST(Trace, MissingFieldIsShownAsMissing) {
  Traced t("process where process.pid > 4");
  t.push(R"({"@timestamp":0,"event":{"category":"process"}})");
  ASSERT_THAT(t.entries, SizeIs(1));
  EXPECT_EQ(t.entries[0].stages.at(0).rejected_by->seen, "missing");
}

TEST(Trace, NoPartialForTheKeyAndCompletion) {
  Traced t(kSeq);
  t.push(proc(0, "end", "x.exe"));
  t.push(del(1000, "y.exe"));
  t.push(del(2000, "x.exe"));
  ASSERT_THAT(t.entries, SizeIs(3));
  EXPECT_THAT(t.entries[1].stages.at(1).outcome,
              ElementsAre(R"(no partial sequence for key ["h1","C:\\y.exe"])"));
  EXPECT_THAT(t.entries[2].stages.at(1).outcome,
              ElementsAre(R"(completed the sequence for key ["h1","C:\\x.exe"])", "alert"));
  EXPECT_EQ(t.alerts, 1u);
}

TEST(Trace, ExpiryIsReportedAndMaxspanExceededSaysByHowMuch) {
  Traced t(kSeq);
  t.push(proc(0, "end", "x.exe"));
  t.push(proc(1000, "end", "z.exe"));
  t.push(del(5500, "x.exe"));  // the x partial expires before this event is evaluated
  bool expired = false;
  for (const auto& e : t.entries)
    if (e.kind == eqlpp::TraceEntry::Kind::kExpired) {
      expired = true;
      EXPECT_THAT(e.note, HasSubstr(R"(key ["h1","C:\\x.exe"])"));
      EXPECT_THAT(e.note, HasSubstr("maxspan 5s has passed"));
    }
  EXPECT_TRUE(expired);
  EXPECT_EQ(t.alerts, 0u);
}

TEST(Trace, MaxspanExceededWithoutExpiryNamesTheExcess) {
  // Without a heap deadline in the past (same event time order), the check in
  // the matcher itself reports the excess: the partial is 6s old at 6000.
  Traced t("sequence by host.id with maxspan=5s [process where true] [file where true]");
  t.push(R"({"@timestamp":0,"event":{"category":"process"},"host":{"id":"h"}})");
  t.push(R"({"@timestamp":5000,"event":{"category":"file"},"host":{"id":"h"}})");
  ASSERT_EQ(t.alerts, 1u);  // exactly maxspan: inclusive
  Traced u("sequence by host.id with maxspan=5s [process where true] [file where true]");
  u.push(R"({"@timestamp":0,"event":{"category":"process"},"host":{"id":"h"}})");
  u.push(R"({"@timestamp":5001,"event":{"category":"file"},"host":{"id":"h"}})");
  EXPECT_EQ(u.alerts, 0u);
  std::string all;
  for (const auto& e : u.entries) all += e.to_string();
  // Either the expiry heap or the matcher dropped it; both say why.
  EXPECT_THAT(all, ::testing::AnyOf(HasSubstr("maxspan 5s has passed"),
                                    HasSubstr("maxspan exceeded by 1ms")));
}

TEST(Trace, UntilAndNotDispatched) {
  Traced t(
      "sequence by host.id [process where event.type == \"start\"] [process where event.type == "
      "\"end\"] until [network where true]");
  t.push(R"({"@timestamp":0,"event":{"category":"process","type":"start"},"host":{"id":"h"}})");
  t.push(R"({"@timestamp":1,"event":{"category":"network"},"host":{"id":"h"}})");
  t.push(R"({"@timestamp":2,"event":{"category":"process","type":"end"},"host":{"id":"h"}})");
  t.push(R"({"@timestamp":3,"event":{"category":"dns"},"host":{"id":"h"}})");
  ASSERT_THAT(t.entries, SizeIs(4));
  EXPECT_THAT(t.entries[1].to_string(), HasSubstr("until (network): matched"));
  EXPECT_THAT(t.entries[2].to_string(), HasSubstr("was ended by `until`"));
  EXPECT_EQ(t.entries[3].kind, eqlpp::TraceEntry::Kind::kNotDispatched);
  EXPECT_THAT(t.entries[3].note, HasSubstr(R"(event.category is ["dns"])"));
  EXPECT_EQ(t.alerts, 0u);
}

TEST(Trace, EvictionIsReported) {
  eqlpp::Engine engine({.max_keys_per_rule = 1});
  engine.add_rule(compile(kSeq));
  std::vector<eqlpp::TraceEntry> entries;
  ASSERT_TRUE(engine.trace("", [&](const eqlpp::TraceEntry& t) { entries.push_back(t); }).ok());
  ASSERT_TRUE(engine.push_json(proc(0, "end", "x.exe")).ok());
  ASSERT_TRUE(engine.push_json(proc(1, "end", "y.exe")).ok());
  bool evicted = false;
  for (const auto& e : entries)
    if (e.kind == eqlpp::TraceEntry::Kind::kEvicted) {
      evicted = true;
      EXPECT_THAT(e.note, HasSubstr(R"(key ["h1","C:\\x.exe"])"));
    }
  EXPECT_TRUE(evicted);
}

TEST(Trace, TracingDoesNotChangeResults) {
  // The same stream with and without tracing gives the same alerts.
  std::vector<std::string> lines;
  for (int i = 0; i < 200; ++i) {
    // Groups of three: a process event, then two deletions of its file or another.
    std::string n = "f" + std::to_string((i / 3 + (i % 3 == 2 ? i : 0)) % 4) + ".exe";
    std::string host = "h" + std::to_string((i / 3) % 2);
    lines.push_back(i % 3 == 0 ? proc(i * 700, i % 5 ? "end" : "start", n, host)
                               : del(i * 700, n, "deletion", host));
  }
  Traced on(kSeq), off(kSeq, false);
  for (const auto& l : lines) {
    on.push(l);
    off.push(l);
  }
  on.engine.finish();
  off.engine.finish();
  EXPECT_GT(on.alerts, 0u);
  EXPECT_EQ(on.alerts, off.alerts);
  EXPECT_GE(on.entries.size(), lines.size());
}

// ---- EventBuilder and RuleHarness ------------------------------------------------

TEST(EventBuilder, NestsDottedPathsAndKeepsTypes) {
  auto j = nlohmann::json::parse(eqlpp::EventBuilder()
                                     .at("2024-01-01T00:00:00Z")
                                     .set("event.category", {"process"})
                                     .set("process.pid", 42)
                                     .set("process.parent.name", "explorer.exe")
                                     .set("process.code_signature.trusted", false)
                                     .set("dll.score", 0.5)
                                     .set("user.name", nullptr)
                                     .set("process.pid", 43)
                                     .to_json());
  EXPECT_EQ(j["@timestamp"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(j["event"]["category"], nlohmann::json::array({"process"}));
  EXPECT_EQ(j["process"]["pid"], 43);
  EXPECT_EQ(j["process"]["parent"]["name"], "explorer.exe");
  EXPECT_EQ(j["process"]["code_signature"]["trusted"], false);
  EXPECT_EQ(j["dll"]["score"], 0.5);
  EXPECT_TRUE(j["user"]["name"].is_null());
}

eqlpp::EventBuilder p_end(const std::string& id, const std::string& exe) {
  return eqlpp::EventBuilder()
      .set("event.id", id)
      .set("event.category", {"process"})
      .set("event.type", {"end"})
      .set("host.id", "h1")
      .set("process.name", exe)
      .set("process.executable", "C:\\" + exe);
}
eqlpp::EventBuilder f_del(const std::string& id, const std::string& file) {
  return eqlpp::EventBuilder()
      .set("event.id", id)
      .set("event.category", {"file"})
      .set("event.type", {"deletion"})
      .set("host.id", "h1")
      .set("file.path", "C:\\" + file);
}

TEST(RuleHarness, MatchersOverAlertsWithEventIdsAndJoinKeys) {
  eqlpp::RuleHarness h({compile(kSeq)});
  ASSERT_TRUE(h.push(p_end("p1", "x.exe")).ok());
  ASSERT_TRUE(h.push(f_del("f1", "x.exe")).ok());
  ASSERT_TRUE(h.push(f_del("f2", "y.exe")).ok());
  EXPECT_THAT(h, Alerts(ElementsAre(AllOf(AlertFor("rule-1"), WithEventIds("p1", "f1"),
                                          WithJoinKeys("h1", "C:\\x.exe")))));
  EXPECT_THAT(h, Alerts(ElementsAre(AlertFor("test rule"))));  // by name too
  // A wrong expectation fails, and the message carries the trace.
  ::testing::StringMatchResultListener listener;
  auto wrong = Alerts(ElementsAre(WithEventIds("p1", "f2")));
  EXPECT_FALSE(::testing::ExplainMatchResult(wrong, h, &listener));
  EXPECT_THAT(::testing::PrintToString(h),
              HasSubstr(R"(no partial sequence for key ["h1","C:\\y.exe"])"));
}

TEST(RuleHarness, BuiltEventsWithoutTimeFollowThePreviousOne) {
  eqlpp::RuleHarness h({compile(kSeq)});
  ASSERT_TRUE(h.push(p_end("p1", "x.exe").at("2024-05-01T00:00:00Z")).ok());
  ASSERT_TRUE(h.push(f_del("f1", "x.exe")).ok());  // 1 ms later
  ASSERT_THAT(h.alerts(), SizeIs(1));
  EXPECT_EQ(h.alerts()[0].alert.last_timestamp - h.alerts()[0].alert.first_timestamp, 1'000'000);
}

TEST(RuleHarness, EventsAreSortedAndNamedByPositionWithoutEventId) {
  auto h = eqlpp::RuleHarness::from_text(kSeq);
  ASSERT_TRUE(h.ok());
  auto st = h->push_lines(
      R"({"@timestamp":2000,"event":{"category":"file","type":"deletion"},"host":{"id":"h"},"file":{"path":"p"}})"
      "\n\n"
      R"({"@timestamp":1000,"event":{"category":"process","type":"end"},"host":{"id":"h"},"process":{"executable":"p"}})"
      "\nnot json\n");
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("line 4"));
  EXPECT_EQ(h->events_pushed(), 3u);
  EXPECT_THAT(*h, Alerts(ElementsAre(WithEventIds("2", "1"))));
}

TEST(RuleHarness, FromFileReportsDiagnostics) {
  auto h = eqlpp::RuleHarness::from_text("process where (", "bad.eql");
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.error().render(), HasSubstr("bad.eql:1:"));
  auto none = eqlpp::RuleHarness::from_file("/nonexistent/rules");
  EXPECT_FALSE(none.ok());
}

TEST(RuleHarness, SeedRuleFromTheRepository) {
  auto h = eqlpp::RuleHarness::from_file(
      EQLPP_SOURCE_DIR "/rules/defense_evasion_process_termination_followed_by_deletion.toml");
  ASSERT_TRUE(h.ok()) << h.error().render();
  auto p = p_end("p1", "Users\\bob\\evil.exe")
               .set("host.os.type", "windows")
               .set("process.code_signature.trusted", false);
  auto f = f_del("f1", "Users\\bob\\evil.exe")
               .set("host.os.type", "windows")
               .set("file.extension", "exe")
               .set("process.executable", "C:\\Windows\\System32\\svchost.exe");
  ASSERT_TRUE(h->push(p).ok());
  ASSERT_TRUE(h->push(f).ok());
  EXPECT_THAT(*h, NoAlerts());
  EXPECT_THAT(h->trace_text({"f1"}), HasSubstr("is true, and the query negates it; "
                                               "process.executable is "
                                               R"("C:\\Windows\\System32\\svchost.exe")"));
  EXPECT_THAT(h->trace_text({"f1"}), ::testing::Not(HasSubstr("event p1")));
}

// ---- rule test files --------------------------------------------------------------

class RuleTestFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("eqlpp-ruletests-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "tests");
    write("r.eql", "sequence by host.id [process where event.type == \"end\"] [file where true]");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  std::filesystem::path dir_;
};

const char* kEvents =
    "events = '''\n"
    R"({"@timestamp":0,"event":{"id":"p","category":"process","type":"start"},"host":{"id":"h"}})"
    "\n"
    R"({"@timestamp":1,"event":{"id":"f","category":"file"},"host":{"id":"h"}})"
    "\n'''\n";

TEST_F(RuleTestFiles, PassingAndFailingCasesWithTheRejectingCondition) {
  write("tests/r.toml", std::string("[[case]]\nname = \"start is not end\"\n") + kEvents +
                            "alerts = []\n\n[[case]]\nname = \"wrong\"\n" + kEvents +
                            "alerts = [[\"p\", \"f\"]]\n");
  auto rep = eqlpp::run_rule_tests({(dir_ / "r.eql").string()});
  EXPECT_TRUE(rep.diagnostics.empty()) << rep.diagnostics.render();
  ASSERT_THAT(rep.cases, SizeIs(2));
  EXPECT_EQ(rep.passed, 1u);
  EXPECT_EQ(rep.failed, 1u);
  EXPECT_TRUE(rep.cases[0].passed);
  EXPECT_FALSE(rep.cases[1].passed);
  EXPECT_THAT(rep.cases[1].message, HasSubstr("expected an alert with events [p, f]"));
  EXPECT_THAT(rep.cases[1].message,
              HasSubstr("stage 0 (process): rejected: `event.type == \"end\"` (query 1:36) is "
                        "false; event.type is \"start\""));
}

TEST_F(RuleTestFiles, DirectoryDiscoveryTraceContainsAndUnexpectedAlerts) {
  write("tests/r.toml",
        "[[case]]\nname = \"unexpected\"\nevents = '''\n"
        R"({"@timestamp":0,"event":{"id":"p","category":"process","type":"end"},"host":{"id":"h"}})"
        "\n"
        R"({"@timestamp":1,"event":{"id":"f","category":"file"},"host":{"id":"h"}})"
        "\n'''\nalerts = []\ntrace_contains = ['completed the sequence', 'not in the trace']\n");
  auto rep = eqlpp::run_rule_tests({dir_.string()});
  ASSERT_THAT(rep.cases, SizeIs(1));
  EXPECT_FALSE(rep.cases[0].passed);
  EXPECT_THAT(rep.cases[0].message, HasSubstr("unexpected alert of rule r with events [p, f]"));
  EXPECT_THAT(rep.cases[0].message, HasSubstr("does not contain \"not in the trace\""));
  EXPECT_THAT(rep.cases[0].message,
              ::testing::Not(HasSubstr("does not contain \"completed the sequence\"")));
}

TEST_F(RuleTestFiles, InvalidFilesAreDiagnosedWithALocation) {
  write("tests/r.toml", "[[case]]\nname = \"x\"\nalerts = [[\"a\"]\n");
  auto rep = eqlpp::run_rule_tests({(dir_ / "tests" / "r.toml").string()});
  ASSERT_TRUE(rep.diagnostics.has_errors());
  EXPECT_THAT(rep.diagnostics.render(), HasSubstr("r.toml:"));
  write("tests/r.toml", "[[case]]\nname = \"x\"\nalerts = []\n");
  rep = eqlpp::run_rule_tests({(dir_ / "tests" / "r.toml").string()});
  EXPECT_THAT(rep.diagnostics.render(), HasSubstr("has no `events` or `events_file`"));
  write("tests/orphan.toml", "[[case]]\nname = \"x\"\nevents = ''\nalerts = []\n");
  rep = eqlpp::run_rule_tests({(dir_ / "tests" / "orphan.toml").string()});
  EXPECT_THAT(rep.diagnostics.render(), HasSubstr("no rule file for this test file"));
  std::filesystem::remove(dir_ / "tests" / "r.toml");
  rep = eqlpp::run_rule_tests({(dir_ / "r.eql").string()});
  EXPECT_THAT(rep.diagnostics.render(), HasSubstr("no rule tests for this rule file"));
}

TEST(RuleTestFilesSeed, TheBundledSeedRuleCasesPass) {
  auto rep = eqlpp::run_rule_tests({EQLPP_SOURCE_DIR "/rules"});
  EXPECT_TRUE(rep.diagnostics.empty()) << rep.diagnostics.render();
  EXPECT_GE(rep.cases.size(), 30u);
  for (const auto& c : rep.cases) EXPECT_TRUE(c.passed) << c.name << "\n" << c.message;
}

}  // namespace
