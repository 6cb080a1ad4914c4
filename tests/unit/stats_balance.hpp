// SPDX-License-Identifier: Apache-2.0
// The balance of EngineStats, checked after every test stream (and after
// each of its events where the test drives the engine itself).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "eqlpp/engine.hpp"

namespace eqlpp_test {

/// partials_created == completed + expired + evicted + live, and every event
/// pushed is processed, malformed, late, set aside, held or buffered.
inline ::testing::AssertionResult StatsBalance(const eqlpp::EngineStats& s) {
  const auto ended = s.partials_completed + s.partials_expired + s.partials_evicted;
  if (s.partials_created != ended + s.partials_live)
    return ::testing::AssertionFailure()
           << "partials: created " << s.partials_created << " != completed " << s.partials_completed
           << " + expired " << s.partials_expired << " + evicted " << s.partials_evicted
           << " + live " << s.partials_live;
  const auto events =
      s.events_processed + s.malformed + s.late + s.ahead + s.held_ahead + s.buffered;
  if (s.events_in != events)
    return ::testing::AssertionFailure() << "events: in " << s.events_in << " != " << events;
  std::uint64_t live = 0;
  for (const auto& r : s.rules) live += r.partials_live;
  if (live != s.partials_live)
    return ::testing::AssertionFailure()
           << "partials_live " << s.partials_live << " != the rules' sum " << live;
  return ::testing::AssertionSuccess();
}

}  // namespace eqlpp_test
