// SPDX-License-Identifier: Apache-2.0
// Helpers of the rule trace (eqlpp/trace.hpp): finding the condition that
// decided a filter, and readable keys and durations. Only called when tracing.
#pragma once

#include <string>

#include "compile/plan.hpp"
#include "eqlpp/trace.hpp"
#include "runtime/eval.hpp"
#include "runtime/sequence_state.hpp"

namespace eqlpp::runtime {

/// The condition that decided `filter` for the event in `ctx` (the filter
/// evaluated false): the first false branch of an `and`, the first branch of
/// an `or` whose branches all failed, through `not` with the need inverted.
TraceCondition explain_rejection(const detail::CompiledRule& rule, const compiler::PNode& filter,
                                 EvalCtx& ctx);

/// A join key as a JSON array: ["host-1","C:\\x.exe"].
std::string key_text(const Key& key);

/// A duration in the largest fitting unit: "1.25s", "300ms", "12us".
std::string duration_text(std::int64_t ns);

}  // namespace eqlpp::runtime
