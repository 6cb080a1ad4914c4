// SPDX-License-Identifier: Apache-2.0
#include "compile/index_keys.hpp"

#include <algorithm>

namespace eqlpp::compiler {
namespace {

// The key of a leaf condition by its values, when it has one: an event none
// of whose values of that field is listed cannot satisfy it.
bool value_key(const PNode& p, IndexKey& out) {
  using K = PNode::Kind;
  switch (p.kind) {
    case K::kIn:  // a string value v is in the set iff (folded) v is a string key
      out = {p.slot, p.in->insensitive(), false, p.in->string_keys()};
      return true;
    case K::kWildcard:
      if (p.wild->exact_only()) {  // only plain values: then matching is set membership
        const std::vector<std::string_view> values = p.wild->exact_values();
        out = {p.slot, p.wild->insensitive(), false,
               std::vector<std::string>(values.begin(), values.end())};
        return true;
      }
      // Patterns: a matching value contains each pattern's longest literal run.
      out = {p.slot, p.wild->insensitive(), true, p.wild->required_fragments()};
      return !out.values.empty();
    case K::kRegex:  // a match contains one of the prefilter's literals, in some case
      out = {p.slot, true, true, p.regex->required_fragments()};
      return !out.values.empty();
    case K::kCompare:  // `==` on strings is byte equality
      if (p.cmp != CmpOp::kEq || !p.c.value.is_string()) return false;
      out = {p.slot, false, false, {std::string(p.c.value.as_string())}};
      return true;
    default: return false;
  }
}

// The key of a leaf condition on a field: by its values, else the field's
// presence, for the leaves that test each of the field's values and are
// false when it has none (runtime/eval.cpp, any_operand). `field != v` is a
// `not` (true on a missing field) and `field == null` a kIsNull: neither is
// a leaf here.
bool leaf_key(const PNode& p, IndexKey& out) {
  using K = PNode::Kind;
  if (!p.operand_is_field) return false;
  if (value_key(p, out)) return true;
  switch (p.kind) {
    case K::kCompare:
    case K::kIn:
    case K::kWildcard:
    case K::kRegex:
    case K::kTruthy:
    case K::kDate:
    case K::kIp:
    case K::kVersion:
      out = IndexKey{};
      out.slot = p.slot;
      out.present = true;
      return true;
    default: return false;
  }
}

}  // namespace

// Fields whose values most events of a stream share (host.os.type is
// "windows" on every Windows host, event.type is "start" on half of them): a
// key on such a field prunes little, so it is the very last resort, taken
// only when no conjunct of any other field has one. It still pays there:
// the dispatcher also requires the rule's category, so a rule keyed by
// `event.type == "end"` skips the process starts, one keyed by
// `host.os.type == "linux"` the Windows events (all rules over a 20,000-event
// mixed stream: 44.7 -> 39.0 rule evaluations per event, bench/README.md).
// Among them the earlier field in this list is taken (event.type's rarer
// values, "end", "deletion", select more than "windows" does). This list
// and the next are the one place that says which ECS fields those are;
// extend them here.
constexpr std::string_view kSharedFields[] = {
    "event.type",     "event.outcome",  "network.direction", "network.transport",
    "host.os.type",   "host.os.family", "host.os.name",      "host.os.platform",
    "event.category", "event.kind",     "agent.type",        "data_stream.namespace"};

// Fields with a few dozen values per stream (event.action, event.dataset):
// a key of last resort. An `and` prefers any other conjunct, but a rule with
// no better key is selected by one of these, and the dispatcher still
// requires the event's category (a rule needing event.dataset ==
// "aws.cloudtrail" is not evaluated on an Endpoint stream at all).
constexpr std::string_view kLowCardinalityFields[] = {
    "event.action",   "event.dataset", "event.module",     "event.provider", "data_stream.dataset",
    "winlog.channel", "user.domain",   "network.protocol", "event.code"};

// The position of `f` in kSharedFields, or its size.
std::size_t shared_rank(std::string_view f) {
  return static_cast<std::size_t>(std::find(std::begin(kSharedFields), std::end(kSharedFields), f) -
                                  std::begin(kSharedFields));
}

bool shared_by_most(std::string_view f) { return shared_rank(f) < std::size(kSharedFields); }

bool low_cardinality(std::string_view f) {
  return shared_by_most(f) ||
         std::find(std::begin(kLowCardinalityFields), std::end(kLowCardinalityFields), f) !=
             std::end(kLowCardinalityFields);
}

namespace {

// Keys of fields with few values (or shared by most events) score this much
// or more: they prune little.
constexpr double kWeakKey = 1e6;
// A field's presence scores this, after every value key (shared fields'
// included): it prunes when the field is rare (`problemchild.prediction ==
// 1`, a number), not when most events have it (`process.pid == 4`).
constexpr double kPresenceKey = 1e12;
// Keys of fields most events share score this much or more, times one
// more than the field's place in kSharedFields.
constexpr double kSharedKey = 1e9;

// A substring key with a value this short or shorter (":\\" of `?:\\*`)
// is found in most values of its field: it prunes little, like a key of a
// field with few values.
constexpr std::size_t kShortFragment = 3;

bool short_fragment(const IndexKey& key) {
  return key.substring && std::any_of(key.values.begin(), key.values.end(),
                                      [](const auto& v) { return v.size() <= kShortFragment; });
}

// Fewer values is better; a substring scan costs more than a lookup.
double key_score(const std::vector<IndexKey>& keys, const detail::CompiledRule& plan) {
  double score = 0;
  for (const auto& key : keys) {
    if (key.present) {
      score += kPresenceKey;
      continue;
    }
    score += static_cast<double>(key.values.size()) * (key.substring ? 4 : 1) +
             (key.substring ? 100 : 0) +
             (low_cardinality(plan.fields[key.slot]) || short_fragment(key) ? kWeakKey : 0) +
             (shared_by_most(plan.fields[key.slot])
                  ? kSharedKey * static_cast<double>(1 + shared_rank(plan.fields[key.slot]))
                  : 0);
  }
  return score;
}

struct Conjunct {
  std::vector<IndexKey> keys;
  double score = 0;
};

// The conjuncts of `and` node `p` that have keys, in order, and the
// position of the best (the first of the lowest score), or npos.
std::size_t conjunct_keys(const PNode& p, const detail::CompiledRule& plan,
                          std::vector<Conjunct>& out) {
  std::size_t best = std::string::npos;
  for (const auto& c : p.children) {
    Conjunct k;
    if (!node_keys(*c, plan, k.keys)) continue;
    k.score = key_score(k.keys, plan);
    if (best == std::string::npos || k.score < out[best].score) best = out.size();
    out.push_back(std::move(k));
  }
  return best;
}

// The keys of the best conjunct after `best` (conjunct_keys): a second
// group (IndexKey::second), appended to `out`. Nothing when there is none
// worth its lookups (only weak keys, or no other conjunct with keys).
void second_keys(std::vector<Conjunct>& cs, std::size_t best, std::vector<IndexKey>& out) {
  std::size_t second = std::string::npos;
  for (std::size_t i = 0; i < cs.size(); ++i)
    if (i != best && !cs[i].keys.empty() &&
        (second == std::string::npos || cs[i].score < cs[second].score))
      second = i;
  if (second == std::string::npos || (cs[second].score >= kWeakKey && cs[best].score < kSharedKey))
    return;
  for (auto& k : cs[second].keys) {
    k.second = true;
    out.push_back(std::move(k));
  }
}

}  // namespace

bool node_keys(const PNode& p, const detail::CompiledRule& plan, std::vector<IndexKey>& out) {
  using K = PNode::Kind;
  switch (p.kind) {
    case K::kFalse: return true;  // never true: needs no key
    case K::kOr:
      for (const auto& c : p.children)
        if (!node_keys(*c, plan, out)) return false;
      return true;
    case K::kAnd: {
      std::vector<Conjunct> cs;
      const std::size_t best = conjunct_keys(p, plan, cs);
      if (best == std::string::npos) return false;
      for (auto& k : cs[best].keys) out.push_back(std::move(k));
      return true;
    }
    case K::kArraySearch:
      // True for some element, whose values of a field read inside are
      // among the event's values of that field (the decoder adds every
      // element's): the condition's keys hold for the event.
      return node_keys(*p.children[0], plan, out);
    default: {
      IndexKey k;
      if (!leaf_key(p, k)) return false;
      // A stage alias's values come from an earlier event, not this one.
      for (const auto& a : plan.alias_refs)
        if (a.alias_slot == k.slot) return false;
      out.push_back(std::move(k));
      return true;
    }
  }
}

namespace {

// A filter and its stage's bit (stage_bit).
struct Filter {
  const PNode* filter;
  std::uint32_t stage;
};

// The keys of a group of filters (each must have some), and of their
// second groups, deduplicated by field and values, into `out`; false when
// a filter has none.
bool filter_keys(const std::vector<Filter>& filters, const detail::CompiledRule& plan,
                 std::vector<IndexKey>& out) {
  out.clear();
  std::vector<IndexKey> keys;
  for (const Filter& f : filters) {
    const std::size_t first = keys.size();
    if (f.filter->kind == PNode::Kind::kAnd) {
      // node_keys' choice, and the conjunct after it as a second group (the
      // conjuncts' keys found once for both). Stages from 30 on share a bit:
      // a second group there would be theirs together.
      std::vector<Conjunct> cs;
      const std::size_t best = conjunct_keys(*f.filter, plan, cs);
      if (best == std::string::npos) return false;
      for (auto& k : cs[best].keys) keys.push_back(std::move(k));
      if (f.stage != stage_bit(30)) second_keys(cs, best, keys);
    } else if (!node_keys(*f.filter, plan, keys)) {
      return false;
    }
    for (std::size_t i = first; i < keys.size(); ++i) keys[i].stages = f.stage;
  }
  for (auto& k : keys) {
    std::sort(k.values.begin(), k.values.end());  // one order, whatever the sets' hashing
    k.values.erase(std::unique(k.values.begin(), k.values.end()), k.values.end());
    auto same = [&](const IndexKey& o) {
      return o.slot == k.slot && o.insensitive == k.insensitive && o.substring == k.substring &&
             o.present == k.present && o.second == k.second && o.values == k.values;
    };
    if (auto it = std::find_if(out.begin(), out.end(), same); it != out.end())
      it->stages |= k.stages;
    else
      out.push_back(std::move(k));
  }
  return true;
}

bool group_keys(const std::vector<const StagePlan*>& group, const detail::CompiledRule& plan,
                std::vector<IndexKey>& out) {
  std::vector<Filter> filters;
  for (const StagePlan* st : group) {
    std::uint32_t bit = kUntilStageBit;
    if (!plan.until || st != &*plan.until)
      bit = stage_bit(static_cast<std::size_t>(st - plan.stages.data()));
    filters.push_back({st->filter.get(), bit});
  }
  return filter_keys(filters, plan, out);
}

void set_group(const std::vector<const StagePlan*>& group, const detail::CompiledRule& plan,
               detail::CompiledRule::StageGroup& g) {
  g.indexed = group_keys(group, plan, g.keys);
  if (!g.indexed) g.keys.clear();
  g.categories.clear();
  for (const StagePlan* st : group) g.categories.push_back(st->category);
  std::sort(g.categories.begin(), g.categories.end());
  g.categories.erase(std::unique(g.categories.begin(), g.categories.end()), g.categories.end());
}

}  // namespace

void analyse_index(detail::CompiledRule& plan) {
  std::vector<const StagePlan*> all;
  for (const auto& st : plan.stages) all.push_back(&st);
  if (plan.until) all.push_back(&*plan.until);
  plan.indexed = group_keys(all, plan, plan.index_keys);
  if (!plan.indexed) plan.index_keys.clear();
  for (auto& sub : plan.lineage) {
    sub.indexed = filter_keys({{sub.filter, ~std::uint32_t{0}}}, plan, sub.keys);
    if (!sub.indexed) sub.keys.clear();
  }

  // Entry and continuation stages of a sequence (see plan.hpp).
  plan.gated = false;
  if (plan.kind != QueryKind::kSequence) return;
  std::vector<const StagePlan*> entry, continuation;
  bool positive_seen = false;
  for (const auto& st : plan.stages) {
    (positive_seen ? continuation : entry).push_back(&st);
    if (!st.missing) positive_seen = true;
  }
  if (plan.until) continuation.push_back(&*plan.until);
  if (continuation.empty()) return;
  set_group(entry, plan, plan.entry);
  set_group(continuation, plan, plan.continuation);
  plan.gated = true;
}

}  // namespace eqlpp::compiler
