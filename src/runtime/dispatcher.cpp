// SPDX-License-Identifier: Apache-2.0
#include "runtime/dispatcher.hpp"

#include <algorithm>

namespace eqlpp::runtime {

Dispatcher::Selection Dispatcher::add(std::uint32_t idx, const detail::CompiledRule& plan,
                                      std::span<const FieldId> map,
                                      const std::vector<std::string>& categories) {
  if (visited_.size() <= idx) visited_.resize(idx + 1, 0);
  if (use_index_ && plan.indexed) {
    // Selected by field values instead (they imply the category test).
    for (const auto& k : plan.index_keys) {
      FieldId f = map[k.slot];
      auto it = std::find_if(field_index_.begin(), field_index_.end(),
                             [&](const FieldIndex& fi) { return fi.field == f; });
      if (it == field_index_.end()) {
        field_index_.push_back(FieldIndex{f, {}, {}, {}});
        it = field_index_.end() - 1;
      }
      auto& table = k.insensitive ? it->folded : it->exact;
      for (const auto& v : k.values) {
        auto& list = table[v];
        if (list.empty() || list.back() != idx) list.push_back(idx);
      }
      if (it->rules.empty() || it->rules.back() != idx) it->rules.push_back(idx);
    }
    return Selection::kIndex;
  }
  // Rules reading another category field, or with an `any` stage, are always evaluated.
  auto any_stage = [](const compiler::StagePlan& st) { return st.category.empty(); };
  bool always = plan.category_field != cat_name_ ||
                std::any_of(plan.stages.begin(), plan.stages.end(), any_stage) ||
                (plan.until && any_stage(*plan.until));
  if (always) {
    always_.push_back(idx);
    return Selection::kAlways;
  }
  for (const auto& c : categories) by_category_[c].push_back(idx);
  return Selection::kCategory;
}

const std::vector<std::uint32_t>& Dispatcher::select(const Record& r, EvalCtx& ctx) {
  ++epoch_;
  candidates_.clear();
  for (std::uint32_t i : always_) add_candidate(i);
  if (!by_category_.empty()) {
    for (const Value& c : r.values(cat_field_)) {
      if (!c.is_string()) continue;
      auto it = by_category_.find(c.as_string());
      if (it == by_category_.end()) continue;
      for (std::uint32_t i : it->second) add_candidate(i);
    }
  }
  for (const FieldIndex& fi : field_index_) {
    for (const Value& v : r.values(fi.field)) {
      if (!v.is_string()) {  // a number or boolean may coerce: no pruning on this field
        for (std::uint32_t i : fi.rules) add_candidate(i);
        break;
      }
      if (!fi.exact.empty())
        if (auto it = fi.exact.find(v.as_string()); it != fi.exact.end())
          for (std::uint32_t i : it->second) add_candidate(i);
      if (!fi.folded.empty())
        if (auto it = fi.folded.find(ctx.folded_field_value(v.as_string())); it != fi.folded.end())
          for (std::uint32_t i : it->second) add_candidate(i);
    }
  }
  if (candidates_.size() > 1) std::sort(candidates_.begin(), candidates_.end());
  return candidates_;
}

}  // namespace eqlpp::runtime
