// SPDX-License-Identifier: Apache-2.0
// Evaluation of compiled predicates and values against one Record.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

#include "compile/functions.hpp"
#include "compile/plan.hpp"
#include "eqlpp/event.hpp"

namespace eqlpp::runtime {

class LineageTable;
class LeafPrefilter;

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
  // An open-addressing index over fold_cache by the value's address and
  // size: (event << 32) | entry; a bucket of an older event is free. Used
  // while an event has fewer than kFoldBuckets / 2 values (then the list
  // is searched).
  static constexpr std::size_t kFoldBuckets = 256;
  std::array<std::uint64_t, kFoldBuckets> fold_bucket{};
  // The event being evaluated, numbered from 1 by new_event(): the fold
  // index, the shared results and the prefilter's filters are stamped with
  // it. Past kEvents it starts again at 1 and every stamp is cleared.
  static constexpr std::uint32_t kEvents = 0x80000000u;
  std::uint32_t event = 1;
  void new_event() {
    fold_used = 0;
    if (++event == kEvents) [[unlikely]]
      forget_events();
  }
  void forget_events();
  /// `v` (a value of the event, by its address and size) ASCII-folded,
  /// folded once per event. The view is valid until the next call (a new
  /// value may move the cache's strings): use it before folding another.
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

  // Shared leaves (runtime/leaf_memo.hpp): the rule's memo number -> slot
  // table (null: no sharing), and per slot the event that last computed it
  // and its result, (event << 1) | result; a stamp of 0 is no event's.
  const std::uint32_t* memo = nullptr;
  std::vector<std::uint32_t> memo_stamps;
  // The literal prefilter of wildcard conditions (runtime/leaf_prefilter.hpp):
  // null for none, else the rule's memo number -> condition id table.
  LeafPrefilter* prefilter = nullptr;
  const std::uint32_t* prefilter_ids = nullptr;
  // The stages of the rule being run that the event may match
  // (compiler::stage_bit; Dispatcher::stages): a matcher need not test the
  // others, whose filters are false for it.
  std::uint32_t stages = ~std::uint32_t{0};

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

/// Two-valued predicate evaluation of `and`, `or`, `not`, the category test
/// and the constants (a small frame: they recurse), and of the other leaves
/// (out of line, with the registers the leaves need), never reading or
/// writing a shared result. Either takes any node.
bool eval_connective(const compiler::PNode& p, EvalCtx& ctx);
bool eval_leaf(const compiler::PNode& p, EvalCtx& ctx);
/// Either of the two, by kind.
inline bool eval_node(const compiler::PNode& p, EvalCtx& ctx) {
  return p.kind <= compiler::PNode::Kind::kCategory ? eval_connective(p, ctx) : eval_leaf(p, ctx);
}
/// Two-valued predicate evaluation (Elasticsearch query semantics). A node
/// shared with other rules (ctx.memo) is evaluated once per event. Inline:
/// it runs for every node, and its common path is a few loads.
inline bool eval_pred(const compiler::PNode& p, EvalCtx& ctx) {
  // Inside `_arraysearch` or a stage alias test (scopes) a field may read
  // other values than the event's: no sharing there.
  if (p.memo != compiler::PNode::kNoMemo && ctx.memo != nullptr && ctx.scopes.empty()) {
    const std::uint32_t slot = ctx.memo[p.memo];
    if (slot != compiler::PNode::kNoMemo) {
      std::uint32_t& stamp = ctx.memo_stamps[slot];
      if ((stamp >> 1) == ctx.event) return (stamp & 1u) != 0;
      const bool r = eval_node(p, ctx);
      stamp = (ctx.event << 1) | (r ? 1u : 0u);
      return r;
    }
  }
  return eval_node(p, ctx);
}
/// `_arraysearch` (PNode::Kind::kArraySearch).
bool eval_arraysearch(const compiler::PNode& p, EvalCtx& ctx);
/// Three-valued value evaluation: null (Value()) when any operand is null.
Value eval_value(const compiler::VExpr& e, EvalCtx& ctx);

}  // namespace eqlpp::runtime
