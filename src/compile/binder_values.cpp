// SPDX-License-Identifier: Apache-2.0
// The binder: values, fields and function calls.
#include <algorithm>

#include "compile/binder_impl.hpp"

namespace eqlpp::compiler {

std::optional<Value> Binder::literal_value(const syntax::Literal& l) {
  switch (l.v.index()) {
    case 0: return Value();
    case 1: return Value(std::get<bool>(l.v));
    case 2: return Value(std::get<std::int64_t>(l.v));
    case 3: return Value(std::get<double>(l.v));
    default: return Value(std::string_view(std::get<std::string>(l.v)));
  }
}

bool Binder::unmapped_optional(const Node& n) const {
  if (n.kind != NodeKind::kField || !n.optional || !opts_.mapped_fields) return false;
  const auto& mapped = *opts_.mapped_fields;
  return std::find(mapped.begin(), mapped.end(), n.field_name()) == mapped.end();
}

bool Binder::field_slot(const Node& n, std::uint32_t& out) {
  if (!check_field(n)) return false;
  if (n.name.empty()) {
    if (int stage = alias_stage(n); stage >= 0) return alias_slot(n, stage, out);
    out = slot(n.field_name());
    return true;
  }
  const ArrayScope* scope = nullptr;
  for (auto it = array_scopes_.rbegin(); it != array_scopes_.rend(); ++it)
    if (it->var == n.name) {
      scope = &*it;
      break;
    }
  if (!scope) {
    error(DiagCode::kUnboundVariable, n.span,
          "the variable '" + n.name + "' is not bound by an enclosing _arraysearch");
    return false;
  }
  // `$var` alone is an element of an array of scalars; `$var.f` a field of an object element.
  const std::string path = n.path.empty() ? scope->path : scope->path + "." + n.field_name();
  out = slot(path);
  const std::uint32_t tag = slot(std::string(kTagPrefix) + path);
  auto pair = std::make_pair(out, tag);
  auto& list = *scope->scoped;
  if (std::find(list.begin(), list.end(), pair) == list.end()) list.push_back(pair);
  auto& tags = r_.arrays[scope->spec].tags;
  if (std::find(tags.begin(), tags.end(), pair) == tags.end()) tags.push_back(pair);
  return true;
}

bool Binder::check_field(const Node& n) {
  if (!n.name.empty()) {
    if (!endpoint()) {
      error(DiagCode::kNotSupportedYet, n.span,
            "not supported yet: the Endpoint variable '" + n.name +
                "' (only meaningful inside _arraysearch)" + dialect_hint());
      return false;
    }
    return true;
  }
  if (const int stage = alias_stage(n); stage >= 0) {
    const std::string& a = aliases_[static_cast<std::size_t>(stage)];
    if (!endpoint()) {
      error(DiagCode::kNotSupportedYet, n.span,
            "not supported yet: reading a field of the stage alias '" + a + "' (Endpoint dialect)" +
                dialect_hint());
      return false;
    }
    if (current_stage_ < 0 || stage >= current_stage_) {
      error(DiagCode::kInvalidSequence, n.span,
            current_stage_ == -1
                ? "not supported yet: reading the stage alias '" + a + "' in `until`"
                : "the stage alias '" + a + "' names stage " + std::to_string(stage + 1) +
                      ", which is not before this stage: only earlier stages can be read");
      return false;
    }
  }
  return true;
}

int Binder::alias_stage(const Node& n) const {
  if (n.path.size() < 2 || !n.name.empty()) return -1;
  for (std::size_t i = 0; i < aliases_.size(); ++i)
    if (!aliases_[i].empty() && n.path[0] == aliases_[i]) return static_cast<int>(i);
  return -1;
}

bool Binder::alias_slot(const Node& n, int stage, std::uint32_t& out) {
  std::string path = n.path[1];
  for (std::size_t i = 2; i < n.path.size(); ++i) path += "." + n.path[i];
  path = resolved(path);
  out = slot(std::string(kAliasPrefix) + std::to_string(stage) + ":" + path);
  reads_aliases_ = true;
  for (const auto& ref : r_.alias_refs)
    if (ref.alias_slot == out) return true;
  r_.alias_refs.push_back({stage, slot(path), out});
  return true;
}

std::unique_ptr<VExpr> Binder::value(const Node& n) {
  auto e = std::make_unique<VExpr>();
  switch (n.kind) {
    case NodeKind::kLiteral:
      e->kind = VExpr::Kind::kConst;
      e->c = Const::of(*literal_value(n.lit));
      return e;
    case NodeKind::kField:
      if (!check_field(n)) return nullptr;
      if (unmapped_optional(n)) {
        e->kind =
            VExpr::Kind::kConst;  // null, as Elasticsearch reads a `?` field it has not mapped
        return e;
      }
      e->kind = VExpr::Kind::kField;
      if (!field_slot(n, e->slot)) return nullptr;
      return e;
    case NodeKind::kNeg: {
      auto a = value(*n.children[0]);
      if (!a) return nullptr;
      e->kind = VExpr::Kind::kNeg;
      e->args.push_back(std::move(a));
      return fold(std::move(e), n.span);
    }
    case NodeKind::kArith: {
      auto a = value(*n.children[0]);
      auto b = value(*n.children[1]);
      if (!a || !b) return nullptr;
      for (auto* x : {a.get(), b.get()})
        if (x->kind == VExpr::Kind::kConst && !x->c.value.is_number() && !x->c.value.is_null()) {
          error(DiagCode::kWrongArgumentType, n.span,
                std::string("arithmetic '") + syntax::op_text(n.arith) + "' needs numbers");
          return nullptr;
        }
      e->kind = VExpr::Kind::kArith;
      e->arith = n.arith;
      e->args.push_back(std::move(a));
      e->args.push_back(std::move(b));
      return fold(std::move(e), n.span);
    }
    case NodeKind::kCall: return call(n);
    case NodeKind::kCompare:
    case NodeKind::kAnd:
    case NodeKind::kOr:
    case NodeKind::kNot:
    case NodeKind::kIn:
    case NodeKind::kMatch:
    case NodeKind::kLineage: {
      // A boolean used as a value: three-valued where it matters (comparisons).
      if (n.kind == NodeKind::kCompare) {
        auto a = value(*n.children[0]);
        auto b = value(*n.children[1]);
        if (!a || !b) return nullptr;
        auto is_null_lit = [](const VExpr& x) {
          return x.kind == VExpr::Kind::kConst && x.c.value.is_null();
        };
        const bool ne = n.cmp == syntax::CompareOp::kNe;
        if ((n.cmp == syntax::CompareOp::kEq || ne) && (is_null_lit(*a) || is_null_lit(*b))) {
          // x == null is IsNull(x), never null itself (eql-semantics.md §3.1, §3.3 rule 3).
          auto& other = is_null_lit(*a) ? b : a;
          e->kind = VExpr::Kind::kPred;
          auto p = make_p(PNode::Kind::kIsNull, n.span);
          p->expr = std::move(other);
          if (p->expr->kind == VExpr::Kind::kConst) {
            bool r = p->expr->c.value.is_null() != ne;
            e->kind = VExpr::Kind::kConst;
            e->c = Const::of(Value(r));
            return e;
          }
          e->pred_owner = negate_p(std::move(p), ne);
          e->pred = e->pred_owner.get();
          return e;
        }
        e->kind = VExpr::Kind::kCmp;
        e->cmp = lowered(n.cmp);
        e->negate = ne;
        e->args.push_back(std::move(a));
        e->args.push_back(std::move(b));
        return fold(std::move(e), n.span);
      }
      if (n.kind == NodeKind::kAnd || n.kind == NodeKind::kOr || n.kind == NodeKind::kNot) {
        // Three-valued logic when every operand is a constant (a value, not a filter).
        std::vector<std::unique_ptr<VExpr>> vals;
        bool all_const = true;
        for (const auto& c : n.children) {
          auto v = value(*c);
          if (!v) return nullptr;
          all_const &= v->kind == VExpr::Kind::kConst;
          vals.push_back(std::move(v));
        }
        if (all_const) {
          auto tv = [](const Value& v) -> int {  // 1 true, 0 false, -1 null
            if (v.kind() == Value::Kind::kBool) return v.as_bool() ? 1 : 0;
            return -1;
          };
          int r;
          if (n.kind == NodeKind::kNot) {
            int x = tv(vals[0]->c.value);
            r = x < 0 ? -1 : 1 - x;
          } else {
            bool is_and = n.kind == NodeKind::kAnd;
            r = is_and ? 1 : 0;
            for (const auto& v : vals) {
              int x = tv(v->c.value);
              if (is_and)
                r = (x == 0 || r == 0) ? 0 : (x < 0 || r < 0) ? -1 : 1;
              else
                r = (x == 1 || r == 1) ? 1 : (x < 0 || r < 0) ? -1 : 0;
            }
          }
          e->kind = VExpr::Kind::kConst;
          e->c = Const::of(r < 0 ? Value() : Value(r == 1));
          return e;
        }
      }
      auto p = pred(n, false);
      if (!p) return nullptr;
      if (p->kind == PNode::Kind::kTrue || p->kind == PNode::Kind::kFalse) {
        e->kind = VExpr::Kind::kConst;
        e->c = Const::of(Value(p->kind == PNode::Kind::kTrue));
        return e;
      }
      e->kind = VExpr::Kind::kPred;
      e->pred_owner = std::move(p);
      e->pred = e->pred_owner.get();
      return e;
    }
  }
  return nullptr;
}

std::unique_ptr<VExpr> Binder::call(const Node& n) {
  std::string lname = ascii_fold(n.name);
  if (lname == "_arraysearch") {
    // A condition used as a value: `_arraysearch(...) == true`.
    auto p = arraysearch_pred(n, false);
    if (!p) return nullptr;
    auto e = std::make_unique<VExpr>();
    e->kind = VExpr::Kind::kPred;
    e->pred_owner = std::move(p);
    e->pred = e->pred_owner.get();
    return e;
  }
  const FnInfo* info = find_function(n.name);
  if (!info) {
    static constexpr const char* kPyEql[] = {"arraycontains", "arraycount", "arraysearch", "match",
                                             "matchlite",     "safe",       "wildcard"};
    std::string msg = "unknown function '" + n.name + "'";
    for (auto* p : kPyEql)
      if (lname == p) msg += "; it exists in the Python EQL dialect, not in Elasticsearch";
    if (lname == "wildcard") msg += " (use ':' or 'like')";
    error(DiagCode::kUnknownFunction, n.span, msg);
    return nullptr;
  }
  if (n.insensitive && !info->allows_tilde) {
    error(DiagCode::kInsensitiveNotAllowed, n.span,
          std::string("function '") + info->name + "' has no case-insensitive form '~'");
    return nullptr;
  }
  std::size_t argc = n.children.size();
  if (argc < info->min_args || (info->max_args && argc > info->max_args)) {
    std::string expect =
        info->max_args == info->min_args ? std::to_string(info->min_args)
        : info->max_args ? std::to_string(info->min_args) + " to " + std::to_string(info->max_args)
                         : "at least " + std::to_string(info->min_args);
    error(DiagCode::kWrongArity, n.span,
          std::string("function '") + info->name + "' takes " + expect + " arguments, found " +
              std::to_string(argc));
    return nullptr;
  }
  auto e = std::make_unique<VExpr>();
  e->kind = VExpr::Kind::kCall;
  e->fn = info->fn;
  e->insensitive = n.insensitive;
  for (std::size_t i = 0; i < argc; ++i) {
    auto a = value(*n.children[i]);
    if (!a) return nullptr;
    if (!check_arg(*info, i, *a, n.children[i]->span)) return nullptr;
    e->args.push_back(std::move(a));
  }
  if (info->fn == Fn::kCidrMatch) {
    e->cidr = std::make_unique<CidrSet>();
    for (std::size_t i = 1; i < argc; ++i) {
      const auto& a = *e->args[i];
      if (a.kind != VExpr::Kind::kConst) {
        error(DiagCode::kWrongArgumentType, n.children[i]->span,
              "cidrMatch takes constant CIDR strings after the address");
        return nullptr;
      }
      if (a.c.value.is_null()) continue;
      if (!e->cidr->add(a.c.value.as_string())) {
        error(DiagCode::kInvalidCidr, n.children[i]->span,
              "'" + std::string(a.c.value.as_string()) + "' is not an IPv4 or IPv6 CIDR block");
        return nullptr;
      }
    }
  }
  return fold(std::move(e), n.span);
}

bool Binder::check_arg(const FnInfo& info, std::size_t i, const VExpr& a, SourceSpan span) {
  if (a.kind != VExpr::Kind::kConst || a.c.value.is_null()) return true;
  const Value& v = a.c.value;
  const char* need = nullptr;
  switch (info.param(i).type) {
    case ArgType::kAny: break;
    case ArgType::kString: need = v.is_string() ? nullptr : "a string"; break;
    case ArgType::kNumber: need = v.is_number() ? nullptr : "a number"; break;
    case ArgType::kBool: need = v.kind() == Value::Kind::kBool ? nullptr : "a boolean"; break;
  }
  if (need) {
    error(DiagCode::kWrongArgumentType, span,
          "argument " + std::to_string(i + 1) + " of '" + info.name + "' must be " + need);
    return false;
  }
  return true;
}

}  // namespace eqlpp::compiler
