// SPDX-License-Identifier: Apache-2.0
#include "runtime/dispatcher.hpp"

#include <re2/re2.h>
#include <re2/set.h>

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
      if (k.substring) {
        Substrings& sub = it->substrings[k.insensitive ? 1 : 0];
        for (const auto& v : k.values) {
          auto lit = std::find(sub.literals.begin(), sub.literals.end(), v);
          if (lit == sub.literals.end()) {
            sub.literals.push_back(v);
            sub.rules.emplace_back();
            lit = sub.literals.end() - 1;
          }
          auto& list = sub.rules[static_cast<std::size_t>(lit - sub.literals.begin())];
          if (list.empty() || list.back() != idx) list.push_back(idx);
        }
        sub.built = false;
      } else {
        auto& table = k.insensitive ? it->folded : it->exact;
        for (const auto& v : k.values) {
          auto& list = table[v];
          if (list.empty() || list.back() != idx) list.push_back(idx);
        }
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
  for (FieldIndex& fi : field_index_) {
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
      bool scanned = true;
      if (!fi.substrings[0].literals.empty()) scanned = scan(fi.substrings[0], v.as_string());
      if (scanned && !fi.substrings[1].literals.empty())
        scanned = scan(fi.substrings[1], ctx.folded_field_value(v.as_string()));
      if (!scanned) {
        for (std::uint32_t i : fi.rules) add_candidate(i);
        break;
      }
    }
  }
  if (candidates_.size() > 1) std::sort(candidates_.begin(), candidates_.end());
  return candidates_;
}

bool Dispatcher::scan(Substrings& s, std::string_view value) {
  if (!s.built) {
    // Literal patterns, unanchored, over bytes (Latin-1: no UTF-8 decoding,
    // so a fragment matches exactly the bytes it has).
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_case_sensitive(true);
    o.set_max_mem(std::int64_t{256} << 20);
    auto set = std::make_shared<RE2::Set>(o, RE2::UNANCHORED);
    bool ok = true;
    for (const auto& lit : s.literals) ok = ok && set->Add(RE2::QuoteMeta(lit), nullptr) >= 0;
    ok = ok && set->Compile();
    s.set = ok ? std::shared_ptr<const void>(set, set.get()) : nullptr;
    s.built = true;
  }
  if (!s.set) return false;
  const auto* set = static_cast<const RE2::Set*>(s.set.get());
  s.hits.clear();
  RE2::Set::ErrorInfo err{};
  if (!set->Match(value, &s.hits, &err)) return err.kind == RE2::Set::kNoError;
  for (int h : s.hits)
    for (std::uint32_t i : s.rules[static_cast<std::size_t>(h)]) add_candidate(i);
  return true;
}

}  // namespace eqlpp::runtime
