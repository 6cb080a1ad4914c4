// SPDX-License-Identifier: Apache-2.0
// The binder: queries (stages, join keys, the rule) and the entry points.
#include "compile/binder.hpp"

#include "compile/binder_impl.hpp"
#include "compile/index_keys.hpp"
#include "compile/shared_leaves.hpp"
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

std::unique_ptr<PNode> Binder::event_filter(const syntax::EventQuery& eq, std::string& category) {
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

bool Binder::keys(const std::vector<syntax::NodePtr>& ks, StagePlan& st) {
  for (const auto& k : ks) {
    auto e = value(*k);
    if (!e) return false;
    st.keys.push_back(std::move(e));
    st.key_optional.push_back(k->optional);
  }
  return true;
}

bool Binder::stage(const syntax::Stage& s, int index, StagePlan& st) {
  current_stage_ = index;
  reads_aliases_ = false;
  st.filter = event_filter(s.query, st.category);
  current_stage_ = -2;
  if (!st.filter) return false;
  st.reads_aliases = reads_aliases_;
  if (st.reads_aliases && (s.missing || q_.kind != QueryKind::kSequence)) {
    error(DiagCode::kNotSupportedYet, s.query.span,
          "not supported yet: a stage alias read in a missing-event stage or a sample");
    return false;
  }
  st.missing = s.missing;
  st.source_stage = index;
  if (!keys(q_.shared_keys, st)) return false;
  return keys(s.keys, st);
}

void Binder::run() {
  std::string cat_field = r_.meta.event_category_override.empty() ? opts_.event_category_field
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
    r_.shared_key_fields.push_back(k->kind == NodeKind::kField ? resolved(k->field_name())
                                                               : std::string());
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
  analyse_shared_leaves(*r);
  return r;
}

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
