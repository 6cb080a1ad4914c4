// SPDX-License-Identifier: Apache-2.0
// The compiled plan: predicate and value trees over rule-local field slots.
// A plan is immutable once built and shared by every engine running the rule;
// each engine maps rule-local slots to its own FieldIds.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compile/matchers.hpp"
#include "eqlpp/rule.hpp"
#include "ingest/coerce.hpp"
#include "syntax/ast.hpp"

namespace eqlpp::compiler {

/// Built-in functions of Elasticsearch EQL (eql-semantics.md §5).
enum class Fn : std::uint8_t {
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kModulo,
  kBetween,
  kCidrMatch,
  kConcat,
  kEndsWith,
  kIndexOf,
  kLength,
  kNumber,
  kStartsWith,
  kString,
  kStringContains,
  kSubstring,
};

enum class CmpOp : std::uint8_t { kEq, kLt, kLe, kGt, kGe };

/// Endpoint lineage: `event of`, `child of`, `descendant of` (runtime/lineage_table.hpp).
enum class LineageKind : std::uint8_t { kEvent, kChild, kDescendant };

/// An owned constant.
struct Const {
  Value value;  // strings view `text`
  std::shared_ptr<std::string> text;
  static Const of(Value v);
  static Const str(std::string s);
};

/// Value expressions (three-valued: any null operand gives null).
struct VExpr {
  enum class Kind : std::uint8_t {
    kConst,
    kField,
    kCall,
    kNeg,
    kArith,
    kCmp,
    kAnd,
    kOr,
    kNot,
    kIsNull,
    kPred
  };
  Kind kind = Kind::kConst;
  Const c;
  std::uint32_t slot = 0;                         // kField
  Fn fn = Fn::kAdd;                               // kCall
  bool insensitive = false;                       // kCall with ~
  syntax::ArithOp arith = syntax::ArithOp::kAdd;  // kArith
  CmpOp cmp = CmpOp::kEq;                         // kCmp (negated via `negate`)
  bool negate = false;
  std::unique_ptr<CidrSet> cidr;  // cidrMatch with constant networks
  std::vector<std::unique_ptr<VExpr>> args;
  struct PNode* pred = nullptr;  // kPred: a predicate used as a value (owned by `pred_owner`)
  std::unique_ptr<struct PNode> pred_owner;
};

/// Predicates (two-valued, Elasticsearch query semantics: a leaf over a
/// missing field is false; `not` above it makes it true).
struct PNode {
  enum class Kind : std::uint8_t {
    kTrue,
    kFalse,
    kAnd,
    kOr,
    kNot,
    kCategory,     // slot's values contain `text` (any element)
    kCompare,      // operand cmp const (any element)
    kIsNull,       // operand is null / missing
    kIn,           // operand in set
    kWildcard,     // operand matches wildcard set
    kRegex,        // operand matches regex set
    kTruthy,       // operand is boolean true (any element)
    kDate,         // operand, as a date in `date_unit`s, cmp [date_lo, date_hi] (any element)
    kIp,           // operand, as an address (IPv4-mapped), cmp [ip_lo, ip_hi] (any element)
    kVersion,      // operand cmp const in version order (compile/version_order.hpp; any element)
    kArraySearch,  // Endpoint's _arraysearch: children[0] holds for some element of an array
    kLineage,      // Endpoint lineage: the event's process relates to sub-query `slot` (`lineage`)
  };
  Kind kind = Kind::kTrue;
  // Operand: a field slot (multi-valued: any element) or a value expression.
  bool operand_is_field = false;
  std::uint32_t slot = 0;
  std::unique_ptr<VExpr> expr;
  // Leaf data.
  CmpOp cmp = CmpOp::kEq;
  Const c;
  bool insensitive = false;
  std::string text;  // kCategory
  // kDate: the literal's bounds at its precision, in units of `date_unit` ns
  // (1'000'000 for `date`, 1 for `date_nanos`): == is lo..hi, < is < lo,
  // <= is <= hi, > is > hi, >= is >= lo.
  std::int64_t date_lo = 0, date_hi = 0, date_unit = 1;
  // kIp: the address, or the first and last address of a CIDR block.
  std::array<std::uint8_t, 16> ip_lo{}, ip_hi{};
  // kArraySearch: `slot` lists the array's elements (one integer per
  // element, see CompiledRule::ArraySpec); while children[0] is tested for
  // one element, each (value slot, tag slot) pair reads only that element's
  // values.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> scoped;
  // kLineage: how the process relates to sub-query `slot` (CompiledRule::lineage),
  // whose filter is children[0].
  LineageKind lineage = LineageKind::kEvent;
  std::unique_ptr<InSet> in;
  std::unique_ptr<WildcardSet> wild;
  std::unique_ptr<RegexSet> regex;
  std::vector<std::unique_ptr<PNode>> children;
  // Shared leaves (compile/shared_leaves.hpp): the node's number among the
  // rule's nodes whose result depends on the event's fields alone
  // (CompiledRule::memo_nodes), or kNoMemo.
  static constexpr std::uint32_t kNoMemo = 0xFFFFFFFFu;
  std::uint32_t memo = kNoMemo;
  SourceSpan span;
};

/// A necessary condition of a stage, for the rule index: some string value
/// of field `slot` is (ASCII-folded when `insensitive`) one of `values`.
struct IndexKey {
  std::uint32_t slot = 0;
  bool insensitive = false;
  // The value is one of `values`, or (`substring`) contains one of them.
  bool substring = false;
  std::vector<std::string> values;
  // Or (`present`, `values` empty) the field has a value at all: the
  // condition is false on an event without one.
  bool present = false;
  // The stages (stage_bit) that need this key: an event with none of a
  // stage's keys cannot match that stage.
  std::uint32_t stages = ~std::uint32_t{0};
  // A key of the stage's second group: the stage's filter is an `and` with
  // a second conjunct that has keys, so an event needs one key of each
  // group. Only the first group selects a rule; the second confirms it.
  bool second = false;
};

/// A stage's bit in IndexKey::stages and EvalCtx::stages: stage i of
/// CompiledRule::stages (after runs are expanded) has bit min(i, 30);
/// `until` has bit 31.
constexpr std::uint32_t stage_bit(std::size_t i) { return std::uint32_t{1} << (i < 30 ? i : 30); }
constexpr std::uint32_t kUntilStageBit = std::uint32_t{1} << 31;

struct StagePlan {
  std::unique_ptr<PNode> filter;             // includes the category test
  std::vector<std::unique_ptr<VExpr>> keys;  // shared keys then own keys
  std::vector<bool> key_optional;
  bool missing = false;
  bool reads_aliases = false;  // the filter reads a stage alias (CompiledRule::alias_refs)
  int source_stage = 0;        // stage index in the query (before runs expansion)
  std::string category;        // "" for any: used by the dispatch index
};

}  // namespace eqlpp::compiler

namespace eqlpp::detail {

struct CompiledRule {
  RuleMetadata meta;
  std::string query;
  std::string canonical;
  QueryKind kind = QueryKind::kEvent;
  std::vector<std::string> fields;  // slot -> field path
  // slot -> how the decoder reads it (a mapped type), null when as JSON;
  // may be shorter than `fields`.
  std::vector<std::shared_ptr<const ingest::Coercion>> coercions;
  // The arrays an `_arraysearch` searches: the decoder numbers their
  // elements into `elems_slot` (one integer per element, in order) and, for
  // each field read inside an element, writes each value's element number
  // into the paired tag slot (parallel to the field's values).
  struct ArraySpec {
    std::uint32_t array_slot = 0, elems_slot = 0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> tags;  // value slot, tag slot
  };
  std::vector<ArraySpec> arrays;
  // Endpoint stage aliases (`[...] as event0`, then `event0.f` in a later
  // stage): when a partial takes an event at `source_stage`, it keeps the
  // values of `field_slot` (only those, not the event); a later stage's
  // filter reads them through `alias_slot`, an internal slot.
  struct AliasRef {
    int source_stage = 0;
    std::uint32_t field_slot = 0, alias_slot = 0;
  };
  std::vector<AliasRef> alias_refs;
  // Endpoint lineage sub-queries (`descendant of [q]` and the like), inner
  // ones first: the engine tests events against each `filter` (owned by
  // the kLineage node) and records matches in its lineage table.
  struct LineageSub {
    compiler::LineageKind kind = compiler::LineageKind::kEvent;
    const compiler::PNode* filter = nullptr;
    std::string category;  // the sub-query's event category, "" for `any`
    // As `indexed` and `index_keys` below, for this filter alone: the engine
    // tests an event against the sub-query only when the rule index selects it.
    bool indexed = false;
    std::vector<compiler::IndexKey> keys;
  };
  std::vector<LineageSub> lineage;
  std::uint32_t category_slot = 0;
  std::string category_field;
  std::int64_t maxspan_ns = 0;             // 0 = unlimited
  std::optional<std::int64_t> head, tail;  // the last `head` and `tail` pipe (Rule::head())
  struct Pipe {
    bool tail = false;  // `| tail N`, else `| head N`
    std::int64_t count = 0;
  };
  std::vector<Pipe> pipes;  // in the query's order (runtime/alert_sink.hpp applies them)
  std::vector<compiler::StagePlan> stages;  // event query: one stage; runs expanded
  std::optional<compiler::StagePlan> until;
  std::size_t key_count = 0;
  std::vector<std::string>
      shared_key_fields;  // field path of each `sequence by` key ("" if not a field)
  Diagnostics warnings;
  // The rule index (compile/index_keys.hpp): when `indexed`, every stage
  // requires one of `index_keys` (a value of a field), so an event with none
  // of them cannot match any stage.
  bool indexed = false;
  std::vector<compiler::IndexKey> index_keys;
  // Dispatch by state (runtime/dispatcher.*): a sequence's stages after its
  // first positive one (and `until`, and the missing-event stages between
  // and after positive ones) only act on state a join key already holds, so
  // while the rule holds no key only its entry stages (the first positive
  // stage and the missing-event stages before it) need the event. When
  // `gated`, each group has its keys (`indexed` as above, per group) and its
  // categories ("" for an `any` stage).
  struct StageGroup {
    bool indexed = false;
    std::vector<compiler::IndexKey> keys;
    std::vector<std::string> categories;
  };
  bool gated = false;
  StageGroup entry, continuation;
  // Shared leaves (compile/shared_leaves.hpp): the nodes whose result
  // depends on the event's fields alone, children before their parents
  // (PNode::memo numbers them). An engine evaluates equal ones once per
  // event (runtime/leaf_memo.hpp).
  std::vector<const compiler::PNode*> memo_nodes;
};

/// The library's access to a Rule's plan (Rule keeps it private).
struct RuleAccess {
  static const std::shared_ptr<const CompiledRule>& plan(const Rule& r) noexcept { return r.impl_; }
  static Rule make(std::shared_ptr<const CompiledRule> plan) { return Rule(std::move(plan)); }
};

}  // namespace eqlpp::detail
