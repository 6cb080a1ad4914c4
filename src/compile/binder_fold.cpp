// SPDX-License-Identifier: Apache-2.0
// The binder: constant folding of value expressions.
#include "compile/binder_impl.hpp"

namespace eqlpp::compiler {

std::unique_ptr<VExpr> Binder::fold(std::unique_ptr<VExpr> e, SourceSpan span) {
  // A literal null argument folds the whole call to null, whatever the other
  // arguments are (QL's FoldNull), unless the signature lets it default
  // (number()'s base, indexOf's start). Evaluation would give null anyway.
  if (e->kind == VExpr::Kind::kCall) {
    const FnInfo& info = function_info(e->fn);
    for (std::size_t i = 0; i < e->args.size(); ++i)
      if (e->args[i]->kind == VExpr::Kind::kConst && e->args[i]->c.value.is_null() &&
          !info.param(i).nullable) {
        auto c = std::make_unique<VExpr>();
        c->kind = VExpr::Kind::kConst;
        return c;
      }
  }
  for (const auto& a : e->args)
    if (a->kind != VExpr::Kind::kConst) return e;
  Value out;
  Scratch scratch;
  switch (e->kind) {
    case VExpr::Kind::kNeg: {
      const Value& v = e->args[0]->c.value;
      if (v.is_null())
        out = Value();
      else if (!v.is_number()) {
        error(DiagCode::kWrongArgumentType, span, "unary minus needs a number");
        return nullptr;
      } else if (v.kind() == Value::Kind::kInt && v.as_int() != INT64_MIN)
        out = Value(-v.as_int());
      else
        out = Value(-v.as_double());
      break;
    }
    case VExpr::Kind::kArith:
      out = arith(e->arith, e->args[0]->c.value, e->args[1]->c.value);
      break;
    case VExpr::Kind::kCmp: {
      auto r = compare(e->args[0]->c.value, e->cmp, e->args[1]->c.value);
      out = r ? Value(*r != e->negate) : Value();
      break;
    }
    case VExpr::Kind::kCall: {  // (a null argument was folded above)
      std::vector<Value> vals;
      for (const auto& a : e->args) vals.push_back(a->c.value);
      FnError err;
      out = call_fn(e->fn, e->insensitive, vals, e->cidr.get(), scratch, err);
      if (err.failed) {
        error(DiagCode::kWrongArgumentType, span, err.message);
        return nullptr;
      }
      break;
    }
    default: return e;
  }
  auto c = std::make_unique<VExpr>();
  c->kind = VExpr::Kind::kConst;
  c->c = Const::of(out);
  return c;
}

}  // namespace eqlpp::compiler
