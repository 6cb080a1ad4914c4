// SPDX-License-Identifier: Apache-2.0
// The Binder, shared by the files that implement it by job: binder.cpp
// (queries: stages, keys, the rule), binder_values.cpp (values and function
// calls), binder_predicates.cpp (filters: comparisons, `in`, matches, `not`
// push-down) and binder_fold.cpp (constant folding). Internal to compile/.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "compile/field_table.hpp"
#include "compile/functions.hpp"
#include "compile/plan.hpp"
#include "diag/diag.hpp"
#include "eqlpp/options.hpp"
#include "syntax/ast.hpp"

namespace eqlpp::compiler {

using syntax::MatchOp;
using syntax::Node;
using syntax::NodeKind;

// The plan's comparison of a written one: `!=` is `==` negated.
inline CmpOp lowered(syntax::CompareOp op) {
  switch (op) {
    case syntax::CompareOp::kEq:
    case syntax::CompareOp::kNe: return CmpOp::kEq;
    case syntax::CompareOp::kLt: return CmpOp::kLt;
    case syntax::CompareOp::kLe: return CmpOp::kLe;
    case syntax::CompareOp::kGt: return CmpOp::kGt;
    case syntax::CompareOp::kGe: return CmpOp::kGe;
  }
  return CmpOp::kEq;
}

inline CmpOp mirror(CmpOp op) {
  switch (op) {
    case CmpOp::kLt: return CmpOp::kGt;
    case CmpOp::kLe: return CmpOp::kGe;
    case CmpOp::kGt: return CmpOp::kLt;
    case CmpOp::kGe: return CmpOp::kLe;
    default: return op;
  }
}

inline CmpOp negate_order(CmpOp op) {
  switch (op) {
    case CmpOp::kLt: return CmpOp::kGe;
    case CmpOp::kLe: return CmpOp::kGt;
    case CmpOp::kGt: return CmpOp::kLe;
    case CmpOp::kGe: return CmpOp::kLt;
    default: return op;
  }
}

inline std::unique_ptr<PNode> make_p(PNode::Kind k, SourceSpan span = {}) {
  auto p = std::make_unique<PNode>();
  p->kind = k;
  p->span = span;
  return p;
}

inline std::unique_ptr<PNode> negate_p(std::unique_ptr<PNode> p, bool negate) {
  if (!negate) return p;
  if (p->kind == PNode::Kind::kTrue) return make_p(PNode::Kind::kFalse, p->span);
  if (p->kind == PNode::Kind::kFalse) return make_p(PNode::Kind::kTrue, p->span);
  if (p->kind == PNode::Kind::kNot) return std::move(p->children[0]);
  auto n = make_p(PNode::Kind::kNot, p->span);
  n->children.push_back(std::move(p));
  return n;
}

inline bool contains_field(const VExpr& e) {
  if (e.kind == VExpr::Kind::kField) return true;
  if (e.kind == VExpr::Kind::kPred) return true;
  for (const auto& a : e.args)
    if (contains_field(*a)) return true;
  return false;
}

class Binder {
 public:
  Binder(const syntax::Query& q, DiagSink& diags, const CompileOptions& opts,
         detail::CompiledRule& r)
      : q_(q), diags_(diags), opts_(opts), r_(r) {
    for (const auto& s : q.stages) aliases_.push_back(s.alias);  // by stage index ("" if none)
  }

  std::uint32_t slot(const std::string& written) {
    const std::string path = resolved(written);
    auto it = slots_.find(path);
    if (it != slots_.end()) return it->second;
    auto id = static_cast<std::uint32_t>(r_.fields.size());
    r_.fields.push_back(path);
    slots_.emplace(path, id);
    if (const FieldMapping* m = mapping_of(path)) {
      std::string err;
      if (auto c = ingest::make_coercion(*m, err)) {
        r_.coercions.resize(id + 1);
        r_.coercions[id] = std::move(c);
      } else if (!err.empty()) {
        error(DiagCode::kInvalidMapping, {}, "the mapping of field '" + path + "': " + err);
      }
    }
    return id;
  }

  /// The field an alias of the mapping stands for (the path itself otherwise).
  [[nodiscard]] std::string resolved(const std::string& path) const {
    std::string p = path;
    for (int hops = 0; hops < 8; ++hops) {
      auto it = opts_.field_mappings.find(p);
      if (it == opts_.field_mappings.end() || it->second.type != FieldType::kAlias ||
          it->second.path.empty())
        break;
      p = it->second.path;
    }
    return p;
  }
  /// The mapping of a (resolved) field, if the mapping has it.
  [[nodiscard]] const FieldMapping* mapping_of(const std::string& path) const {
    auto it = opts_.field_mappings.find(path);
    return it == opts_.field_mappings.end() ? nullptr : &it->second;
  }

  void error(DiagCode code, SourceSpan span, std::string msg) {
    diags_.error(code, span, std::move(msg));
    failed_ = true;
  }
  [[nodiscard]] bool failed() const { return failed_; }
  /// Whether the Endpoint dialect's constructs are allowed.
  [[nodiscard]] bool endpoint() const { return opts_.dialect == Dialect::kEndpoint; }
  /// Added to a diagnostic about an Endpoint construct in the Elasticsearch dialect.
  [[nodiscard]] std::string dialect_hint() const {
    return endpoint() ? std::string() : "; it is Endpoint EQL: compile with --dialect endpoint";
  }

  // ---- values ---------------------------------------------------------------

  static std::optional<Value> literal_value(const syntax::Literal& l);

  bool check_field(const Node& n);
  /// The slot a field node reads: a `$var.path` inside `_arraysearch`
  /// reads the searched array's field, scoped to the element; false after
  /// an error.
  bool field_slot(const Node& n, std::uint32_t& out);
  /// The query stage whose alias `n` reads (`event0.f`), or -1.
  [[nodiscard]] int alias_stage(const Node& n) const;
  /// The internal slot of a stage alias read (CompiledRule::AliasRef).
  bool alias_slot(const Node& n, int stage, std::uint32_t& out);
  /// `?f` when a mapping is known and does not have f: read as null.
  [[nodiscard]] bool unmapped_optional(const Node& n) const;

  std::unique_ptr<VExpr> value(const Node& n);

  std::unique_ptr<VExpr> call(const Node& n);

  bool check_arg(const FnInfo& info, std::size_t i, const VExpr& a, SourceSpan span);

  // Folds a value expression whose operands are all constants.
  std::unique_ptr<VExpr> fold(std::unique_ptr<VExpr> e, SourceSpan span);

  // ---- predicates -----------------------------------------------------------

  // Fills the operand of a leaf: a bare field is multi-valued (any element).
  bool operand(const Node& n, PNode& p);

  static bool is_const_node(const Node& n);

  std::unique_ptr<PNode> const_bool(bool v, SourceSpan s);

  std::unique_ptr<PNode> pred(const Node& n, bool negate);

  std::unique_ptr<PNode> compare_pred(const Node& n, bool negate);
  std::unique_ptr<PNode> date_compare(const Node& field, const Node& literal, const VExpr& lit,
                                      CmpOp op, bool ne, bool negate, SourceSpan span);

  // A comparison of a field the mapping types with a literal: the literal
  // must convert to the field's type, ip and version leaves. Null when the
  // field's type compares as a plain value (nothing reported).
  std::unique_ptr<PNode> typed_compare(const Node& cmp, const Node& field, const Node& literal,
                                       const VExpr& lit, CmpOp op, bool ne, bool negate);
  // Reports a literal the mapped field's type cannot read; true when it is.
  bool type_mismatch(const Node& cmp, const Node& field, const Node& literal, const Value& c);
  // An ip leaf for an address or CIDR literal (null with an error if invalid).
  std::unique_ptr<PNode> ip_leaf(const Node& field, const Node& literal, std::string_view text,
                                 CmpOp op, SourceSpan span);

  bool constant_list(const Node& n, std::vector<Const>& out, const char* what);

  std::unique_ptr<PNode> in_pred(const Node& n, bool negate);

  std::unique_ptr<PNode> match_pred(const Node& n, bool negate);

  // Endpoint's `_arraysearch(array, $var, condition)`.
  std::unique_ptr<PNode> arraysearch_pred(const Node& n, bool negate);

  // ---- query ----------------------------------------------------------------

  std::unique_ptr<PNode> event_filter(const syntax::EventQuery& eq, std::string& category);

  bool keys(const std::vector<syntax::NodePtr>& ks, StagePlan& st);

  bool stage(const syntax::Stage& s, int index, StagePlan& st);

  void run();

 private:
  const syntax::Query& q_;
  DiagSink& diags_;
  const CompileOptions& opts_;
  detail::CompiledRule& r_;
  std::unordered_map<std::string, std::uint32_t> slots_;
  std::vector<std::string> aliases_;
  int current_stage_ = -2;      // the query stage being bound (-1: until, -2: none)
  bool reads_aliases_ = false;  // the stage being bound read a stage alias
  // The `_arraysearch` variables in scope, innermost last.
  struct ArrayScope {
    std::string var;                                               // as written, "$entry"
    std::string path;                                              // the searched array's field
    std::size_t spec;                                              // index in r_.arrays
    std::vector<std::pair<std::uint32_t, std::uint32_t>>* scoped;  // the PNode's list
  };
  std::vector<ArrayScope> array_scopes_;
  bool failed_ = false;
};

}  // namespace eqlpp::compiler
