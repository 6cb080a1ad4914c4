// SPDX-License-Identifier: Apache-2.0
// The binder: predicates (comparisons, `in`, matches, `not` push-down to the leaves).
#include <algorithm>

#include "compile/binder_impl.hpp"
#include "compile/version_order.hpp"
#include "ingest/coerce.hpp"
#include "ingest/timestamp.hpp"
#include "util/saturate.hpp"

namespace eqlpp::compiler {

bool Binder::operand(const Node& n, PNode& p) {
  if (n.kind == NodeKind::kField && !unmapped_optional(n)) {
    p.operand_is_field = true;
    return field_slot(n, p.slot);
  }
  auto e = value(n);
  if (!e) return false;
  p.expr = std::move(e);
  return true;
}

bool Binder::is_const_node(const Node& n) {
  if (n.kind == NodeKind::kLiteral) return true;
  if (n.kind == NodeKind::kNeg) return is_const_node(*n.children[0]);
  return false;
}

std::unique_ptr<PNode> Binder::const_bool(bool v, SourceSpan s) {
  return make_p(v ? PNode::Kind::kTrue : PNode::Kind::kFalse, s);
}

std::unique_ptr<PNode> Binder::pred(const Node& n, bool negate) {
  if (n.kind == NodeKind::kCall && ascii_fold(n.name) == "_arraysearch")
    return arraysearch_pred(n, negate);
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
    case NodeKind::kLineage: {
      if (!endpoint()) {
        error(DiagCode::kNotSupportedYet, n.span,
              "not supported yet: '" + n.lineage + " of [...]' lineage (Endpoint dialect)" +
                  dialect_hint());
        return nullptr;
      }
      std::string category;
      auto sub = event_filter(*n.lineage_query, category);  // nested sub-queries first
      if (!sub) return nullptr;
      auto p = make_p(PNode::Kind::kLineage, n.span);
      p->lineage = n.lineage == "descendant" ? LineageKind::kDescendant
                   : n.lineage == "child"    ? LineageKind::kChild
                                             : LineageKind::kEvent;
      p->slot = static_cast<std::uint32_t>(r_.lineage.size());
      p->children.push_back(std::move(sub));
      r_.lineage.push_back({p->lineage, p->children[0].get(), std::move(category), false, {}});
      return negate_p(std::move(p), negate);
    }
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

std::unique_ptr<PNode> Binder::compare_pred(const Node& n, bool negate) {
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
    if (endpoint()) {
      // Endpoint compares two values of the event: a field's first value,
      // null (a missing field) unequal to everything, `!=` its negation.
      auto e = std::make_unique<VExpr>();
      e->kind = VExpr::Kind::kCmp;
      e->cmp = op;
      e->args.push_back(std::move(lv));
      e->args.push_back(std::move(rv));
      auto p = make_p(PNode::Kind::kTruthy, n.span);
      p->expr = std::move(e);
      return negate_p(std::move(p), op == CmpOp::kEq ? ne != negate : negate);
    }
    error(DiagCode::kFieldComparison, n.span,
          "comparisons against fields are not supported by Elasticsearch EQL: one side "
          "must be a constant" +
              dialect_hint());
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
  const bool mapped_field = lhs->kind == NodeKind::kField && lhs->name.empty();
  if (mapped_field && (c.is_string() || c.is_number()))
    if (auto d = date_compare(*lhs, *rhs, *rv, op, ne, negate, n.span); d || failed_) return d;
  if (mapped_field)
    if (auto t = typed_compare(n, *lhs, *rhs, *rv, op, ne, negate); t || failed_) return t;
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

// A comparison of a date field with a literal (CompileOptions::date_fields):
// the literal's instants at its precision, compared in the field's resolution.
// Null when the field is not a date (nothing reported).
std::unique_ptr<PNode> Binder::date_compare(const Node& field, const Node& literal,
                                            const VExpr& lit, CmpOp op, bool ne, bool negate,
                                            SourceSpan span) {
  const std::string path = resolved(field.field_name());
  auto listed = [&](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), path) != v.end();
  };
  const bool nanos = listed(opts_.date_nanos_fields);
  if (!nanos && !listed(opts_.date_fields)) return nullptr;
  const Value& c = lit.c.value;
  std::int64_t lo = 0, hi = 0;
  if (c.is_string()) {
    if (!ingest::parse_date_literal(c.as_string(), lo, hi)) {
      error(DiagCode::kWrongArgumentType, literal.span,
            "'" + std::string(c.as_string()) + "' is not a date, and " + path +
                " is a date field (ISO-8601 or epoch milliseconds)");
      return nullptr;
    }
  } else if (!ingest::date_value_ns(c, lo)) {
    error(DiagCode::kWrongArgumentType, literal.span,
          "the number is out of range for a date in epoch milliseconds (" + path + ")");
    return nullptr;
  } else {
    hi = c.kind() == Value::Kind::kInt ? lo + 999'999 : lo;  // an integer names its millisecond
  }
  auto p = make_p(PNode::Kind::kDate, span);
  if (!operand(field, *p)) return nullptr;
  p->c = lit.c;
  p->date_unit = nanos ? 1 : 1'000'000;
  p->date_lo = util::floor_div(lo, p->date_unit);
  p->date_hi = util::floor_div(hi, p->date_unit);
  if (op == CmpOp::kEq) {
    p->cmp = CmpOp::kEq;
    return negate_p(std::move(p), ne != negate);
  }
  p->cmp = negate ? negate_order(op) : op;
  return p;
}

// EQL does not require the two sides of a comparison to have one type (ql's
// BinaryComparison only checks that each side is exact; the areCompatible
// check is ES|QL's): the literal becomes a term or range query on the
// field, and the field's mapper converts it. A literal the mapper cannot
// convert fails the query in Elasticsearch; here it is a compile error.
bool Binder::type_mismatch(const Node& cmp, const Node& field, const Node& literal,
                           const Value& c) {
  const FieldMapping* m = mapping_of(resolved(field.field_name()));
  if (!m || c.is_null()) return false;
  bool ok = true;
  switch (m->type) {
    case FieldType::kInteger:
    case FieldType::kFloat: {
      ingest::Coercion num;
      num.type = m->type;
      Value out;
      ok = c.is_number() ||
           (c.is_string() && ingest::coerce(num, c, {}, out) == ingest::Coerced::kValue);
      break;
    }
    case FieldType::kBoolean:
      ok = c.kind() == Value::Kind::kBool ||
           (c.is_string() && (c.as_string() == "true" || c.as_string() == "false"));
      break;
    case FieldType::kIp: ok = c.is_string(); break;
    default: break;
  }
  if (ok) return false;
  error(DiagCode::kWrongArgumentType, literal.span,
        c.to_json() + " is not a value of field " + field.field_name() + ", mapped as " +
            ingest::type_name(m->type) + " (Elasticsearch fails the query [" + syntax::print(cmp) +
            "])");
  return true;
}

std::unique_ptr<PNode> Binder::ip_leaf(const Node& field, const Node& literal,
                                       std::string_view text, CmpOp op, SourceSpan span) {
  auto p = make_p(PNode::Kind::kIp, span);
  const bool cidr = text.find('/') != std::string_view::npos;
  if ((cidr && op != CmpOp::kEq) || !parse_ip_range(text, p->ip_lo, p->ip_hi)) {
    error(DiagCode::kWrongArgumentType, literal.span,
          "'" + std::string(text) + "' is not an IP address" +
              (op == CmpOp::kEq ? " or CIDR block" : "") + ", and " + field.field_name() +
              " is mapped as ip");
    return nullptr;
  }
  if (!operand(field, *p)) return nullptr;
  p->c = Const::str(std::string(text));
  p->cmp = op;
  return p;
}

std::unique_ptr<PNode> Binder::typed_compare(const Node& cmp, const Node& field,
                                             const Node& literal, const VExpr& lit, CmpOp op,
                                             bool ne, bool negate) {
  const FieldMapping* m = mapping_of(resolved(field.field_name()));
  if (!m) return nullptr;
  const Value& c = lit.c.value;
  if (type_mismatch(cmp, field, literal, c)) return nullptr;
  std::unique_ptr<PNode> p;
  if (m->type == FieldType::kIp) {
    p = ip_leaf(field, literal, c.as_string(), op, cmp.span);
  } else if (m->type == FieldType::kVersion && op != CmpOp::kEq) {
    // A term query on a version field is exact; ranges follow version order.
    p = make_p(PNode::Kind::kVersion, cmp.span);
    if (!operand(field, *p)) return nullptr;
    p->c = lit.c;
    p->cmp = op;
  } else {
    return nullptr;
  }
  if (!p) return nullptr;
  if (op == CmpOp::kEq) return negate_p(std::move(p), ne != negate);
  p->cmp = negate ? negate_order(op) : op;
  return p;
}

bool Binder::constant_list(const Node& n, std::vector<Const>& out, const char* what) {
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

std::unique_ptr<PNode> Binder::in_pred(const Node& n, bool negate) {
  std::vector<Const> items;
  if (!constant_list(n, items, n.insensitive ? "'in~'" : "'in'")) return nullptr;
  const Node& subject = *n.children[0];
  if (subject.kind == NodeKind::kField && subject.name.empty() && !unmapped_optional(subject))
    if (const FieldMapping* m = mapping_of(resolved(subject.field_name()))) {
      for (std::size_t i = 0; i < items.size(); ++i)
        if (type_mismatch(n, subject, *n.children[i + 1], items[i].value)) return nullptr;
      if (m->type == FieldType::kIp) {
        // Each item is a term query on the ip field: an address or a CIDR block.
        auto any = make_p(PNode::Kind::kOr, n.span);
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (items[i].value.is_null()) continue;
          auto leaf =
              ip_leaf(subject, *n.children[i + 1], items[i].value.as_string(), CmpOp::kEq, n.span);
          if (!leaf) return nullptr;
          any->children.push_back(std::move(leaf));
        }
        return negate_p(std::move(any), n.negated != negate);
      }
    }
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

std::unique_ptr<PNode> Binder::match_pred(const Node& n, bool negate) {
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

// `_arraysearch(array, $var, condition)` (Endpoint): true when `condition`
// holds for some element of `array`, `$var.f` reading field f of that element
// (the elements' fields are numbered by the decoder; CompiledRule::ArraySpec).
std::unique_ptr<PNode> Binder::arraysearch_pred(const Node& n, bool negate) {
  if (!endpoint()) {
    error(DiagCode::kNotSupportedYet, n.span,
          "not supported yet: _arraysearch (Endpoint dialect)" + dialect_hint());
    return nullptr;
  }
  if (n.children.size() != 3) {
    error(DiagCode::kWrongArity, n.span,
          "function '_arraysearch' takes 3 arguments (array, $variable, condition), found " +
              std::to_string(n.children.size()));
    return nullptr;
  }
  const Node& arr = *n.children[0];
  const Node& var = *n.children[1];
  if (arr.kind != NodeKind::kField || !arr.name.empty()) {
    error(DiagCode::kWrongArgumentType, arr.span,
          arr.kind == NodeKind::kField
              ? "not supported yet: _arraysearch over an array inside another array's element"
              : "the first argument of _arraysearch must be a field (an array)");
    return nullptr;
  }
  if (var.kind != NodeKind::kField || var.name.empty() || !var.path.empty()) {
    error(DiagCode::kWrongArgumentType, var.span,
          "the second argument of _arraysearch must be a variable ($name)");
    return nullptr;
  }
  if (!check_field(arr)) return nullptr;
  const std::string path = resolved(arr.field_name());
  const std::uint32_t array_slot = slot(path);
  std::size_t spec = r_.arrays.size();
  for (std::size_t i = 0; i < r_.arrays.size(); ++i)
    if (r_.arrays[i].array_slot == array_slot) spec = i;
  if (spec == r_.arrays.size()) {
    detail::CompiledRule::ArraySpec a;
    a.array_slot = array_slot;
    a.elems_slot = slot(std::string(kElementsPrefix) + path);
    r_.arrays.push_back(std::move(a));
  }
  auto p = make_p(PNode::Kind::kArraySearch, n.span);
  p->slot = r_.arrays[spec].elems_slot;
  array_scopes_.push_back({var.name, path, spec, &p->scoped});
  auto cond = pred(*n.children[2], false);
  array_scopes_.pop_back();
  if (!cond) return nullptr;
  p->children.push_back(std::move(cond));
  return negate_p(std::move(p), negate);
}

}  // namespace eqlpp::compiler
