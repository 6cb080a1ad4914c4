// SPDX-License-Identifier: Apache-2.0
#include "runtime/eval.hpp"

#include <array>

#include "compile/version_order.hpp"
#include "ingest/timestamp.hpp"
#include "runtime/leaf_prefilter.hpp"
#include "runtime/lineage_table.hpp"
#include "util/saturate.hpp"

namespace eqlpp::runtime {

using compiler::PNode;
using compiler::VExpr;

std::string_view EvalCtx::folded_field_value(std::string_view v) {
  // Open addressing over the buckets, by the value's address and size: a
  // bucket of another event is free. Past kFoldBuckets / 2 values in one
  // event the list is searched instead.
  std::size_t b =
      ((reinterpret_cast<std::uintptr_t>(v.data()) >> 3) ^ v.size()) & (kFoldBuckets - 1);
  const bool indexed = fold_used < kFoldBuckets / 2;
  std::size_t i = fold_used;
  if (indexed) {
    for (;; b = (b + 1) & (kFoldBuckets - 1)) {
      const std::uint64_t e = fold_bucket[b];
      if ((e >> 32) != event) break;  // free: not cached
      const Folded& f = fold_cache[static_cast<std::uint32_t>(e)];
      if (f.data == v.data() && f.size == v.size()) return f.text;
    }
  } else {
    i = 0;
    while (i < fold_used && !(fold_cache[i].data == v.data() && fold_cache[i].size == v.size()))
      ++i;
  }
  if (i == fold_used) {
    if (fold_used == fold_cache.size()) fold_cache.push_back({nullptr, 0, {}});
    Folded& f = fold_cache[fold_used++];
    f.data = v.data();
    f.size = v.size();
    compiler::ascii_fold(v, f.text);
    if (indexed) fold_bucket[b] = (std::uint64_t{event} << 32) | i;
  }
  return fold_cache[i].text;
}

void EvalCtx::forget_events() {
  fold_bucket.fill(0);
  std::fill(memo_stamps.begin(), memo_stamps.end(), 0u);
  if (prefilter != nullptr) prefilter->forget_events();
  event = 1;
}

std::string json_array(std::span<const Value> values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += values[i].to_json();
  }
  return out + "]";
}

namespace {

Value eval_call(const VExpr& e, EvalCtx& ctx, const Value* arg0) {
  if (e.cidr) {
    // cidrMatch: the networks are constants, compiled into e.cidr; only the
    // address is evaluated (a rule may list dozens of networks). A null
    // network folded the call to null when it was bound (Binder::fold).
    const Value ip = arg0 ? *arg0 : eval_value(*e.args[0], ctx);
    if (!ip.is_string()) return Value();
    return Value(e.cidr->contains(ip.as_string()));
  }
  std::array<Value, 8> small;
  std::vector<Value> big;
  Value* args = small.data();
  const compiler::FnInfo& info = compiler::function_info(e.fn);
  if (e.args.size() > small.size()) {
    big.resize(e.args.size());
    args = big.data();
  }
  for (std::size_t i = 0; i < e.args.size(); ++i) {
    args[i] = (i == 0 && arg0) ? *arg0 : eval_value(*e.args[i], ctx);
    // A null argument gives null, unless the signature lets it default.
    if (args[i].is_null() && !info.param(i).nullable) return Value();
  }
  compiler::FnError err;
  return compiler::call_fn(e.fn, e.insensitive, std::span<const Value>(args, e.args.size()),
                           e.cidr.get(), ctx.scratch, err);
}

// Applies f to the operand: every element of a field (any), or the value of an expression.
template <class F>
bool any_operand(const PNode& p, EvalCtx& ctx, F&& f) {
  if (p.operand_is_field) {
    for (const Value& v : ctx.field(p.slot))
      if (f(v)) return true;
    return false;
  }
  const VExpr& e = *p.expr;
  if (e.kind == VExpr::Kind::kCall && !e.args.empty() && e.args[0]->kind == VExpr::Kind::kField) {
    // A function over a multi-valued field is tested element by element.
    auto vals = ctx.field(e.args[0]->slot);
    if (vals.size() > 1) {
      for (const Value& v : vals) {
        Value r = eval_call(e, ctx, &v);
        if (!r.is_null() && f(r)) return true;
      }
      return false;
    }
  }
  Value v = eval_value(e, ctx);
  if (v.is_null()) return false;
  return f(v);
}

// `x op literal` where the literal names [lo, hi] (a date at its precision,
// a CIDR block, or one point): == is within, < before lo, <= up to hi, > after
// hi, >= from lo.
template <class T>
bool in_range(compiler::CmpOp op, const T& x, const T& lo, const T& hi) {
  switch (op) {
    case compiler::CmpOp::kEq: return x >= lo && x <= hi;
    case compiler::CmpOp::kLt: return x < lo;
    case compiler::CmpOp::kLe: return x <= hi;
    case compiler::CmpOp::kGt: return x > hi;
    case compiler::CmpOp::kGe: return x >= lo;
  }
  return false;
}

std::string_view text_of(const Value& v, EvalCtx& ctx) {
  if (v.is_string()) return v.as_string();
  return ctx.scratch.keep(compiler::to_text(v));
}

}  // namespace

// Endpoint's `_arraysearch`: the condition for each element in turn, its
// fields reading only that element's values (the decoder writes each value's
// element number in order, so an element's values are one run).
bool eval_arraysearch(const PNode& p, EvalCtx& ctx) {
  const std::size_t base = ctx.scopes.size();
  bool found = false;
  for (const Value& elem : ctx.field(p.slot)) {
    const std::int64_t e = elem.as_int();
    for (const auto& [value_slot, tag_slot] : p.scoped) {
      auto vals = ctx.field(value_slot);
      auto tags = ctx.field(tag_slot);
      const std::size_t n = std::min(vals.size(), tags.size());
      std::size_t lo = 0;
      while (lo < n && tags[lo].as_int() < e) ++lo;
      std::size_t hi = lo;
      while (hi < n && tags[hi].as_int() == e) ++hi;
      ctx.scopes.push_back({value_slot, vals.subspan(lo, hi - lo)});
    }
    found = eval_pred(*p.children[0], ctx);
    ctx.scopes.resize(base);
    if (found) break;
  }
  return found;
}

bool eval_connective(const PNode& p, EvalCtx& ctx) {
  switch (p.kind) {
    case PNode::Kind::kTrue: return true;
    case PNode::Kind::kFalse: return false;
    case PNode::Kind::kAnd:
      for (const auto& c : p.children)
        if (!eval_pred(*c, ctx)) return false;
      return true;
    case PNode::Kind::kOr:
      for (const auto& c : p.children)
        if (eval_pred(*c, ctx)) return true;
      return false;
    case PNode::Kind::kNot: return !eval_pred(*p.children[0], ctx);
    case PNode::Kind::kCategory:
      for (const Value& v : ctx.field(p.slot))
        if (v.is_string() && v.as_string() == p.text) return true;
      return false;
    default: return eval_leaf(p, ctx);
  }
}

bool eval_leaf(const PNode& p, EvalCtx& ctx) {
  switch (p.kind) {
    case PNode::Kind::kTrue:
    case PNode::Kind::kFalse:
    case PNode::Kind::kAnd:
    case PNode::Kind::kOr:
    case PNode::Kind::kNot:
    case PNode::Kind::kCategory: return eval_connective(p, ctx);
    case PNode::Kind::kCompare:
      return any_operand(p, ctx, [&](const Value& v) {
        auto r = compiler::compare(v, p.cmp, p.c.value);
        return r && *r;
      });
    case PNode::Kind::kIsNull:
      if (p.operand_is_field) return ctx.field(p.slot).empty();
      return eval_value(*p.expr, ctx).is_null();
    case PNode::Kind::kIn:
      return any_operand(p, ctx, [&](const Value& v) {
        if (p.insensitive && v.is_string()) {
          std::string_view f = p.operand_is_field ? ctx.folded_field_value(v.as_string())
                                                  : (compiler::ascii_fold(v.as_string(), ctx.fold),
                                                     std::string_view(ctx.fold));
          return p.in->contains(Value(f));
        }
        return p.in->contains(v);
      });
    case PNode::Kind::kWildcard:
      // None of the condition's literals in the event's values: no match.
      if (ctx.prefilter != nullptr && p.memo != PNode::kNoMemo && ctx.scopes.empty()) {
        const std::uint32_t id = ctx.prefilter_ids[p.memo];
        if (id != LeafPrefilter::kNone && !ctx.prefilter->may_match(id, *ctx.rec, ctx))
          return false;
      }
      return any_operand(p, ctx, [&](const Value& v) {
        std::string_view s = text_of(v, ctx);
        if (p.insensitive) {
          if (p.operand_is_field && v.is_string()) return p.wild->match(ctx.folded_field_value(s));
          compiler::ascii_fold(s, ctx.fold);
          return p.wild->match(ctx.fold);
        }
        return p.wild->match(s);
      });
    case PNode::Kind::kRegex:
      return any_operand(p, ctx, [&](const Value& v) { return p.regex->match(text_of(v, ctx)); });
    case PNode::Kind::kTruthy:
      return any_operand(
          p, ctx, [](const Value& v) { return v.kind() == Value::Kind::kBool && v.as_bool(); });
    case PNode::Kind::kDate:
      return any_operand(p, ctx, [&](const Value& v) {
        std::int64_t ns = 0;
        if (!ingest::date_value_ns(v, ns)) return false;
        return in_range(p.cmp, util::floor_div(ns, p.date_unit), p.date_lo, p.date_hi);
      });
    case PNode::Kind::kIp:
      return any_operand(p, ctx, [&](const Value& v) {
        std::array<std::uint8_t, 16> a{};
        if (!v.is_string() || !compiler::event_ip(v.as_string(), a)) return false;
        return in_range(p.cmp, a, p.ip_lo, p.ip_hi);
      });
    case PNode::Kind::kVersion:
      return any_operand(p, ctx, [&](const Value& v) {
        if (!v.is_string()) return false;
        return in_range(p.cmp, compiler::compare_versions(v.as_string(), p.c.value.as_string()), 0,
                        0);
      });
    case PNode::Kind::kArraySearch: return eval_arraysearch(p, ctx);
    case PNode::Kind::kLineage:
      return ctx.lineage && ctx.lineage_pid &&
             ctx.lineage->test(*ctx.lineage_pid, ctx.lineage_base + p.slot);
  }
  return false;
}

Value eval_value(const VExpr& e, EvalCtx& ctx) {
  switch (e.kind) {
    case VExpr::Kind::kConst: return e.c.value;
    case VExpr::Kind::kField: {
      auto vals = ctx.field(e.slot);
      return vals.empty() ? Value() : vals[0];
    }
    case VExpr::Kind::kCall: return eval_call(e, ctx, nullptr);
    case VExpr::Kind::kNeg: {
      Value v = eval_value(*e.args[0], ctx);
      if (v.kind() == Value::Kind::kInt && v.as_int() != INT64_MIN) return Value(-v.as_int());
      if (v.is_number()) return Value(-v.as_double());
      return Value();
    }
    case VExpr::Kind::kArith:
      return compiler::arith(e.arith, eval_value(*e.args[0], ctx), eval_value(*e.args[1], ctx));
    case VExpr::Kind::kCmp: {
      Value a = eval_value(*e.args[0], ctx);
      Value b = eval_value(*e.args[1], ctx);
      auto r = compiler::compare(a, e.cmp, b);
      if (!r) return Value();
      return Value(*r != e.negate);
    }
    case VExpr::Kind::kPred: return Value(eval_pred(*e.pred, ctx));
    default: return Value();
  }
}

}  // namespace eqlpp::runtime
