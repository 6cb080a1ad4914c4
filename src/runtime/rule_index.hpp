// SPDX-License-Identifier: Apache-2.0
// The rule index's plan analysis: which field values a stage's filter needs.
// A rule whose every stage has such a condition is evaluated only for events
// that have one of the values (EngineOptions::index_rules).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compile/plan.hpp"

namespace eqlpp::runtime {

/// A necessary condition of a stage: some string value of field `slot` is
/// (ASCII-folded when `insensitive`) one of `values`.
struct IndexKey {
  std::uint32_t slot = 0;
  bool insensitive = false;
  std::vector<std::string> values;
};

/// Keys such that `p` true implies one of them holds (a disjunction); false
/// when no such keys exist. An `and` contributes its most selective conjunct.
bool node_keys(const compiler::PNode& p, const detail::CompiledRule& plan,
               std::vector<IndexKey>& out);

/// Fields whose values most events share: a condition on them prunes little.
bool low_cardinality(std::string_view field);

}  // namespace eqlpp::runtime
