// SPDX-License-Identifier: Apache-2.0
// Shared leaves: the conditions whose result depends on the event's fields
// alone (a field compared with constants, and `and` / `or` / `not` of
// those), numbered per rule with a structural key, so that an engine
// evaluates each distinct one once per event however many rules and stages
// repeat it (runtime/leaf_memo.hpp). The numbering is computed once, at
// compile time, into CompiledRule::memo_nodes; the keys when an engine adds
// the rule (they are not kept: they would double the rules' constants).
#pragma once

#include "compile/plan.hpp"

namespace eqlpp::compiler {

/// Numbers the memoizable nodes of every filter of `plan` (PNode::memo) and
/// fills plan.memo_nodes. Not memoizable: a condition
/// over a value expression (functions, arithmetic, field comparisons),
/// `_arraysearch` and everything in it (its fields read one element), a
/// stage alias (it reads a partial's values), lineage (it reads the
/// lineage table), and whatever contains one of those.
void analyse_shared_leaves(detail::CompiledRule& plan);

/// The structural key of memoizable leaf `p` (neither `and`, `or` nor
/// `not`): every fact its result depends on (field name, operation,
/// folding, constants; a set's members sorted), so that two leaves with the
/// same key give the same result on every event.
std::string leaf_key(const PNode& p, const detail::CompiledRule& plan);

}  // namespace eqlpp::compiler
