// SPDX-License-Identifier: Apache-2.0
// File: eqlpp/partition.hpp
//
// The partition planner: which rules give the same alerts when the stream
// is split by the value of one field and each part runs on its own engine.
//
//   auto plan = eqlpp::plan_partitions(rules, "host.id");
//   for (const auto& p : plan)
//     if (!p.safe) std::printf("%s: %s\n", p.rule.metadata().name.c_str(), p.reason.c_str());
//
// A rule is partition-safe by field F when each of its results only ever
// involves events that agree on F:
//   - an event query without pipes (one event, no state);
//   - a sequence or sample whose every stage (and `until`) joins on F
//     itself (`by F` at the same key position, shared or per stage), not
//     optional (`?F` joins a missing value with a missing value);
//   - with lineage (`descendant of` and the like), only when F names the
//     host (host.id, host.name, host.hostname, agent.id): process trees live
//     on one host.
// Anything else, including `head` and `tail` pipes (they count results
// across the whole stream), is not, with the reason. The rate limit
// (EngineOptions::max_alerts_per_second) is per engine: a sharded run
// applies it per partition.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/export.hpp"
#include "eqlpp/rule.hpp"

namespace eqlpp {

/// One rule's verdict.
struct PartitionVerdict {
  Rule rule;
  bool safe = false;
  std::string reason;  ///< why not (empty when safe)
};

/// The verdict for each rule, in order.
EQLPP_EXPORT std::vector<PartitionVerdict> plan_partitions(std::span<const Rule> rules,
                                                           std::string_view field);

}  // namespace eqlpp
