// SPDX-License-Identifier: Apache-2.0
// Which rules an event can touch: rules selected by the values of a field
// (the rule index, compile/index_keys.hpp), by event category, or always
// (an `any` stage, or another category field). A sequence's continuation
// stages are selected that way only while the rule holds a join key's state
// (CompiledRule::gated): until then, only its entry stages can act. Results
// are identical to evaluating every rule on every event; only the work differs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "compile/field_table.hpp"
#include "compile/plan.hpp"
#include "runtime/eval.hpp"
#include "runtime/matcher.hpp"
#include "util/aho_corasick.hpp"
#include "util/flat_string_map.hpp"

namespace eqlpp::runtime {

/// Whether some stage of `plan` (until included) takes events of every
/// category: an `any` stage, or a rule whose category field is not the
/// engine's `category_field`.
bool reads_every_category(const detail::CompiledRule& plan, std::string_view category_field);

class Dispatcher {
 public:
  enum class Selection : std::uint8_t { kIndex, kCategory, kAlways };

  /// `category_field` is the engine's event.category field; `use_index`
  /// is EngineOptions::index_rules.
  Dispatcher(FieldId category_field, std::string category_field_name, bool use_index)
      : cat_field_(category_field),
        cat_name_(std::move(category_field_name)),
        use_index_(use_index) {}

  /// Registers rule `rule` (the rules' index, in the order added) with its
  /// plan, its slot map, the categories its stages read and its matcher
  /// (asked whether it holds state, for a gated sequence). How its entry
  /// stages are selected is returned.
  Selection add(std::uint32_t rule, const detail::CompiledRule& plan, std::span<const FieldId> map,
                const std::vector<std::string>& categories, const Matcher* matcher = nullptr);

  /// Registers one filter as number `idx`: selected by `keys` when
  /// `indexed` (and the index is on), else by `category` ("" or
  /// `every_category`: every event). The engine's lineage sub-queries are
  /// dispatched this way, by a Dispatcher of their own.
  Selection add_filter(std::uint32_t idx, bool indexed, const std::vector<compiler::IndexKey>& keys,
                       std::span<const FieldId> map, const std::string& category,
                       bool every_category);

  /// The rules `r` can match, each once, in the order they were added.
  const std::vector<std::uint32_t>& select(const Record& r, EvalCtx& ctx);
  /// Whether `rule` was among the last select()'s rules.
  [[nodiscard]] bool selected(std::uint32_t rule) const noexcept {
    return visited_[rule] == epoch_;
  }
  /// For a rule the last select() returned: the stages (compiler::stage_bit)
  /// the event may match. A stage whose every index key the event lacks is
  /// left out, and so is one that lacks every key of its second group
  /// (IndexKey::second); a rule selected by category has every bit.
  [[nodiscard]] std::uint32_t stages(std::uint32_t rule) const noexcept { return stages_[rule]; }

 private:
  static constexpr std::uint32_t kAllStages = ~std::uint32_t{0};
  // The stages of rule `i` the event may match, as far as second groups
  // tell: those it has a second-group key of, and those without a second group.
  [[nodiscard]] std::uint32_t confirmed(std::uint32_t i) const {
    return (second_seen_[i] == epoch_ ? second_[i] : 0) | ~has_second_[i];
  }
  // A candidate is a bit (rules in the order added, so the bits read in
  // order need no sort), a visit stamp (selected()) and its stages.
  void add_candidate(std::uint32_t i, std::uint32_t stages = kAllStages) {
    if (visited_[i] == epoch_) {
      stages_[i] |= stages;
      return;
    }
    visited_[i] = epoch_;
    stages_[i] = stages;
    chosen_[i >> 6] |= std::uint64_t{1} << (i & 63);
  }
  // Index entries and lists hold rule numbers; kGated marks a gated rule's
  // continuation, a candidate only while the rule holds state; kSecond a
  // key of a second group, which confirms stages but selects no rule.
  static constexpr std::uint32_t kGated = std::uint32_t{1} << 31;
  static constexpr std::uint32_t kSecond = std::uint32_t{1} << 30;
  // A rule number (kGated included) and the stages its key serves.
  struct Tag {
    std::uint32_t rule;
    std::uint32_t stages;
  };
  using TagList = std::vector<Tag>;
  // An index hit: the rule also needs one of its stages' categories (its
  // filters test them), so an event of another category is not its candidate.
  void add_indexed(Tag t) {
    if ((t.rule & kSecond) != 0) {
      const std::uint32_t i = t.rule & ~(kGated | kSecond);
      if (second_seen_[i] != epoch_) {
        second_seen_[i] = epoch_;
        second_[i] = 0;
      }
      second_[i] |= t.stages;
      return;
    }
    if ((t.rule & kGated) != 0) {
      add_gated(t.rule & ~kGated, t.stages);
      return;
    }
    if ((category_mask_[t.rule] & event_mask_) != 0) add_candidate(t.rule, t.stages);
  }
  void add_gated(std::uint32_t i, std::uint32_t stages = kAllStages) {
    if ((continuation_mask_[i] & event_mask_) == 0) return;
    if (visited_[i] == epoch_) {  // a candidate already: its state needs no second look
      stages_[i] |= stages;
      return;
    }
    if (gate_[i]->holds_keys()) add_candidate(i, stages);
  }
  // The categories rule number `tag` (kGated included) is a candidate for.
  [[nodiscard]] std::uint64_t mask_of_tag(std::uint32_t tag) const {
    return (tag & kGated) != 0 ? continuation_mask_[tag & ~kGated] : category_mask_[tag];
  }
  // Makes room for number `idx`.
  void grow(std::uint32_t idx);
  // Registers key `k` of rule number `t` (kGated, kSecond included) for
  // `stages`, on field `f`, its rule reading categories `mask`.
  void register_key(std::uint32_t t, const compiler::IndexKey& k, std::uint32_t stages, FieldId f,
                    std::uint64_t mask);
  // Registers the pending second groups that cost no new scan (add_keys).
  void confirm_seconds();
  // A key's table: exact, folded, substrings, folded substrings.
  static std::size_t kind_of(const compiler::IndexKey& k) {
    if (k.present) return 4;
    return (k.substring ? std::size_t{2} : 0) + (k.insensitive ? std::size_t{1} : 0);
  }
  // Registers `keys` (rule number `tag`, kGated included) in the field index.
  void add_keys(std::uint32_t tag, const std::vector<compiler::IndexKey>& keys,
                std::span<const FieldId> map);
  // The category bits of `categories` (none of them "", an `any` stage).
  std::uint64_t mask_of(const std::vector<std::string>& categories);
  // The bit of category `c` in the masks (the last bit stands for every
  // category past the first 63: a rule reading one is given every event).
  std::uint64_t category_bit(const std::string& c);
  // What the automaton found in recent values, by value: a direct-mapped
  // cache of kSlots values (up to kMaxValue bytes each) and their literals,
  // compared whole before it is used, so a value seen again costs a hash
  // and a compare instead of a scan. It turns itself off for a while when
  // fewer than one value in four is a repeat (file paths rarely are).
  struct ScanMemo {
    static constexpr std::size_t kSlots = 128, kMaxValue = 256;
    struct Entry {
      std::uint64_t hash = 0;
      std::string value;
      std::vector<std::uint32_t> literals;
      bool used = false;
    };
    std::vector<Entry> entries;  // kSlots once used
    std::uint32_t lookups = 0, hits = 0;
    std::uint32_t skip = 0;  // scans left before it is tried again
  };
  struct Substrings {
    std::uint64_t mask = 0;  // the categories its rules read: an event of none skips the scan
    std::vector<std::string> literals;
    std::vector<TagList> rules;  // per literal
    // The literals' automaton (util/aho_corasick.hpp); for sets too large
    // for it, an RE2::Set (dispatcher.cpp) instead.
    util::AhoCorasick automaton;
    bool use_automaton = false;
    std::vector<std::uint64_t> seen;  // per literal: the scan that last reported it
    std::uint64_t scans = 0;
    std::shared_ptr<const void> set;
    bool built = false;
    std::vector<int> hits;  // scratch
    // The literals found in recent values (ScanMemo): a field's values
    // repeat from event to event (an executable, its command line).
    ScanMemo memo;
  };
  // Adds the rules whose literals occur in `value` (ASCII-folded first when
  // `insensitive`: the automaton ignores case itself); false if the scan
  // failed (no matcher could be built): the caller takes every rule.
  bool scan(Substrings& s, std::string_view value, bool insensitive, EvalCtx& ctx);
  struct FieldIndex {
    FieldId field;
    using Table = util::FlatStringMap<TagList>;
    Table exact, folded;                            // value (folded) -> rules needing it
    std::uint64_t exact_mask = 0, folded_mask = 0;  // their rules' categories, as Substrings::mask
    TagList rules;                                  // every rule with a key on this field
    TagList present;                 // rules needing the field to have a value (IndexKey::present)
    std::uint64_t present_mask = 0;  // their categories
    // First-group keys per table (kind_of): a second group's key is taken
    // only on a table some first group uses.
    std::uint32_t first_keys[5] = {0, 0, 0, 0, 0};
    // Substring keys: literals a value must contain, [0] as written, [1]
    // folded (ASCII); the rules needing each; one RE2::Set per kind scans a value
    // for all of them at once (built at the first select()).
    Substrings substrings[2];
  };

  FieldId cat_field_;
  std::string cat_name_;
  bool use_index_;
  // Per category (one lookup per event category): its bit in the masks
  // below (0 until an indexed rule reads it), the rules selected by it, and
  // the gated continuations without keys selected by it.
  struct Category {
    std::uint64_t bit = 0;
    std::vector<std::uint32_t> rules, gated;
  };
  std::unordered_map<std::string, Category, compiler::StringHash, std::equal_to<>> categories_;
  std::size_t category_bits_ = 0;  // bits given out
  std::vector<std::uint32_t> always_;
  std::vector<FieldIndex> field_index_;
  static constexpr std::uint32_t kNoIndex = 0xFFFFFFFFu;
  std::vector<std::uint32_t> position_;  // FieldId -> its field_index_ entry, or kNoIndex
  // Categories as bits: each indexed rule's stages' categories (all bits
  // for a rule with an `any` stage or another category field), and the
  // event's (computed in select()).
  std::vector<std::uint64_t> category_mask_;      // entry stages (every stage if not gated)
  std::vector<std::uint64_t> continuation_mask_;  // a gated rule's continuation stages
  std::vector<const Matcher*> gate_;              // a gated rule's matcher, else null
  std::vector<std::uint32_t> gated_always_;       // continuations with an `any` stage
  std::uint64_t event_mask_ = 0;
  std::vector<std::uint32_t> candidates_;
  std::vector<std::uint64_t> chosen_;  // this select()'s candidates as bits (cleared as read)
  std::vector<std::uint64_t> visited_;
  std::vector<std::uint32_t> stages_;  // per candidate rule: stages()
  // Second groups: per rule, the stages that have one, and this select()'s
  // stages with a second-group key (valid when second_seen_ is the epoch).
  std::vector<std::uint32_t> has_second_, second_;
  std::vector<std::uint64_t> second_seen_;
  // Second groups not registered yet, by rule number (kGated included):
  // the stages still undecided, and the keys and their fields.
  struct PendingSecond {
    std::uint32_t tag;
    std::uint32_t open;
    std::vector<compiler::IndexKey> keys;
    std::vector<FieldId> fields;
  };
  std::vector<PendingSecond> pending_second_;
  bool seconds_dirty_ = false;
  std::uint64_t epoch_ = 0;
};

}  // namespace eqlpp::runtime
