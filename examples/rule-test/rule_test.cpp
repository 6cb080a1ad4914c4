// SPDX-License-Identifier: Apache-2.0
// Unit tests for a detection rule, with eqlpp::testing (GoogleTest + GoogleMock).
#include <gtest/gtest.h>

#include <eqlpp/testing.hpp>

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using namespace eqlpp::testing;  // NOLINT: Alerts, NoAlerts, AlertFor, WithEventIds, WithJoinKeys

constexpr const char* kRuleId = "09443c92-46b3-45a4-8f25-383b028b258d";

// A Windows process that ended, unsigned.
eqlpp::EventBuilder process_end(const char* id, const char* exe) {
  return eqlpp::EventBuilder()
      .set("event.id", id)
      .set("event.category", {"process"})
      .set("event.type", {"end"})
      .set("host.id", "host-1")
      .set("host.os.type", "windows")
      .set("process.executable", exe)
      .set("process.code_signature.trusted", false);
}

// That executable deleted by cmd.exe.
eqlpp::EventBuilder file_deletion(const char* id, const char* path) {
  return eqlpp::EventBuilder()
      .set("event.id", id)
      .set("event.category", {"file"})
      .set("event.type", {"deletion"})
      .set("host.id", "host-1")
      .set("host.os.type", "windows")
      .set("file.path", path)
      .set("file.extension", "exe")
      .set("process.executable", "C:\\Windows\\System32\\cmd.exe");
}

class SeedRule : public ::testing::Test {
 protected:
  void SetUp() override {
    auto h = eqlpp::RuleHarness::from_file(SEED_RULE);
    ASSERT_TRUE(h) << h.error().render();
    harness_ = std::make_unique<eqlpp::RuleHarness>(std::move(h.value()));
  }
  eqlpp::RuleHarness& h() { return *harness_; }
  std::unique_ptr<eqlpp::RuleHarness> harness_;
};

TEST_F(SeedRule, TerminationThenDeletionAlerts) {
  const char* exe = "C:\\Users\\bob\\AppData\\Local\\Temp\\dropper.exe";
  ASSERT_TRUE(h().push(process_end("p1", exe).at("2026-03-02T10:00:00Z")));
  ASSERT_TRUE(h().push(file_deletion("f1", exe).at("2026-03-02T10:00:02Z")));
  // On failure GoogleTest prints the alerts and the trace: for each event, the
  // stage and condition that rejected it, and what became of the partials.
  EXPECT_THAT(h(), Alerts(ElementsAre(AllOf(AlertFor(kRuleId), WithEventIds("p1", "f1"),
                                            WithJoinKeys("host-1", exe)))));
}

TEST_F(SeedRule, DeletionBySvchostIsExcluded) {
  const char* exe = "C:\\Users\\bob\\AppData\\Local\\Temp\\dropper.exe";
  ASSERT_TRUE(h().push(process_end("p1", exe)));
  ASSERT_TRUE(h().push(
      file_deletion("f1", exe).set("process.executable", "C:\\Windows\\System32\\svchost.exe")));
  EXPECT_THAT(h(), NoAlerts());
  // The trace says why: the file stage's exclusion list matched.
  EXPECT_THAT(h().trace_text({"f1"}),
              ::testing::HasSubstr("is true, and the query negates it; process.executable is"));
}

TEST_F(SeedRule, MoreThanFiveSecondsApartDoesNotAlert) {
  const char* exe = "C:\\Users\\bob\\AppData\\Local\\Temp\\dropper.exe";
  ASSERT_TRUE(h().push(process_end("p1", exe).at("2026-03-02T10:00:00Z")));
  ASSERT_TRUE(h().push(file_deletion("f1", exe).at("2026-03-02T10:00:05.001Z")));
  EXPECT_THAT(h(), NoAlerts());
}

}  // namespace
