// SPDX-License-Identifier: Apache-2.0
// The join keys an event takes part in at one stage (eql-semantics.md §7.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "compile/plan.hpp"
#include "runtime/eval.hpp"
#include "runtime/sequence_state.hpp"

namespace eqlpp::runtime {

/// The event's join keys for stage `st` into `keys`; false when it has none (a
/// required key is null). A multi-valued key field joins on each of its values,
/// as Elasticsearch does since 8.6 (elastic/elasticsearch PR #89965, "EQL
/// sequences: support join on multi-values": "each value is considered as a
/// different join key ... In case of multiple multi-value keys, the resulting
/// keys will be the cartesian product"). Null elements are no values (a
/// Record drops them), duplicates join once, and each element keeps its own
/// type (1 and "1" stay different keys). The product is bounded by
/// EngineOptions::max_join_key_combinations; the rest is counted in
/// `dropped` (EngineStats::key_combinations_dropped).
bool join_keys(const compiler::StagePlan& st, EvalCtx& ctx, std::size_t bound,
               std::vector<Key>& keys, std::vector<Key>& scratch, std::uint64_t& dropped);

}  // namespace eqlpp::runtime
