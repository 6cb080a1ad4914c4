// SPDX-License-Identifier: Apache-2.0
// The state topic: one snapshot per event partition, keyed "topic:partition"
// (a compacted topic keeps the latest). Reading it back: the latest
// committed snapshot of each partition asked for.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "eqlpp/kafka.hpp"

namespace eqlpp::kafka {

inline std::string state_key(const std::string& topic, std::int32_t partition) {
  return topic + ":" + std::to_string(partition);
}

/// The latest snapshot in `o.state_topic` of each of `partitions` of
/// `o.topic` (read_committed, to the end of every state partition). A
/// missing state topic holds none. `err` says what failed.
std::map<std::int32_t, std::string> read_state(const ConsumerOptions& o,
                                               const std::set<std::int32_t>& partitions,
                                               std::string& err);

}  // namespace eqlpp::kafka
