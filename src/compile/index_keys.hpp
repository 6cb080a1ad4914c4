// SPDX-License-Identifier: Apache-2.0
// Plan analysis for the rule index: which field values a stage's filter
// needs. A rule whose every stage (until included) has such a condition is
// evaluated only for events that have one of the values
// (EngineOptions::index_rules, runtime/dispatcher.*). Computed once, at
// compile time, into CompiledRule::index_keys; `eqlpp explain` prints it.
#pragma once

#include <string_view>
#include <vector>

#include "compile/plan.hpp"

namespace eqlpp::compiler {

/// Keys such that `p` true implies one of them holds (a disjunction); false
/// when no such keys exist. An `and` contributes its most selective conjunct.
bool node_keys(const PNode& p, const detail::CompiledRule& plan, std::vector<IndexKey>& out);

/// Fields whose values most events share: never an index key.
bool shared_by_most(std::string_view field);
/// Those and fields with few values per stream: a key of last resort.
bool low_cardinality(std::string_view field);

/// Sets plan.indexed and plan.index_keys (every stage's keys, deduplicated
/// by field and values), or leaves the rule unindexed; and the same for each
/// lineage sub-query's filter (CompiledRule::LineageSub).
void analyse_index(detail::CompiledRule& plan);

}  // namespace eqlpp::compiler
