// SPDX-License-Identifier: Apache-2.0
#include "compile/binder.hpp"

#include <unordered_map>

#include "compile/functions.hpp"
#include "compile/index_keys.hpp"
#include "syntax/parser.hpp"

namespace eqlpp::compiler {

Const Const::of(Value v) {
  if (v.is_string()) return str(std::string(v.as_string()));
  Const c;
  c.value = v;
  return c;
}

Const Const::str(std::string s) {
  Const c;
  c.text = std::make_shared<std::string>(std::move(s));
  c.value = Value(std::string_view(*c.text));
  return c;
}

using syntax::MatchOp;
namespace {
using syntax::Node;
using syntax::NodeKind;

// The plan's comparison of a written one: `!=` is `==` negated.
CmpOp lowered(syntax::CompareOp op) {
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

CmpOp mirror(CmpOp op) {
  switch (op) {
    case CmpOp::kLt: return CmpOp::kGt;
    case CmpOp::kLe: return CmpOp::kGe;
    case CmpOp::kGt: return CmpOp::kLt;
    case CmpOp::kGe: return CmpOp::kLe;
    default: return op;
  }
}

CmpOp negate_order(CmpOp op) {
  switch (op) {
    case CmpOp::kLt: return CmpOp::kGe;
    case CmpOp::kLe: return CmpOp::kGt;
    case CmpOp::kGt: return CmpOp::kLe;
    case CmpOp::kGe: return CmpOp::kLt;
    default: return op;
  }
}

std::unique_ptr<PNode> make_p(PNode::Kind k, SourceSpan span = {}) {
  auto p = std::make_unique<PNode>();
  p->kind = k;
  p->span = span;
  return p;
}

std::unique_ptr<PNode> negate_p(std::unique_ptr<PNode> p, bool negate) {
  if (!negate) return p;
  if (p->kind == PNode::Kind::kTrue) return make_p(PNode::Kind::kFalse, p->span);
  if (p->kind == PNode::Kind::kFalse) return make_p(PNode::Kind::kTrue, p->span);
  if (p->kind == PNode::Kind::kNot) return std::move(p->children[0]);
  auto n = make_p(PNode::Kind::kNot, p->span);
  n->children.push_back(std::move(p));
  return n;
}

bool contains_field(const VExpr& e) {
  if (e.kind == VExpr::Kind::kField) return true;
  if (e.kind == VExpr::Kind::kPred) return true;
  for (const auto& a : e.args)
    if (contains_field(*a)) return true;
  return false;
}

}  // namespace

class Binder {
 public:
  Binder(const syntax::Query& q, DiagSink& diags, const CompileOptions& opts,
         detail::CompiledRule& r)
      : q_(q), diags_(diags), opts_(opts), r_(r) {
    for (const auto& s : q.stages)
      if (!s.alias.empty()) aliases_.push_back(s.alias);
  }

  std::uint32_t slot(const std::string& path) {
    auto it = slots_.find(path);
    if (it != slots_.end()) return it->second;
    auto id = static_cast<std::uint32_t>(r_.fields.size());
    r_.fields.push_back(path);
    slots_.emplace(path, id);
    return id;
  }

  void error(DiagCode code, SourceSpan span, std::string msg) {
    diags_.error(code, span, std::move(msg));
    failed_ = true;
  }
  [[nodiscard]] bool failed() const { return failed_; }

  // ---- values ---------------------------------------------------------------

  static std::optional<Value> literal_value(const syntax::Literal& l) {
    switch (l.v.index()) {
      case 0: return Value();
      case 1: return Value(std::get<bool>(l.v));
      case 2: return Value(std::get<std::int64_t>(l.v));
      case 3: return Value(std::get<double>(l.v));
      default: return Value(std::string_view(std::get<std::string>(l.v)));
    }
  }

  bool check_field(const Node& n) {
    if (!n.name.empty()) {
      error(DiagCode::kNotSupportedYet, n.span,
            "not supported yet: the Endpoint variable '" + n.name +
                "' (only meaningful inside _arraysearch)");
      return false;
    }
    if (n.path.size() > 1)
      for (const auto& a : aliases_)
        if (n.path[0] == a) {
          error(DiagCode::kNotSupportedYet, n.span,
                "not supported yet: reading a field of the stage alias '" + a +
                    "' (Endpoint dialect)");
          return false;
        }
    return true;
  }

  std::unique_ptr<VExpr> value(const Node& n) {
    auto e = std::make_unique<VExpr>();
    switch (n.kind) {
      case NodeKind::kLiteral:
        e->kind = VExpr::Kind::kConst;
        e->c = Const::of(*literal_value(n.lit));
        return e;
      case NodeKind::kField:
        if (!check_field(n)) return nullptr;
        e->kind = VExpr::Kind::kField;
        e->slot = slot(n.field_name());
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

  std::unique_ptr<VExpr> call(const Node& n) {
    std::string lname = ascii_fold(n.name);
    if (lname == "_arraysearch") {
      error(DiagCode::kNotSupportedYet, n.span,
            "not supported yet: _arraysearch (Endpoint dialect)");
      return nullptr;
    }
    const FnInfo* info = find_function(n.name);
    if (!info) {
      static constexpr const char* kPyEql[] = {
          "arraycontains", "arraycount", "arraysearch", "match", "matchlite", "safe", "wildcard"};
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
      std::string expect = info->max_args == info->min_args ? std::to_string(info->min_args)
                           : info->max_args ? std::to_string(info->min_args) + " to " +
                                                  std::to_string(info->max_args)
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

  bool check_arg(const FnInfo& info, std::size_t i, const VExpr& a, SourceSpan span) {
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

  // Folds a value expression whose operands are all constants.
  std::unique_ptr<VExpr> fold(std::unique_ptr<VExpr> e, SourceSpan span) {
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
      case VExpr::Kind::kCall: {
        // A literal null argument folds the whole call to null (QL optimizer),
        // unless the signature lets it default (number()'s base, indexOf's start).
        bool null_arg = false;
        const FnInfo& info = function_info(e->fn);
        for (std::size_t i = 0; i < e->args.size(); ++i)
          if (e->args[i]->c.value.is_null() && !info.param(i).nullable) null_arg = true;
        if (null_arg) {
          out = Value();
          break;
        }
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

  // ---- predicates -----------------------------------------------------------

  // Fills the operand of a leaf: a bare field is multi-valued (any element).
  bool operand(const Node& n, PNode& p) {
    if (n.kind == NodeKind::kField) {
      if (!check_field(n)) return false;
      p.operand_is_field = true;
      p.slot = slot(n.field_name());
      return true;
    }
    auto e = value(n);
    if (!e) return false;
    p.expr = std::move(e);
    return true;
  }

  static bool is_const_node(const Node& n) {
    if (n.kind == NodeKind::kLiteral) return true;
    if (n.kind == NodeKind::kNeg) return is_const_node(*n.children[0]);
    return false;
  }

  std::unique_ptr<PNode> const_bool(bool v, SourceSpan s) {
    return make_p(v ? PNode::Kind::kTrue : PNode::Kind::kFalse, s);
  }

  std::unique_ptr<PNode> pred(const Node& n, bool negate) {
    switch (n.kind) {
      case NodeKind::kAnd:
      case NodeKind::kOr: {
        // De Morgan: not (a and b) == not a or not b (eql-semantics.md §3.3).
        bool is_and = (n.kind == NodeKind::kAnd) != negate;
        auto out = make_p(is_and ? PNode::Kind::kAnd : PNode::Kind::kOr, n.span);
        for (const auto& c : n.children) {
          auto p = pred(*c, negate);
          if (!p) return nullptr;
          if (p->kind == (is_and ? PNode::Kind::kTrue : PNode::Kind::kFalse)) continue;
          if (p->kind == (is_and ? PNode::Kind::kFalse : PNode::Kind::kTrue)) return p;
          if (p->kind == out->kind) {
            for (auto& g : p->children) out->children.push_back(std::move(g));
          } else {
            out->children.push_back(std::move(p));
          }
        }
        if (out->children.empty()) return const_bool(is_and, n.span);
        if (out->children.size() == 1) return std::move(out->children[0]);
        return out;
      }
      case NodeKind::kNot: return pred(*n.children[0], !negate);
      case NodeKind::kCompare: return compare_pred(n, negate);
      case NodeKind::kIn: return in_pred(n, negate);
      case NodeKind::kMatch: return match_pred(n, negate);
      case NodeKind::kLineage:
        error(DiagCode::kNotSupportedYet, n.span,
              "not supported yet: '" + n.lineage + " of [...]' lineage (Endpoint dialect)");
        return nullptr;
      case NodeKind::kLiteral: {
        auto v = literal_value(n.lit);
        if (v->kind() == Value::Kind::kBool) return const_bool(v->as_bool() != negate, n.span);
        if (v->is_null()) return const_bool(negate, n.span);
        error(DiagCode::kNotAPredicate, n.span,
              "a condition must be boolean, found a constant of another type");
        return nullptr;
      }
      default: {
        // A field or function used as a condition: true iff it is boolean true.
        auto p = make_p(PNode::Kind::kTruthy, n.span);
        if (!operand(n, *p)) return nullptr;
        if (p->expr && p->expr->kind == VExpr::Kind::kConst) {
          const Value& v = p->expr->c.value;
          bool t = v.kind() == Value::Kind::kBool && v.as_bool();
          return const_bool(t != negate, n.span);
        }
        if (p->expr && p->expr->kind == VExpr::Kind::kCall && !function_info(p->expr->fn).boolean) {
          error(DiagCode::kNotAPredicate, n.span,
                std::string("function '") + function_info(p->expr->fn).name +
                    "' does not return a boolean; compare its result");
          return nullptr;
        }
        return negate_p(std::move(p), negate);
      }
    }
  }

  std::unique_ptr<PNode> compare_pred(const Node& n, bool negate) {
    const Node* lhs = n.children[0].get();
    const Node* rhs = n.children[1].get();
    CmpOp op = lowered(n.cmp);
    const bool ne = n.cmp == syntax::CompareOp::kNe;
    auto lv = value(*lhs);
    auto rv = value(*rhs);
    if (!lv || !rv) return nullptr;
    bool lc = lv->kind == VExpr::Kind::kConst, rc = rv->kind == VExpr::Kind::kConst;
    if (lc && !rc) {
      std::swap(lhs, rhs);
      std::swap(lv, rv);
      std::swap(lc, rc);
      op = mirror(op);
    }
    if (!rc) {
      error(DiagCode::kFieldComparison, n.span,
            "comparisons against fields are not supported by Elasticsearch EQL: one side "
            "must be a constant");
      return nullptr;
    }
    if (lc && rc) {
      const Value& a = lv->c.value;
      const Value& b = rv->c.value;
      if (op == CmpOp::kEq && (a.is_null() || b.is_null()))
        return const_bool((a.is_null() && b.is_null()) != (ne != negate), n.span);
      auto r = compare(a, op, b);
      if (!r) return const_bool(false, n.span);
      if (op == CmpOp::kEq) return const_bool(*r != (ne != negate), n.span);
      return const_bool(*r != negate, n.span);
    }
    const Value& c = rv->c.value;
    if (c.is_null()) {
      if (op != CmpOp::kEq) return const_bool(false, n.span);
      // f == null: IsNull; f != null: IsNotNull.
      auto p = make_p(PNode::Kind::kIsNull, n.span);
      if (lhs->kind == NodeKind::kField) {
        if (!operand(*lhs, *p)) return nullptr;
      } else {
        p->expr = std::move(lv);
      }
      return negate_p(std::move(p), ne != negate);
    }
    auto p = make_p(PNode::Kind::kCompare, n.span);
    if (lhs->kind == NodeKind::kField) {
      if (!operand(*lhs, *p)) return nullptr;
    } else {
      p->expr = std::move(lv);
    }
    p->c = rv->c;
    if (op == CmpOp::kEq) {
      p->cmp = CmpOp::kEq;
      return negate_p(std::move(p), ne != negate);
    }
    p->cmp = negate ? negate_order(op) : op;
    return p;
  }

  bool constant_list(const Node& n, std::vector<Const>& out, const char* what) {
    for (std::size_t i = 1; i < n.children.size(); ++i) {
      auto v = value(*n.children[i]);
      if (!v) return false;
      if (v->kind != VExpr::Kind::kConst) {
        error(contains_field(*v) ? DiagCode::kFieldComparison : DiagCode::kWrongArgumentType,
              n.children[i]->span, std::string("the values of ") + what + " must be constants");
        return false;
      }
      out.push_back(v->c);
    }
    return true;
  }

  std::unique_ptr<PNode> in_pred(const Node& n, bool negate) {
    std::vector<Const> items;
    if (!constant_list(n, items, n.insensitive ? "'in~'" : "'in'")) return nullptr;
    auto p = make_p(PNode::Kind::kIn, n.span);
    if (!operand(*n.children[0], *p)) return nullptr;
    p->insensitive = n.insensitive;
    p->in = std::make_unique<InSet>(n.insensitive);
    for (const auto& c : items) p->in->add(c.value);
    if (p->expr && p->expr->kind == VExpr::Kind::kConst) {
      Value v = p->expr->c.value;
      std::string folded;
      if (v.is_string() && n.insensitive) {
        folded = ascii_fold(v.as_string());
        v = Value(std::string_view(folded));
      }
      return const_bool(p->in->contains(v) != (n.negated != negate), n.span);
    }
    return negate_p(std::move(p), n.negated != negate);
  }

  std::unique_ptr<PNode> match_pred(const Node& n, bool negate) {
    const char* what = n.match_op == MatchOp::kColon  ? "':'"
                       : n.match_op == MatchOp::kLike ? (n.insensitive ? "'like~'" : "'like'")
                                                      : (n.insensitive ? "'regex~'" : "'regex'");
    std::vector<Const> items;
    if (!constant_list(n, items, what)) return nullptr;
    std::vector<std::string> strings;
    auto others = std::make_unique<InSet>(false);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const Value& v = items[i].value;
      if (v.is_string())
        strings.emplace_back(v.as_string());
      else if (n.match_op == MatchOp::kRegex) {
        error(DiagCode::kWrongArgumentType, n.children[i + 1]->span,
              "a regex pattern must be a string");
        return nullptr;
      } else {
        others->add(v);  // ':' on numbers and booleans is plain equality
      }
    }
    auto base = make_p(PNode::Kind::kOr, n.span);
    auto leaf = [&](PNode::Kind k) {
      auto p = make_p(k, n.span);
      if (!operand(*n.children[0], *p)) return std::unique_ptr<PNode>();
      p->insensitive = n.insensitive;
      return p;
    };
    if (!strings.empty()) {
      std::unique_ptr<PNode> p;
      if (n.match_op == MatchOp::kRegex) {
        p = leaf(PNode::Kind::kRegex);
        if (!p) return nullptr;
        p->regex = std::make_unique<RegexSet>();
        std::size_t k = 0;
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (!items[i].value.is_string()) continue;
          std::string err;
          if (!p->regex->add(strings[k++], n.insensitive, err)) {
            error(DiagCode::kInvalidRegex, n.children[i + 1]->span, err);
            return nullptr;
          }
        }
      } else {
        p = leaf(PNode::Kind::kWildcard);
        if (!p) return nullptr;
        p->wild = std::make_unique<WildcardSet>(strings, n.insensitive);
      }
      base->children.push_back(std::move(p));
    }
    if (others->size()) {
      auto p = leaf(PNode::Kind::kIn);
      if (!p) return nullptr;
      p->insensitive = false;
      p->in = std::move(others);
      base->children.push_back(std::move(p));
    }
    std::unique_ptr<PNode> out;
    if (base->children.empty())
      out = make_p(PNode::Kind::kFalse, n.span);
    else if (base->children.size() == 1)
      out = std::move(base->children[0]);
    else
      out = std::move(base);
    return negate_p(std::move(out), negate);
  }

  // ---- query ----------------------------------------------------------------

  std::unique_ptr<PNode> event_filter(const syntax::EventQuery& eq, std::string& category) {
    auto cond = pred(*eq.condition, false);
    if (!cond) return nullptr;
    if (eq.any) {
      category.clear();
      return cond;
    }
    category = eq.category;
    auto cat = make_p(PNode::Kind::kCategory, eq.category_span);
    cat->operand_is_field = true;
    cat->slot = r_.category_slot;
    cat->text = eq.category;
    if (cond->kind == PNode::Kind::kTrue) return cat;
    if (cond->kind == PNode::Kind::kFalse) return cond;
    auto a = make_p(PNode::Kind::kAnd, eq.span);
    a->children.push_back(std::move(cat));
    if (cond->kind == PNode::Kind::kAnd) {
      for (auto& c : cond->children) a->children.push_back(std::move(c));
    } else {
      a->children.push_back(std::move(cond));
    }
    return a;
  }

  bool keys(const std::vector<syntax::NodePtr>& ks, StagePlan& st) {
    for (const auto& k : ks) {
      auto e = value(*k);
      if (!e) return false;
      st.keys.push_back(std::move(e));
      st.key_optional.push_back(k->optional);
    }
    return true;
  }

  bool stage(const syntax::Stage& s, int index, StagePlan& st) {
    st.filter = event_filter(s.query, st.category);
    if (!st.filter) return false;
    st.missing = s.missing;
    st.source_stage = index;
    if (!keys(q_.shared_keys, st)) return false;
    return keys(s.keys, st);
  }

  void run() {
    std::string cat_field = r_.meta.event_category_override.empty()
                                ? opts_.event_category_field
                                : r_.meta.event_category_override;
    r_.category_field = cat_field;
    r_.category_slot = slot(cat_field);
    for (const auto& p : q_.pipes) {
      if (p.name == "head")
        r_.head = p.count;
      else
        r_.tail = p.count;
      r_.pipes.push_back({p.name != "head", p.count});
    }
    if (q_.kind == QueryKind::kEvent) {
      r_.kind = QueryKind::kEvent;
      StagePlan st;
      st.filter = event_filter(q_.event, st.category);
      if (!st.filter) return;
      r_.stages.push_back(std::move(st));
      return;
    }
    r_.kind = q_.kind;
    for (const auto& k : q_.shared_keys)
      r_.shared_key_fields.push_back(k->kind == NodeKind::kField ? k->field_name() : std::string());
    if (q_.maxspan_ms) r_.maxspan_ns = *q_.maxspan_ms * 1'000'000;
    for (std::size_t i = 0; i < q_.stages.size(); ++i) {
      const auto& s = q_.stages[i];
      for (int run = 0; run < s.runs; ++run) {
        StagePlan st;
        if (!stage(s, static_cast<int>(i), st)) {
          failed_ = true;
          break;  // one report per stage
        }
        r_.stages.push_back(std::move(st));
      }
    }
    if (q_.until) {
      StagePlan st;
      if (stage(*q_.until, -1, st)) r_.until = std::move(st);
    }
    if (!r_.stages.empty()) r_.key_count = r_.stages.front().keys.size();
  }

 private:
  const syntax::Query& q_;
  DiagSink& diags_;
  const CompileOptions& opts_;
  detail::CompiledRule& r_;
  std::unordered_map<std::string, std::uint32_t> slots_;
  std::vector<std::string> aliases_;
  bool failed_ = false;
};

std::shared_ptr<detail::CompiledRule> bind(const syntax::Query& q, std::string_view text,
                                           RuleMetadata meta, const CompileOptions& opts,
                                           DiagSink& diags) {
  auto r = std::make_shared<detail::CompiledRule>();
  r->meta = std::move(meta);
  r->query = std::string(text);
  r->canonical = syntax::print(q);
  Binder b(q, diags, opts, *r);
  b.run();
  if (b.failed() || diags.error_count() > 0) return nullptr;
  analyse_index(*r);
  return r;
}

}  // namespace eqlpp::compiler

namespace eqlpp::compiler {

std::optional<Const> fold_expression(std::string_view expr, DiagSink& diags) {
  std::string text = "any where " + std::string(expr);
  auto q = syntax::parse(text, diags);
  if (!q) return std::nullopt;
  detail::CompiledRule r;
  CompileOptions opts;
  Binder b(*q, diags, opts, r);
  auto v = b.value(*q->event.condition);
  if (!v || v->kind != VExpr::Kind::kConst) return std::nullopt;
  return v->c;
}

}  // namespace eqlpp::compiler
