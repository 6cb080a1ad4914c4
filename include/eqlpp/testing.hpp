// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/testing.hpp — GoogleTest/GoogleMock support for rule tests.
//
// CMake: find_package(eqlpp CONFIG REQUIRED COMPONENTS testing)
//        target_link_libraries(rule_tests PRIVATE eqlpp::testing GTest::gmock_main)
//
//   using namespace eqlpp::testing;   // in your test file, not a header
//   auto h = eqlpp::RuleHarness::from_file("rules/my_rule.toml");
//   ASSERT_TRUE(h) << h.error().render();
//   h->push(eqlpp::EventBuilder().set("event.id", "p1").set("event.category", "process") ...);
//   EXPECT_THAT(*h, Alerts(ElementsAre(AllOf(AlertFor("my-rule-id"),
//                                             WithEventIds("p1", "f1"),
//                                             WithJoinKeys("host-1")))));
//
// Match the harness itself (Alerts(...)), not harness.alerts(): on failure
// GoogleTest then prints the alerts and the rule trace, which names for each
// event the stage and the condition that rejected it.
#pragma once

#include <gmock/gmock.h>

#include <ostream>
#include <string>
#include <vector>

#include "eqlpp/harness.hpp"

namespace eqlpp {

/// Prints an alert as "rule ID with events [ids], join keys [keys]" in test failures.
inline void PrintTo(const HarnessAlert& a, std::ostream* os) { *os << a.to_string(); }

/// Prints the harness's alerts and its whole trace in test failures.
inline void PrintTo(const RuleHarness& h, std::ostream* os) { *os << "\n" << h.describe(); }

namespace testing {

/// Matches the alerts of a RuleHarness (finishing its stream first).
MATCHER_P(Alerts, inner,
          "has alerts that " +
              ::testing::DescribeMatcher<const std::vector<HarnessAlert>&>(inner)) {
  return ::testing::ExplainMatchResult(inner, arg.alerts(), result_listener);
}

/// The harness raised no alert.
MATCHER(NoAlerts, "raised no alert") {
  return ::testing::ExplainMatchResult(::testing::IsEmpty(), arg.alerts(), result_listener);
}

/// An alert of the rule with this id (or, for a rule without an id, name).
MATCHER_P(AlertFor, rule_id, "is an alert of rule " + ::testing::PrintToString(rule_id)) {
  return arg.rule_id == rule_id || arg.alert.rule.metadata().name == rule_id;
}

/// An alert whose events are exactly these, in stage order (event.id, or
/// 1-based position for events without one).
template <class... Ids>
auto WithEventIds(const Ids&... ids) {
  return ::testing::Field("event_ids", &HarnessAlert::event_ids,
                          ::testing::ElementsAre(std::string(ids)...));
}

/// An alert whose join keys are exactly these (strings bare, other values as JSON).
template <class... Keys>
auto WithJoinKeys(const Keys&... keys) {
  return ::testing::Field("join_keys", &HarnessAlert::join_keys,
                          ::testing::ElementsAre(std::string(keys)...));
}

}  // namespace testing
}  // namespace eqlpp
