// SPDX-License-Identifier: Apache-2.0
#include "runtime/dispatcher.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <bit>

#include "util/hash.hpp"

namespace eqlpp::runtime {

bool reads_every_category(const detail::CompiledRule& plan, std::string_view category_field) {
  auto any_stage = [](const compiler::StagePlan& st) { return st.category.empty(); };
  return plan.category_field != category_field ||
         std::any_of(plan.stages.begin(), plan.stages.end(), any_stage) ||
         (plan.until && any_stage(*plan.until));
}

namespace {

// Adds rule number `tag` (kGated included) to `list` for `stages`: a rule's
// keys are added together, so a rule already there is the last entry.
template <typename List>
void add_tag(List& list, std::uint32_t tag, std::uint32_t stages) {
  if (!list.empty() && list.back().rule == tag)
    list.back().stages |= stages;
  else
    list.push_back({tag, stages});
}

}  // namespace

void Dispatcher::register_key(std::uint32_t t, const compiler::IndexKey& k, std::uint32_t stages,
                              FieldId f, std::uint64_t mask) {
  auto it = std::find_if(field_index_.begin(), field_index_.end(),
                         [&](const FieldIndex& fi) { return fi.field == f; });
  if (it == field_index_.end()) {
    field_index_.push_back(FieldIndex{f, {}, {}, {}});
    it = field_index_.end() - 1;
    if (position_.size() <= f) position_.resize(static_cast<std::size_t>(f) + 1, kNoIndex);
    position_[f] = static_cast<std::uint32_t>(field_index_.size() - 1);
  }
  if ((t & kSecond) == 0) ++it->first_keys[kind_of(k)];
  if (k.present) {
    it->present_mask |= mask;
    add_tag(it->present, t, stages);
  } else if (k.substring) {
    Substrings& sub = it->substrings[k.insensitive ? 1 : 0];
    sub.mask |= mask;
    for (const auto& v : k.values) {
      auto lit = std::find(sub.literals.begin(), sub.literals.end(), v);
      if (lit == sub.literals.end()) {
        sub.literals.push_back(v);
        sub.rules.emplace_back();
        lit = sub.literals.end() - 1;
      }
      add_tag(sub.rules[static_cast<std::size_t>(lit - sub.literals.begin())], t, stages);
    }
    sub.built = false;
  } else {
    (k.insensitive ? it->folded_mask : it->exact_mask) |= mask;
    auto& table = k.insensitive ? it->folded : it->exact;
    for (const auto& v : k.values) add_tag(table[v], t, stages);
  }
  add_tag(it->rules, t, stages);
}

void Dispatcher::add_keys(std::uint32_t tag, const std::vector<compiler::IndexKey>& keys,
                          std::span<const FieldId> map) {
  const std::uint64_t mask = mask_of_tag(tag);
  PendingSecond pending{tag, 0, {}, {}};
  for (const auto& k : keys) {
    if (k.second) {  // registered by confirm_seconds(), when it costs no new scan
      pending.open |= k.stages;
      pending.keys.push_back(k);
      pending.fields.push_back(map[k.slot]);
      continue;
    }
    register_key(tag, k, k.stages, map[k.slot], mask);
  }
  if (!pending.keys.empty()) {
    pending_second_.push_back(std::move(pending));
    seconds_dirty_ = true;
  }
}

void Dispatcher::confirm_seconds() {
  seconds_dirty_ = false;
  // A second-group key is worth its lookups only on a table or automaton the
  // first groups already have the event's values go through; a stage's
  // second group is registered whole, or not at all (yet).
  auto allowed = [&](const compiler::IndexKey& k, FieldId f) {
    if (f >= position_.size() || position_[f] == kNoIndex) return false;
    return field_index_[position_[f]].first_keys[kind_of(k)] > 0;
  };
  for (PendingSecond& p : pending_second_) {
    const std::uint64_t mask = mask_of_tag(p.tag);
    for (std::uint32_t left = p.open; left != 0; left &= left - 1) {
      const std::uint32_t bit = left & (~left + 1);
      bool ok = true;
      for (std::size_t j = 0; j < p.keys.size() && ok; ++j)
        if ((p.keys[j].stages & bit) != 0) ok = allowed(p.keys[j], p.fields[j]);
      if (!ok) continue;
      for (std::size_t j = 0; j < p.keys.size(); ++j)
        if ((p.keys[j].stages & bit) != 0)
          register_key(p.tag | kSecond, p.keys[j], bit, p.fields[j], mask);
      has_second_[p.tag & ~kGated] |= bit;
      p.open &= ~bit;
    }
  }
  // Registered whole: nothing left to decide.
  std::erase_if(pending_second_, [](const PendingSecond& p) { return p.open == 0; });
}

std::uint64_t Dispatcher::mask_of(const std::vector<std::string>& categories) {
  std::uint64_t mask = 0;
  for (const auto& c : categories) mask |= category_bit(c);
  return mask;
}

void Dispatcher::grow(std::uint32_t idx) {
  if (visited_.size() > idx) return;
  visited_.resize(idx + 1, 0);
  stages_.resize(idx + 1, kAllStages);
  has_second_.resize(idx + 1, 0);
  second_.resize(idx + 1, 0);
  second_seen_.resize(idx + 1, 0);
  category_mask_.resize(idx + 1, ~std::uint64_t{0});
  continuation_mask_.resize(idx + 1, ~std::uint64_t{0});
  gate_.resize(idx + 1, nullptr);
  chosen_.resize(idx / 64 + 1, 0);
}

Dispatcher::Selection Dispatcher::add_filter(std::uint32_t idx, bool indexed,
                                             const std::vector<compiler::IndexKey>& keys,
                                             std::span<const FieldId> map,
                                             const std::string& category, bool every_category) {
  grow(idx);
  every_category = every_category || category.empty();
  if (use_index_ && indexed) {
    category_mask_[idx] = every_category ? ~std::uint64_t{0} : category_bit(category);
    add_keys(idx, keys, map);
    return Selection::kIndex;
  }
  if (every_category) {
    always_.push_back(idx);
    return Selection::kAlways;
  }
  categories_[category].rules.push_back(idx);
  return Selection::kCategory;
}

Dispatcher::Selection Dispatcher::add(std::uint32_t idx, const detail::CompiledRule& plan,
                                      std::span<const FieldId> map,
                                      const std::vector<std::string>& categories,
                                      const Matcher* matcher) {
  grow(idx);
  const bool own_category_field = plan.category_field == cat_name_;
  auto has_any = [](const std::vector<std::string>& cats) {
    return std::find(cats.begin(), cats.end(), "") != cats.end();
  };
  if (use_index_ && plan.gated && matcher != nullptr) {
    // Entry stages: by their keys, else by category; continuation stages
    // the same way, but only while the rule holds state.
    gate_[idx] = matcher;
    const auto& en = plan.entry;
    const auto& co = plan.continuation;
    const bool en_any = !own_category_field || has_any(en.categories);
    const bool co_any = !own_category_field || has_any(co.categories);
    category_mask_[idx] = en_any ? ~std::uint64_t{0} : mask_of(en.categories);
    continuation_mask_[idx] = co_any ? ~std::uint64_t{0} : mask_of(co.categories);
    if (co.indexed) {
      add_keys(idx | kGated, co.keys, map);
    } else if (co_any) {
      gated_always_.push_back(idx);
    } else {
      for (const auto& c : co.categories) categories_[c].gated.push_back(idx);
    }
    if (en.indexed) {
      add_keys(idx, en.keys, map);
      return Selection::kIndex;
    }
    if (en_any) {
      always_.push_back(idx);
      return Selection::kAlways;
    }
    for (const auto& c : en.categories) categories_[c].rules.push_back(idx);
    return Selection::kCategory;
  }
  const bool every_category = reads_every_category(plan, cat_name_);
  if (use_index_ && plan.indexed) {
    category_mask_[idx] = every_category ? ~std::uint64_t{0} : mask_of(categories);
    add_keys(idx, plan.index_keys, map);
    return Selection::kIndex;
  }
  if (every_category) {
    always_.push_back(idx);
    return Selection::kAlways;
  }
  for (const auto& c : categories) categories_[c].rules.push_back(idx);
  return Selection::kCategory;
}

std::uint64_t Dispatcher::category_bit(const std::string& c) {
  constexpr std::uint64_t kOverflow = std::uint64_t{1} << 63;
  Category& cat = categories_[c];
  if (cat.bit == 0) {
    cat.bit = category_bits_ < 63 ? std::uint64_t{1} << category_bits_ : kOverflow;
    ++category_bits_;
  }
  return cat.bit;
}

const std::vector<std::uint32_t>& Dispatcher::select(const Record& r, EvalCtx& ctx) {
  if (seconds_dirty_) [[unlikely]]
    confirm_seconds();
  ++epoch_;
  candidates_.clear();
  for (std::uint32_t i : always_) add_candidate(i);
  event_mask_ = 0;
  for (const Value& c : r.values(cat_field_)) {
    if (!c.is_string()) continue;
    auto it = categories_.find(c.as_string());
    if (it == categories_.end()) continue;
    event_mask_ |= it->second.bit;
    for (std::uint32_t i : it->second.rules) add_candidate(i);
    // (event_mask_ already holds this category's bit, which add_gated tests.)
    for (std::uint32_t i : it->second.gated) add_gated(i);
  }
  if (event_mask_ == 0) event_mask_ = std::uint64_t{1} << 63;  // only rules of every category
  for (std::uint32_t i : gated_always_) add_gated(i);
  // The event's fields that some rule is indexed by (an event holds far
  // fewer fields than the rules index).
  for (const FieldId f : r.fields()) {
    if (f >= position_.size() || position_[f] == kNoIndex) continue;
    FieldIndex& fi = field_index_[position_[f]];
    if ((fi.present_mask & event_mask_) != 0)  // (a field in r.fields() has values)
      for (const Tag t : fi.present) add_indexed(t);
    for (const Value& v : r.values(f)) {
      if (!v.is_string()) {  // a number or boolean may coerce: no pruning on this field
        for (const Tag t : fi.rules) add_indexed(t);
        break;
      }
      // A table or automaton whose rules read none of the event's
      // categories could add no candidate (add_indexed tests the same masks).
      if ((fi.exact_mask & event_mask_) != 0)
        if (const TagList* hit = fi.exact.find(v.as_string()))
          for (const Tag t : *hit) add_indexed(t);
      // (ASCII folding keeps a value's length: no fold for a length no key has.)
      if ((fi.folded_mask & event_mask_) != 0 && fi.folded.may_hold(v.as_string().size()))
        if (const TagList* hit = fi.folded.find(ctx.folded_field_value(v.as_string())))
          for (const Tag t : *hit) add_indexed(t);
      bool scanned = true;
      if ((fi.substrings[0].mask & event_mask_) != 0)
        scanned = scan(fi.substrings[0], v.as_string(), false, ctx);
      if (scanned && (fi.substrings[1].mask & event_mask_) != 0)
        scanned = scan(fi.substrings[1], v.as_string(), true, ctx);
      if (!scanned) {
        for (const Tag t : fi.rules) add_indexed(t);
        break;
      }
    }
  }
  for (std::size_t w = 0; w < chosen_.size(); ++w) {
    for (std::uint64_t bits = chosen_[w]; bits != 0; bits &= bits - 1) {
      const std::uint32_t i =
          static_cast<std::uint32_t>(w * 64) + static_cast<std::uint32_t>(std::countr_zero(bits));
      // A stage lacking every key of its second group cannot match either.
      stages_[i] &= confirmed(i);
      if (stages_[i] == 0) {
        visited_[i] = 0;  // not selected after all
        continue;
      }
      candidates_.push_back(i);
    }
    chosen_[w] = 0;
  }
  return candidates_;
}

bool Dispatcher::scan(Substrings& s, std::string_view value, bool insensitive, EvalCtx& ctx) {
  if (!s.built) {
    // The automaton, unless its table would pass 64 MiB; then an RE2::Set of
    // the literals, unanchored, over bytes (Latin-1: no UTF-8 decoding, so a
    // literal matches exactly the bytes it has).
    s.use_automaton = s.automaton.build(s.literals, std::size_t{64} << 20, insensitive);
    s.seen.assign(s.literals.size(), 0);
    s.set = nullptr;
    if (!s.use_automaton) {
      RE2::Options o;
      o.set_encoding(RE2::Options::EncodingLatin1);
      o.set_case_sensitive(true);
      o.set_max_mem(std::int64_t{256} << 20);
      auto set = std::make_shared<RE2::Set>(o, RE2::UNANCHORED);
      bool ok = true;
      for (const auto& lit : s.literals) ok = ok && set->Add(RE2::QuoteMeta(lit), nullptr) >= 0;
      ok = ok && set->Compile();
      if (ok) s.set = std::shared_ptr<const void>(set, set.get());
    }
    s.built = true;
    s.memo = ScanMemo();  // what it found was found by the automaton before
  }
  if (s.use_automaton) {
    ScanMemo& m = s.memo;
    const bool memo = m.skip == 0 && value.size() <= ScanMemo::kMaxValue;
    ScanMemo::Entry* e = nullptr;
    std::uint64_t h = 0;
    if (memo) {
      if (m.entries.empty()) m.entries.resize(ScanMemo::kSlots);
      h = util::hash64_fast(value);
      e = &m.entries[h % ScanMemo::kSlots];
      if (++m.lookups == 1024) {  // a window's verdict: keep going, or rest for 16 windows
        if (m.hits < m.lookups / 4) m.skip = 16 * 1024;
        m.lookups = m.hits = 0;
      }
      if (e->used && e->hash == h && e->value == value) {
        ++m.hits;
        for (const std::uint32_t lit : e->literals)
          for (const Tag t : s.rules[lit]) add_indexed(t);
        return true;
      }
    } else if (m.skip > 0) {
      --m.skip;
    }
    if (e != nullptr) {  // the entry becomes this value's, the literals written as found
      e->used = true;
      e->hash = h;
      e->value.assign(value);
      e->literals.clear();
    }
    const std::uint64_t scan = ++s.scans;
    s.automaton.scan(value, [&](std::uint32_t lit) {
      if (s.seen[lit] == scan) return;  // a literal that occurs again
      s.seen[lit] = scan;
      if (e != nullptr) e->literals.push_back(lit);
      for (const Tag t : s.rules[lit]) add_indexed(t);
    });
    return true;
  }
  if (!s.set) return false;
  if (insensitive) value = ctx.folded_field_value(value);
  const auto* set = static_cast<const RE2::Set*>(s.set.get());
  s.hits.clear();
  RE2::Set::ErrorInfo err{};
  if (!set->Match(value, &s.hits, &err)) return err.kind == RE2::Set::kNoError;
  for (int h : s.hits)
    for (const Tag t : s.rules[static_cast<std::size_t>(h)]) add_indexed(t);
  return true;
}

}  // namespace eqlpp::runtime
