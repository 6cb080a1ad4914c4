// SPDX-License-Identifier: Apache-2.0
// Evaluation of compiled predicates and values against one Record.
#pragma once

#include <span>

#include "compile/functions.hpp"
#include "compile/plan.hpp"
#include "eqlpp/event.hpp"

namespace eqlpp::runtime {

class LineageTable;

struct EvalCtx {
  const Record* rec = nullptr;
  const FieldId* map = nullptr;  // rule slot -> engine FieldId
  compiler::Scratch scratch;
  std::string fold;
  // ASCII-folded copies of field values, shared by every rule for one event
  // (keyed by the value's bytes, which live as long as the event). Call
  // new_event() between events.
  struct Folded {
    const char* data;
    std::size_t size;
    std::string text;
  };
  std::vector<Folded> fold_cache;
  std::size_t fold_used = 0;
  void new_event() { fold_used = 0; }
  std::string_view folded_field_value(std::string_view v);

  // Inside `_arraysearch`: slots that read only the current element's values.
  struct Scoped {
    std::uint32_t slot;
    std::span<const Value> values;
  };
  std::vector<Scoped> scopes;
  // Endpoint lineage: the engine's table, this event's process (null when
  // it has none) and the rule's first global sub-query index.
  const LineageTable* lineage = nullptr;
  const std::string* lineage_pid = nullptr;
  std::uint32_t lineage_base = 0;

  [[nodiscard]] std::span<const Value> field(std::uint32_t slot) const {
    if (!scopes.empty()) [[unlikely]]
      for (auto it = scopes.rbegin(); it != scopes.rend(); ++it)
        if (it->slot == slot) return it->values;
    return rec->values(map[slot]);
  }
};

/// Several values as one JSON array: `["a","b"]` (a multi-valued field as a join key or in a
/// trace).
std::string json_array(std::span<const Value> values);

/// Two-valued predicate evaluation (Elasticsearch query semantics).
bool eval_pred(const compiler::PNode& p, EvalCtx& ctx);
/// `_arraysearch` (PNode::Kind::kArraySearch).
bool eval_arraysearch(const compiler::PNode& p, EvalCtx& ctx);
/// Three-valued value evaluation: null (Value()) when any operand is null.
Value eval_value(const compiler::VExpr& e, EvalCtx& ctx);

}  // namespace eqlpp::runtime
