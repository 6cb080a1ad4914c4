// SPDX-License-Identifier: Apache-2.0
// Wildcard sets (`:`, `like`): exact values, prefixes, suffixes, infixes and globs
// (compile/matchers.hpp).
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "compile/matchers.hpp"
#include "util/utf8.hpp"

namespace eqlpp::compiler {

namespace {

bool has_wild(std::string_view s) { return s.find_first_of("*?") != std::string_view::npos; }

std::string glob_to_re2(std::string_view p) {
  std::string out = "(?s)";
  std::string lit;
  auto flush = [&] {
    if (!lit.empty()) out += RE2::QuoteMeta(lit);
    lit.clear();
  };
  for (char c : p) {
    if (c == '*') {
      flush();
      out += ".*";
    } else if (c == '?') {
      flush();
      out += ".";
    } else {
      lit += c;
    }
  }
  flush();
  return out;
}

}  // namespace

// The RE2::Set of a large list, compiled when the list is first matched: a
// rule set holds hundreds of such lists, most of which a stream never
// reaches past the rule index and the literal prefilter, and compiling them
// was a fifth of loading all of Elastic's rules (bench/README.md). Matching
// may run on several threads at once (rules are shared between engines):
// std::call_once makes the first caller compile and the others wait.
struct WildcardSet::SetHolder {
  explicit SetHolder(std::vector<std::string> g) : globs(std::move(g)) {}
  // The set, or null when RE2 cannot compile it (the linear matchers serve).
  const RE2::Set* get() {
    std::call_once(once, [this] {
      RE2::Options o;
      o.set_log_errors(false);
      o.set_max_mem(64 << 20);
      auto s = std::make_unique<RE2::Set>(o, RE2::ANCHOR_BOTH);
      bool ok = true;
      for (const auto& g : globs) ok = ok && s->Add(glob_to_re2(g), nullptr) >= 0;
      if (ok && s->Compile()) set = std::move(s);
      std::vector<std::string>().swap(globs);
    });
    return set.get();
  }
  std::once_flag once;
  std::vector<std::string> globs;  // until compiled
  std::unique_ptr<RE2::Set> set;
};

Glob::Glob(std::string pattern) : pattern_(std::move(pattern)) {
  // Quick rejects for the common `?:\\dir\\*\\name.exe` and
  // `?:\\Windows\\System32\\name.exe` shapes: the literal after the last
  // wildcard must end the value, and the literal between the leading '?'s and
  // the next wildcard must come right after that many code points. (A
  // pattern here has a wildcard: one without is an exact value.)
  const std::string_view p = pattern_;
  while (lead_any_ < p.size() && p[lead_any_] == '?') ++lead_any_;
  const std::size_t next = p.find_first_of("*?", lead_any_);
  prefix_ =
      std::string(p.substr(lead_any_, next == std::string_view::npos ? p.npos : next - lead_any_));
  const std::size_t last = p.find_last_of("*?");
  if (last != std::string_view::npos) suffix_ = std::string(p.substr(last + 1));
  if (prefix_.size() >= 4) std::memcpy(&head_, prefix_.data(), 4);
  const std::size_t first_star = p.find('*', lead_any_);
  star_only_ = first_star != std::string_view::npos && p.find('?', lead_any_) == p.npos;
  if (star_only_) {
    // The literals between the first '*' and the last (empty ones: "**").
    for (std::size_t at = first_star + 1; at < last;) {
      const std::size_t star = p.find('*', at);
      if (star > at) middle_.emplace_back(p.substr(at, star - at));
      at = star + 1;
    }
  }
}

namespace {

// Whether n bytes at a and b are equal: inline, eight and four bytes at a
// time (the literals compared here are short, and most differ early; a call
// to memcmp costs more than the comparison).
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (; n >= 8; a += 8, b += 8, n -= 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y) return false;
  }
  if (n >= 4) {
    std::uint32_t x, y;
    std::memcpy(&x, a, 4);
    std::memcpy(&y, b, 4);
    if (x != y) return false;
    a += 4;
    b += 4;
    n -= 4;
  }
  for (; n > 0; --n)
    if (*a++ != *b++) return false;
  return true;
}

}  // namespace

bool Glob::match(std::string_view s) const noexcept {
  // The prefix first (its first four bytes, then the rest): in a list of
  // `?:\\dir\\*.exe` patterns most values differ from most patterns early.
  if (!prefix_.empty()) {
    std::size_t at = 0;
    for (std::size_t q = 0; q < lead_any_ && at < s.size(); ++q)
      at += util::utf8_sequence_length(static_cast<unsigned char>(s[at]));
    if (at > s.size() || s.size() - at < prefix_.size()) return false;
    if (prefix_.size() >= 4) {
      std::uint32_t head;
      std::memcpy(&head, s.data() + at, 4);
      if (head != head_) return false;
    }
    if (!same_bytes(s.data() + at, prefix_.data(), prefix_.size())) return false;
  }
  if (!suffix_.empty() &&
      (s.size() < suffix_.size() ||
       !same_bytes(s.data() + s.size() - suffix_.size(), suffix_.data(), suffix_.size())))
    return false;
  return match_after_affixes(s);
}

// Out of line: most values are rejected above, and that path stays short
// (inlined here, the matching below made the rejects cost ten instructions
// more each).
bool Glob::match_after_affixes(std::string_view s) const noexcept {
  if (star_only_ && util::is_ascii(s)) {
    // prefix_ right after the leading '?'s (one byte each here), suffix_ at
    // the end (both checked above when not empty), not overlapping, and the
    // middle literals in order between them.
    std::size_t pos = lead_any_ + prefix_.size();
    if (s.size() < pos + suffix_.size()) return false;
    const std::size_t end = s.size() - suffix_.size();
    for (const std::string& m : middle_) {
      const std::size_t f = s.find(m, pos);
      if (f == std::string_view::npos || f + m.size() > end) return false;
      pos = f + m.size();
    }
    return true;
  }
  const std::string& p = pattern_;
  std::size_t pi = 0, si = 0, star = std::string::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '?') {
      si += util::utf8_sequence_length(static_cast<unsigned char>(s[si]));
      ++pi;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi;
      ++si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      mark += util::utf8_sequence_length(static_cast<unsigned char>(s[mark]));
      si = mark;
    } else {
      return false;
    }
  }
  if (si > s.size()) return false;  // a '?' consumed a truncated code point
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

WildcardSet::WildcardSet(const std::vector<std::string>& patterns, bool insensitive)
    : insensitive_(insensitive), total_(patterns.size()) {
  std::vector<std::string> general;
  for (const auto& raw : patterns) {
    std::string p = insensitive ? ascii_fold(raw) : raw;
    patterns_.push_back(p);
    if (!has_wild(p)) {
      exact_.insert(p);
      continue;
    }
    std::size_t n = p.size();
    bool lead = p[0] == '*', trail = n > 1 && p[n - 1] == '*';
    std::string_view mid(p);
    if (lead) mid.remove_prefix(1);
    if (trail && !mid.empty()) mid.remove_suffix(1);
    if (!has_wild(mid)) {
      if (mid.empty()) {
        contains_.emplace_back();  // "*" or "**": matches everything
      } else if (lead && trail) {
        contains_.emplace_back(mid);
      } else if (lead) {
        suffixes_.emplace_back(mid);
      } else {
        prefixes_.emplace_back(mid);
      }
      continue;
    }
    general.push_back(std::move(p));
  }
  for (auto& g : general) {
    Glob glob(std::move(g));
    (glob.anchored() ? globs_ : unanchored_).push_back(std::move(glob));
  }
  // Prefixes and suffixes by length: one hash lookup per length a list has,
  // not one comparison per pattern (a list may have a hundred `*.domain`).
  auto by_length = [](const std::vector<std::string>& affixes, std::vector<AffixGroup>& out) {
    if (affixes.size() <= kLinearAffixes) return;
    for (const auto& a : affixes) {
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const AffixGroup& g) { return g.length == a.size(); });
      if (it == out.end()) it = out.insert(out.end(), AffixGroup{a.size(), {}});
      it->set.insert(a);
    }
  };
  by_length(prefixes_, prefix_groups_);
  by_length(suffixes_, suffix_groups_);
  // Patterns that must be searched for anywhere in a value (`*lit*`, and
  // globs that neither begin nor end with a literal): many of them are one
  // RE2::Set, one pass over the value (compiled at the first match). The
  // other shapes stay linear, each rejected by a literal at a fixed place.
  // The linear lists stay as the fallback should RE2 fail to compile the
  // set or its DFA run out of memory.
  if (contains_.size() + unanchored_.size() > kLinearSearches) {
    std::vector<std::string> globs;
    for (const auto& c : contains_) globs.push_back("*" + c + "*");
    for (const auto& g : unanchored_) globs.push_back(g.pattern());
    set_ = std::make_unique<SetHolder>(std::move(globs));
  }
}

WildcardSet::~WildcardSet() = default;

// Whether `v` begins (or, `at_end`, ends) with one of `affixes`: compared
// one by one, or looked up by length when they are grouped.
bool WildcardSet::match_affix(std::string_view v, const std::vector<std::string>& affixes,
                              const std::vector<AffixGroup>& groups, bool at_end) {
  auto part = [&](std::size_t n) { return at_end ? v.substr(v.size() - n) : v.substr(0, n); };
  if (groups.empty()) {
    for (const auto& a : affixes)
      if (v.size() >= a.size() && same_bytes(part(a.size()).data(), a.data(), a.size()))
        return true;
    return false;
  }
  for (const auto& g : groups)
    if (v.size() >= g.length && g.set.contains(part(g.length))) return true;
  return false;
}

bool WildcardSet::match(std::string_view v) const {
  if (!exact_.empty() && exact_.contains(v)) return true;
  if (match_affix(v, prefixes_, prefix_groups_, false) ||
      match_affix(v, suffixes_, suffix_groups_, true))
    return true;
  for (const auto& g : globs_)
    if (g.match(v)) return true;
  if (const RE2::Set* set = set_ && v.size() >= kSetMinValue ? set_->get() : nullptr) {
    RE2::Set::ErrorInfo info{};
    std::vector<int>* none = nullptr;
    if (set->Match(re2::StringPiece(v.data(), v.size()), none, &info)) return true;
    if (info.kind == RE2::Set::kNoError || info.kind == RE2::Set::kInconsistent) return false;
    // The DFA ran out of memory: fall back to the linear matchers below.
  }
  for (const auto& c : contains_)
    if (v.find(c) != std::string_view::npos) return true;
  for (const auto& g : unanchored_)
    if (g.match(v)) return true;
  return false;
}

std::string WildcardSet::describe() const {
  std::string out = "wildcard-set";
  out += insensitive_ ? "~" : "";
  out += "(" + std::to_string(total_) + " patterns: " + std::to_string(exact_.size()) + " exact, " +
         std::to_string(prefixes_.size()) + " prefix, " + std::to_string(suffixes_.size()) +
         " suffix, " + std::to_string(contains_.size()) + " contains, ";
  out += std::to_string(globs_.size() + unanchored_.size()) + " glob";
  if (set_)
    out += "; re2-set for the " + std::to_string(contains_.size() + unanchored_.size()) +
           " searched anywhere";
  out += ")";
  return out;
}

void WildcardSet::append_key(std::string& out) const {
  out += insensitive_ ? "wild~" : "wild";
  key_append_sorted(out, patterns_);
}

std::vector<std::string> WildcardSet::required_fragments() const {
  std::vector<std::string> out;
  for (const auto& p : patterns_) {
    std::string_view best;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= p.size(); ++i) {
      if (i < p.size() && p[i] != '*' && p[i] != '?') continue;
      if (i - start > best.size()) best = std::string_view(p).substr(start, i - start);
      start = i + 1;
    }
    if (best.empty()) return {};
    out.emplace_back(best);
  }
  return out;
}

}  // namespace eqlpp::compiler
