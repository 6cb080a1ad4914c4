// SPDX-License-Identifier: Apache-2.0
// Index mappings (issue 15, point 5): field types change how events' values
// are read and what a comparison compares, as Elasticsearch's mappers and
// verifier do. Expected results follow Elasticsearch's mapping reference
// (number `coerce`, boolean, keyword, ip, version, date `format`,
// `null_value`, `ignore_malformed`, field aliases): a literal becomes a
// term or range query that the field's mapper converts.
#include <gtest/gtest.h>

#include "compile/version_order.hpp"
#include "eqlpp/eqlpp.hpp"
#include "ingest/date_format.hpp"

namespace {

constexpr const char* kMapping = R"({"events": {"mappings": {"properties": {
  "@timestamp": {"type": "date"},
  "pid": {"type": "long"},
  "lpid": {"type": "long", "ignore_malformed": true},
  "score": {"type": "float"},
  "name": {"type": "keyword", "fields": {"text": {"type": "text"}}},
  "flag": {"type": "boolean"},
  "user": {"type": "keyword", "null_value": "NULL"},
  "ip": {"type": "ip"},
  "v": {"type": "version"},
  "created": {"type": "date", "format": "yyyy/MM/dd HH:mm:ss||epoch_second"},
  "pname": {"type": "alias", "path": "process.name"},
  "process": {"properties": {"name": {"type": "keyword"}}}
}}}})";

eqlpp::CompileOptions mapped() {
  eqlpp::CompileOptions o;
  auto st = eqlpp::load_mapping(kMapping, o);
  EXPECT_TRUE(st.ok()) << st.message();
  return o;
}

// Alerts of `any where cond` over one event; -1: compile error, -2: the event was rejected.
int run(const std::string& cond, const std::string& fields,
        const eqlpp::CompileOptions& o = mapped()) {
  auto r = eqlpp::compile("any where " + cond, eqlpp::RuleMetadata{}, o, "<q>");
  if (!r) return -1;
  eqlpp::Engine e;
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  auto st = e.push_json("{\"@timestamp\":\"2026-01-01T00:00:00Z\"" + fields + "}");
  e.finish();
  return st.ok() ? n : -2;
}

TEST(Mapping, ReadsEveryTypeAliasesAndMultiFields) {
  auto o = mapped();
  using T = eqlpp::FieldType;
  EXPECT_EQ(o.field_mappings.at("pid").type, T::kInteger);
  EXPECT_TRUE(o.field_mappings.at("lpid").ignore_malformed);
  EXPECT_EQ(o.field_mappings.at("score").type, T::kFloat);
  EXPECT_EQ(o.field_mappings.at("name.text").type, T::kKeyword);  // a multi-field
  EXPECT_EQ(o.field_mappings.at("user").null_value, "NULL");
  EXPECT_EQ(o.field_mappings.at("ip").type, T::kIp);
  EXPECT_EQ(o.field_mappings.at("v").type, T::kVersion);
  EXPECT_EQ(o.field_mappings.at("created").format, "yyyy/MM/dd HH:mm:ss||epoch_second");
  EXPECT_EQ(o.field_mappings.at("pname").path, "process.name");
  EXPECT_EQ(o.field_mappings.at("process.name").type, T::kKeyword);
  EXPECT_EQ(o.date_fields, (std::vector<std::string>{"@timestamp", "created"}));
  eqlpp::CompileOptions bad;
  EXPECT_EQ(eqlpp::load_mapping(R"({"properties": {"a": {"type": "alias"}}})", bad).code(),
            eqlpp::DiagCode::kInvalidMapping);
  EXPECT_TRUE(bad.field_mappings.empty());
}

TEST(Mapping, NumbersAreCoercedAsElasticsearchIndexesThem) {
  EXPECT_EQ(run("pid == 42", R"(,"pid":"42")"), 1);  // a string of a number
  EXPECT_EQ(run("pid == 4", R"(,"pid":4.7)"), 1);    // an integer type truncates
  EXPECT_EQ(run("pid == 4", R"(,"pid":"4.7")"), 1);
  EXPECT_EQ(run("score == 4.5", R"(,"score":"4.5")"), 1);
  EXPECT_EQ(run("score > 4", R"(,"score":"4.5")"), 1);
  // Not a number: Elasticsearch rejects the document; with ignore_malformed the value is dropped.
  EXPECT_EQ(run("pid == 42", R"(,"pid":"forty-two")"), -2);
  EXPECT_EQ(run("lpid == null", R"(,"lpid":"forty-two")"), 1);
  // Without a mapping the values are compared as JSON gives them.
  EXPECT_EQ(run("pid == 4", R"(,"pid":4.7)", {}), 0);
}

TEST(Mapping, AMalformedValueIsReportedAndTheStreamGoesOn) {
  auto o = mapped();
  auto r = eqlpp::compile("any where pid > 0", eqlpp::RuleMetadata{}, o, "<q>");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  int n = 0;
  e.on_alert([&](const eqlpp::Alert&) { ++n; });
  auto st = e.push_json(R"({"@timestamp":1,"pid":true})");
  EXPECT_EQ(st.code(), eqlpp::DiagCode::kMappingMismatch);
  EXPECT_NE(st.message().find("'true' is not a value of field 'pid'"), std::string::npos)
      << st.message();
  EXPECT_TRUE(e.push_json(R"({"@timestamp":2,"pid":7})").ok());
  e.finish();
  EXPECT_EQ(n, 1);
  EXPECT_EQ(e.stats().malformed, 1u);
}

TEST(Mapping, ALiteralTheFieldsTypeCannotReadIsACompileError) {
  auto o = mapped();
  auto r = eqlpp::compile("any where pid == \"abc\"", eqlpp::RuleMetadata{}, o, "<q>");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), eqlpp::DiagCode::kWrongArgumentType);
  EXPECT_NE(r.error()[0].message.find("\"abc\" is not a value of field pid, mapped as integer"),
            std::string::npos)
      << r.error()[0].message;
  EXPECT_EQ(run("pid == \"42\"", R"(,"pid":42)"), 1);  // the mapper reads "42" as 42
  EXPECT_EQ(run("flag == \"true\"", R"(,"flag":true)"), 1);
  EXPECT_EQ(run("flag == \"yes\"", ""), -1);
  EXPECT_EQ(run("flag == 1", ""), -1);
  EXPECT_EQ(run("ip == 1", ""), -1);
  EXPECT_EQ(run("pid in (1, \"x\")", ""), -1);
  EXPECT_EQ(run("pid == null", ""), 1);
  // Without a mapping eqlpp cannot know the types and compiles them.
  EXPECT_EQ(run("pid == \"abc\"", R"(,"pid":"abc")", {}), 1);
}

TEST(Mapping, KeywordsIndexNumbersAndBooleansAsText) {
  EXPECT_EQ(run("name == \"123\"", R"(,"name":123)"), 1);
  EXPECT_EQ(run("name : \"12*\"", R"(,"name":123)"), 1);
  EXPECT_EQ(run("name == \"1.50\"", R"(,"name":1.50 )"), 1);  // the JSON text, as written
  EXPECT_EQ(run("name == \"true\"", R"(,"name":true)"), 1);
  EXPECT_EQ(run("name < \"2\"", R"(,"name":10)"), 1);      // "10" < "2" by bytes
  EXPECT_EQ(run("name < \"2\"", R"(,"name":10)", {}), 0);  // unmapped: the number 10
}

TEST(Mapping, Booleans) {
  EXPECT_EQ(run("flag == true", R"(,"flag":"true")"), 1);
  EXPECT_EQ(run("flag == false", R"(,"flag":"")"), 1);
  EXPECT_EQ(run("flag", R"(,"flag":"true")"), 1);
  EXPECT_EQ(run("flag == true", R"(,"flag":"yes")"), -2);
}

TEST(Mapping, NullValueReplacesAnExplicitNullNotAMissingField) {
  EXPECT_EQ(run("user == \"NULL\"", R"(,"user":null)"), 1);
  EXPECT_EQ(run("user == null", R"(,"user":null)"), 0);  // indexed as "NULL": it exists
  EXPECT_EQ(run("user == \"NULL\"", R"(,"user":[null,"a"])"), 1);
  EXPECT_EQ(run("user == \"NULL\"", ""), 0);  // missing stays missing
  EXPECT_EQ(run("user == null", ""), 1);
  EXPECT_EQ(run("user == \"NULL\"", R"(,"user":null)", {}), 0);
}

TEST(Mapping, IpFieldsCompareAddresses) {
  EXPECT_EQ(run("ip == \"10.0.0.0/8\"", R"(,"ip":"10.1.2.3")"), 1);  // a term query takes CIDR
  EXPECT_EQ(run("ip == \"10.0.0.0/8\"", R"(,"ip":"11.1.2.3")"), 0);
  EXPECT_EQ(run("ip == \"::ffff:10.1.2.3\"", R"(,"ip":"10.1.2.3")"), 1);
  EXPECT_EQ(run("ip != \"127.0.0.1\"", R"(,"ip":"127.0.0.1")"), 0);
  EXPECT_EQ(run("ip != \"127.0.0.1\"", R"(,"ip":"::1")"), 1);
  EXPECT_EQ(run("ip < \"10.0.0.5\"", R"(,"ip":"10.0.0.4")"), 1);
  EXPECT_EQ(run("ip < \"10.0.0.5\"", R"(,"ip":"10.0.0.40")"), 0);  // not by bytes of text
  EXPECT_EQ(run("ip in (\"192.168.0.0/16\", \"10.1.2.3\")", R"(,"ip":"10.1.2.3")"), 1);
  EXPECT_EQ(run("ip in (\"192.168.0.0/16\", \"10.1.2.3\")", R"(,"ip":"192.168.7.7")"), 1);
  EXPECT_EQ(run("ip not in (\"192.168.0.0/16\")", R"(,"ip":"192.168.7.7")"), 0);
  EXPECT_EQ(run("ip == \"not-an-ip\"", ""), -1);
  EXPECT_EQ(run("ip < \"10.0.0.0/8\"", ""), -1);
  EXPECT_EQ(run("ip == \"10.0.0.1\"", R"(,"ip":"nope")"), -2);
}

TEST(Mapping, VersionFieldsOrderAsVersions) {
  EXPECT_EQ(run("v > \"1.9.0\"", R"(,"v":"1.10.0")"), 1);
  EXPECT_EQ(run("v > \"1.9.0\"", R"(,"v":"1.10.0")", {}), 0);  // a keyword: by bytes
  EXPECT_EQ(run("v < \"1.0.0\"", R"(,"v":"1.0.0-beta")"), 1);
  EXPECT_EQ(run("v >= \"2.0\"", R"(,"v":"2.0.1")"), 1);
  EXPECT_EQ(run("v > \"99.0.0\"", R"(,"v":"1.2.alpha.4")"), 1);  // not a version: after all
  EXPECT_EQ(run("v == \"1.0\"", R"(,"v":"1.0.0")"), 0);          // a term query is exact
  EXPECT_EQ(run("not v <= \"1.9.0\"", R"(,"v":"1.10.0")"), 1);
}

TEST(Mapping, VersionOrder) {
  using eqlpp::compiler::compare_versions;
  EXPECT_LT(compare_versions("2.1.0", "2.4.1"), 0);
  EXPECT_LT(compare_versions("2.4.1", "2.11.2"), 0);
  EXPECT_LT(compare_versions("1.0.0-alpha", "1.0.0-alpha.1"), 0);
  EXPECT_LT(compare_versions("1.0.0-alpha.1", "1.0.0-alpha.beta"), 0);
  EXPECT_LT(compare_versions("1.0.0-beta.2", "1.0.0-beta.11"), 0);
  EXPECT_LT(compare_versions("1.0.0-rc.1", "1.0.0"), 0);
  EXPECT_LT(compare_versions("1.2", "1.2.0"), 0);
  EXPECT_LT(compare_versions("1.2.3.4", "1.3"), 0);
  EXPECT_LT(compare_versions("9.9.9", "1.2.alpha.4"), 0);
  EXPECT_LT(compare_versions("1.2.alpha.4", "1.2.beta"), 0);
  EXPECT_EQ(compare_versions("1.0.0", "1.0.0"), 0);
  EXPECT_FALSE(eqlpp::compiler::is_version("1..2"));
  EXPECT_FALSE(eqlpp::compiler::is_version("1.0.0-"));
}

TEST(Mapping, AliasesReadTheirTarget) {
  EXPECT_EQ(run("pname == \"a.exe\"", R"(,"process":{"name":"a.exe"})"), 1);
  EXPECT_EQ(run("pname == \"a.exe\"", R"(,"pname":"a.exe")"), 0);  // the alias holds no value
  auto o = mapped();
  auto r = eqlpp::compile("any where pname == \"a\"", eqlpp::RuleMetadata{}, o, "<q>");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->explain().find("process.name[any]"), std::string::npos) << r->explain();
}

TEST(Mapping, DatesReadInTheirFormatAndJoinAsEpochMilliseconds) {
  EXPECT_EQ(run("created == \"2026-01-02T03:04:05Z\"", R"(,"created":"2026/01/02 03:04:05")"), 1);
  EXPECT_EQ(run("created == \"2026-01-02T03:04:05Z\"", R"(,"created":1767323045)"), 1);
  EXPECT_EQ(run("created == \"2026-01-02T03:04:05Z\"", R"(,"created":"2026-01-02T03:04:05Z")"),
            -2);  // not in the field's format
  // A join key on a date field is its epoch milliseconds, whatever the text.
  auto o = mapped();
  auto r = eqlpp::compile("sequence by created [any where true] [any where true]",
                          eqlpp::RuleMetadata{}, o, "<q>");
  ASSERT_TRUE(r.ok());
  eqlpp::Engine e;
  e.add_rule(*r);
  std::vector<eqlpp::Value> keys;
  e.on_alert([&](const eqlpp::Alert& a) { keys = a.join_keys(); });
  ASSERT_TRUE(e.push_json(R"({"@timestamp":1,"created":"2026/01/02 03:04:05"})").ok());
  ASSERT_TRUE(e.push_json(R"({"@timestamp":2,"created":1767323045})").ok());
  e.finish();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0], eqlpp::Value(std::int64_t{1767323045000}));
}

TEST(Mapping, TheTimestampInItsFormat) {
  eqlpp::Engine e({.timestamp_format = "epoch_second"});
  auto r = eqlpp::compile("any where true");
  ASSERT_TRUE(r.ok());
  e.add_rule(*r);
  std::int64_t ts = 0;
  e.on_alert([&](const eqlpp::Alert& a) { ts = a.events[0].timestamp; });
  ASSERT_TRUE(e.push_json(R"({"@timestamp":1700000000})").ok());
  e.finish();
  EXPECT_EQ(ts, std::int64_t{1700000000} * 1'000'000'000);
  eqlpp::Engine bad({.timestamp_format = "yyyy-QQ"});
  EXPECT_EQ(bad.push_json(R"({"@timestamp":1700000000})").code(),
            eqlpp::DiagCode::kInvalidTimestamp);
}

TEST(Mapping, DateFormats) {
  auto read = [](const char* format, eqlpp::Value v) {
    eqlpp::ingest::DateFormat f;
    std::string err;
    EXPECT_TRUE(f.parse(format, err)) << format << ": " << err;
    std::int64_t ns = 0;
    return f.read(v, ns) ? ns / 1'000'000 : -1;
  };
  const std::int64_t ms = 1767323045000;  // 2026-01-02T03:04:05Z
  EXPECT_EQ(read("yyyy-MM-dd HH:mm:ss", eqlpp::Value("2026-01-02 03:04:05")), ms);
  EXPECT_EQ(read("dd/MMM/yyyy:HH:mm:ss Z", eqlpp::Value("02/Jan/2026:04:04:05 +0100")), ms);
  EXPECT_EQ(read("yyyyMMdd'T'HHmmss.SSSZ", eqlpp::Value("20260102T030405.250Z")), ms + 250);
  EXPECT_EQ(read("basic_date_time", eqlpp::Value("20260102T030405.250Z")), ms + 250);
  EXPECT_EQ(read("MM/dd/yyyy hh:mm:ss a", eqlpp::Value("01/02/2026 03:04:05 AM")), ms);
  EXPECT_EQ(read("strict_date", eqlpp::Value("2026-01-02")), ms - 3 * 3600000 - 4 * 60000 - 5000);
  EXPECT_EQ(read("epoch_second", eqlpp::Value("1767323045")), ms);
  EXPECT_EQ(read("epoch_millis", eqlpp::Value(std::int64_t{ms})), ms);
  EXPECT_EQ(read("strict_date_optional_time", eqlpp::Value("2026-01-02T03:04:05Z")), ms);
  EXPECT_EQ(read("strict_date_optional_time", eqlpp::Value("1767323045000")), -1);
  EXPECT_EQ(read("yyyy-MM-dd", eqlpp::Value("2026-02-30")), -1);  // strict
  EXPECT_EQ(read("yyyy-MM-dd||epoch_millis", eqlpp::Value(std::int64_t{ms})), ms);
  eqlpp::ingest::DateFormat f;
  std::string err;
  EXPECT_FALSE(f.parse("yyyy-QQ", err));
  EXPECT_NE(err.find("'Q'"), std::string::npos);
}

}  // namespace
