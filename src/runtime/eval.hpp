// SPDX-License-Identifier: Apache-2.0
// Evaluation of compiled predicates and values against one Record.
#pragma once

#include <span>

#include "compile/functions.hpp"
#include "compile/plan.hpp"
#include "eqlpp/event.hpp"

namespace eqlpp::runtime {

struct EvalCtx {
  const Record* rec = nullptr;
  const FieldId* map = nullptr;  // rule slot -> engine FieldId
  compiler::Scratch scratch;
  std::string fold;

  [[nodiscard]] std::span<const Value> field(std::uint32_t slot) const {
    return rec->values(map[slot]);
  }
};

/// Two-valued predicate evaluation (Elasticsearch query semantics).
bool eval_pred(const compiler::PNode& p, EvalCtx& ctx);
/// Three-valued value evaluation: null (Value()) when any operand is null.
Value eval_value(const compiler::VExpr& e, EvalCtx& ctx);

}  // namespace eqlpp::runtime
