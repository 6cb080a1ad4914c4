// SPDX-License-Identifier: Apache-2.0
// Precompiled matchers: wildcard sets, in-sets, regexes, CIDR blocks.
// All are immutable after construction and safe to share across threads.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eqlpp/event.hpp"
#include "util/ascii.hpp"
#include "util/flat_string_map.hpp"
#include "util/hash.hpp"

namespace re2 {
class RE2;
}  // namespace re2

namespace eqlpp::compiler {

// ASCII-only lower-casing (util/ascii.hpp), exactly Elasticsearch's
// case-insensitive folding for term, wildcard and prefix queries (code
// points > 127 are unchanged).
using util::ascii_fold;
using util::ascii_iequals;

/// The hash of the string sets and tables looked up per event (XXH3: about
/// twice as fast as std::hash on the tens of bytes of a field value).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return util::hash64_fast(s); }
};

/// Appends `s` to a structural key, length first, so that no two sequences
/// of strings give the same key.
inline void key_append(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}
/// Appends the strings of `items`, sorted (a set's members in any order give one key).
template <class Range>
void key_append_sorted(std::string& out, const Range& items) {
  std::vector<std::string_view> v(items.begin(), items.end());
  std::sort(v.begin(), v.end());
  out += std::to_string(v.size());
  out += '[';
  for (std::string_view x : v) key_append(out, x);
  out += ']';
}

/// One glob pattern: `*` any run of characters, `?` exactly one character
/// (a UTF-8 code point); everything else literal, backslash included.
class Glob {
 public:
  explicit Glob(std::string pattern);
  [[nodiscard]] bool match(std::string_view s) const noexcept;
  /// Whether the pattern begins or ends with a literal, so that most values
  /// are rejected by comparing a few bytes at a fixed place.
  [[nodiscard]] bool anchored() const noexcept { return !prefix_.empty() || !suffix_.empty(); }
  [[nodiscard]] const std::string& pattern() const noexcept { return pattern_; }

 private:
  [[gnu::noinline]] bool match_after_affixes(std::string_view s) const noexcept;

  std::string pattern_;
  std::string prefix_, suffix_;  // quick-reject literals ("" when none)
  std::size_t lead_any_ = 0;     // '?'s before prefix_
  std::uint32_t head_ = 0;       // prefix_'s first four bytes, when it has four
  // A pattern whose only wildcards after its leading '?'s are '*'s
  // (`?:\\Users\\*\\AppData\\*.exe`): on an ASCII value, where every byte is
  // a code point, it matches when prefix_ and suffix_ do and the literals
  // between its '*'s (`middle_`) are found in order between them, each at
  // its leftmost place; no backtracking.
  bool star_only_ = false;
  std::vector<std::string> middle_;
};

/// A list of wildcard patterns: exact values in a hash set; `lit*` and
/// `*lit` by comparison (by length in hash sets for long lists); globs that
/// begin or end with a literal by linear-time glob matching after a
/// quick reject; `*lit*` and globs that do neither by search, or one
/// RE2::Set when there are more than kLinearSearches of them.
class WildcardSet {
 public:
  WildcardSet(const std::vector<std::string>& patterns, bool insensitive);
  ~WildcardSet();
  WildcardSet(const WildcardSet&) = delete;
  WildcardSet& operator=(const WildcardSet&) = delete;
  /// `value` must already be folded when the set is insensitive.
  [[nodiscard]] bool match(std::string_view value) const;
  [[nodiscard]] std::string describe() const;
  /// True when every pattern is a plain value (no wildcard): match() is then
  /// exactly membership in exact_values() (folded when insensitive).
  [[nodiscard]] bool exact_only() const noexcept {
    return prefixes_.empty() && suffixes_.empty() && contains_.empty() && globs_.empty() &&
           unanchored_.empty();
  }
  [[nodiscard]] std::vector<std::string_view> exact_values() const { return exact_.keys(); }
  [[nodiscard]] bool insensitive() const noexcept { return insensitive_; }
  /// For the rule index: one literal every value matching a pattern must
  /// contain (folded when insensitive), per pattern: its longest run without
  /// `*` or `?`. Empty when some pattern has none ("*", "?*"): then any
  /// value may match.
  [[nodiscard]] std::vector<std::string> required_fragments() const;
  /// Appends what decides match() (the folding and the patterns as
  /// matched, sorted): equal keys, equal sets (compile/shared_leaves.hpp).
  void append_key(std::string& out) const;

 private:
  static constexpr std::size_t kLinearAffixes = 8;    // more: grouped by length
  static constexpr std::size_t kLinearSearches = 16;  // more: one RE2::Set
  static constexpr std::size_t kSetMinValue = 256;    // shorter values: searched one by one
  struct AffixGroup {
    std::size_t length = 0;
    util::FlatStringSet set;
  };
  static bool match_affix(std::string_view v, const std::vector<std::string>& affixes,
                          const std::vector<AffixGroup>& groups, bool at_end);
  bool insensitive_;
  std::vector<std::string> patterns_;  // as matched (folded when insensitive)
  std::size_t total_ = 0;
  util::FlatStringSet exact_;
  std::vector<std::string> prefixes_, suffixes_, contains_;
  std::vector<AffixGroup> prefix_groups_, suffix_groups_;  // empty: matched one by one
  std::vector<Glob> globs_;                                // anchored()
  std::vector<Glob> unanchored_;                           // searched: `*a*b*`
  struct SetHolder;
  std::unique_ptr<SetHolder> set_;
};

/// Lucene regular expressions (Elasticsearch's `regex`), translated to RE2
/// and anchored to the whole value.
class RegexSet {
 public:
  RegexSet();
  ~RegexSet();
  RegexSet(const RegexSet&) = delete;
  RegexSet& operator=(const RegexSet&) = delete;
  /// Adds a pattern; on failure returns false and sets `error`.
  bool add(const std::string& lucene, bool insensitive, std::string& error);
  [[nodiscard]] bool match(std::string_view value) const;
  /// Literals one of which every matching value contains, in lower case,
  /// for a search of the ASCII-folded value (the rule index's substring
  /// keys): the atoms of RE2's prefilter (re2::FilteredRE2) of each
  /// pattern, of at least kMinFragment bytes. Empty when some pattern has
  /// none (`.*`, or only shorter ones), or a pattern is not ASCII (RE2
  /// lower-cases atoms by Unicode, the folded value is folded by ASCII).
  [[nodiscard]] std::vector<std::string> required_fragments() const;
  static constexpr int kMinFragment = 3;
  [[nodiscard]] std::string describe() const;
  /// Appends what decides match() (the RE2 patterns, sorted).
  void append_key(std::string& out) const;

 private:
  std::vector<std::unique_ptr<re2::RE2>> res_;
  std::vector<std::string> source_, re2_text_;
  // Per pattern: its prefilter's atoms (computed once, at add()), or
  // nothing when it has none.
  std::vector<std::optional<std::vector<std::string>>> atoms_;
};

/// Translates Lucene regexp syntax (all optional operators enabled, as
/// Elasticsearch's regexp query does) to an RE2 pattern. Returns false with
/// a message for what RE2 cannot express (complement `~`, intersection `&`).
bool lucene_to_re2(std::string_view lucene, bool insensitive, std::string& out, std::string& error);

/// Membership for `in` / `in~`: strings (folded when insensitive), numbers, booleans.
class InSet {
 public:
  explicit InSet(bool insensitive) : insensitive_(insensitive) {}
  void add(const Value& v);
  /// `v` strings must already be folded when insensitive.
  [[nodiscard]] bool contains(const Value& v) const;
  [[nodiscard]] std::size_t size() const noexcept {
    return strings_.size() + numbers_.size() + bools_;
  }
  /// Every string a string value can equal to be contained (folded when
  /// insensitive): the string members and the text of the numeric members.
  [[nodiscard]] std::vector<std::string> string_keys() const {
    std::vector<std::string> out;
    for (std::string_view k : strings_.keys()) out.emplace_back(k);
    for (std::string_view k : number_texts_.keys()) out.emplace_back(k);
    return out;
  }
  [[nodiscard]] bool insensitive() const noexcept { return insensitive_; }
  /// Appends what decides contains() (the members, sorted).
  void append_key(std::string& out) const;

 private:
  bool insensitive_;
  util::FlatStringSet strings_;
  util::FlatStringSet number_texts_;    // text of numeric members, for string values
  std::vector<double> numbers_;         // sorted
  std::vector<double> string_numbers_;  // numeric string members, for numeric values (sorted)
  bool has_true_ = false, has_false_ = false;
  std::size_t bools_ = 0;
};

/// IPv4 and IPv6 networks for cidrMatch, parsed once.
class CidrSet {
 public:
  bool add(std::string_view cidr);
  /// Whether `ip` (an IPv4 or IPv6 address) is in one of the networks. An
  /// IPv4-mapped IPv6 address (::ffff:a.b.c.d) is also tested against the
  /// IPv4 networks; an IPv4 address is not tested against IPv6 networks.
  [[nodiscard]] bool contains(std::string_view ip) const;

 private:
  // IPv4 networks as a masked address and its mask (one compare each);
  // IPv6 networks as bytes and a prefix length.
  struct Net4 {
    std::uint32_t addr = 0, mask = 0;
  };
  struct Net6 {
    std::array<std::uint8_t, 16> addr{};
    int bits = 0;
  };
  [[nodiscard]] bool contains4(std::uint32_t a) const noexcept;
  std::vector<Net4> nets4_;
  std::vector<Net6> nets6_;
};

/// Parses a textual IPv4/IPv6 address into 16 bytes (IPv4 in the first 4).
bool parse_ip(std::string_view s, std::array<std::uint8_t, 16>& out, bool& v6);

/// An address or CIDR block as the first and last address it names, in the
/// 16 bytes of Elasticsearch's ip field (IPv4 as IPv4-mapped IPv6).
bool parse_ip_range(std::string_view text, std::array<std::uint8_t, 16>& lo,
                    std::array<std::uint8_t, 16>& hi);
/// An event's address in those 16 bytes; false when it is not an address.
bool event_ip(std::string_view text, std::array<std::uint8_t, 16>& out);

}  // namespace eqlpp::compiler
