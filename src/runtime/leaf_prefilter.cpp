// SPDX-License-Identifier: Apache-2.0
#include "runtime/leaf_prefilter.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "runtime/eval.hpp"
#include "runtime/leaf_memo.hpp"

namespace eqlpp::runtime {

using compiler::PNode;

namespace {

constexpr std::size_t kPiece = 4;

// The filter bit of the 4 bytes at `p`.
inline std::uint16_t piece_bit(const char* p) {
  std::uint32_t x;
  std::memcpy(&x, p, sizeof x);
  return static_cast<std::uint16_t>((x * 0x9E3779B1u) >> 19);  // 13 bits: 8,192
}

}  // namespace

std::uint32_t LeafPrefilter::group(FieldId field, bool folded) {
  for (std::uint32_t g = 0; g < groups_.size(); ++g)
    if (groups_[g].field == field && groups_[g].folded == folded) return g;
  groups_.emplace_back();
  groups_.back().field = field;
  groups_.back().folded = folded;
  return static_cast<std::uint32_t>(groups_.size() - 1);
}

void LeafPrefilter::add(std::uint32_t rule, const detail::CompiledRule& plan,
                        std::span<const FieldId> map, const LeafMemo& memo) {
  if (tables_.size() <= rule) tables_.resize(rule + 1);
  auto& table = tables_[rule];
  table.assign(plan.memo_nodes.size(), kNone);
  for (std::uint32_t n = 0; n < plan.memo_nodes.size(); ++n) {
    const PNode& p = *plan.memo_nodes[n];
    if (p.kind != PNode::Kind::kWildcard || !p.operand_is_field) continue;
    const std::uint32_t entry = memo.entry(rule, n);
    if (of_entry_.size() <= entry) of_entry_.resize(static_cast<std::size_t>(entry) + 1, kNone);
    if (of_entry_[entry] != kNone) {  // the same condition
      table[n] = of_entry_[entry];
      continue;
    }
    // Folded patterns, matched against folded values; empty when a pattern
    // such as "*" may match anything.
    const std::vector<std::string> literals = p.wild->required_fragments();
    if (literals.empty()) continue;
    if (std::any_of(literals.begin(), literals.end(),
                    [](const std::string& l) { return l.size() < kPiece; }))
      continue;  // too short for a piece: always matched
    const auto id = static_cast<std::uint32_t>(conditions_.size());
    conditions_.push_back({group(map[p.slot], p.wild->insensitive()), p.wild.get(), 0, 0});
    chosen_ = false;
    of_entry_[entry] = id;
    table[n] = id;
  }
}

// Each literal's piece: the one fewest of its group's literals contain (a
// piece many patterns share, such as ".exe", is in most values too).
void LeafPrefilter::choose_pieces() {
  std::vector<std::vector<std::uint32_t>> uses(groups_.size(),
                                               std::vector<std::uint32_t>(kBits, 0));
  // The last literal (numbered from 1, across every group) that counted
  // each bit: a literal counts a bit once, however often its pieces hash to it.
  std::vector<std::uint32_t> counted(kBits, 0);
  std::uint32_t literal = 0;
  std::vector<std::vector<std::string>> literals;
  for (const Condition& c : conditions_) literals.push_back(c.set->required_fragments());
  for (std::size_t ci = 0; ci < conditions_.size(); ++ci)
    for (const auto& lit : literals[ci]) {
      const Condition& c = conditions_[ci];
      ++literal;
      for (std::size_t i = 0; i + kPiece <= lit.size(); ++i) {
        const std::uint16_t b = piece_bit(&lit[i]);
        if (counted[b] == literal) continue;
        counted[b] = literal;
        ++uses[c.group][b];
      }
    }
  pieces_.clear();
  std::vector<std::uint16_t> bits;
  for (std::size_t ci = 0; ci < conditions_.size(); ++ci) {
    Condition& c = conditions_[ci];
    bits.clear();
    for (const auto& lit : literals[ci]) {
      std::uint16_t best = 0;
      std::uint32_t best_uses = std::numeric_limits<std::uint32_t>::max();
      for (std::size_t i = 0; i + kPiece <= lit.size(); ++i) {
        const std::uint16_t b = piece_bit(&lit[i]);
        if (uses[c.group][b] < best_uses) {
          best = b;
          best_uses = uses[c.group][b];
        }
      }
      bits.push_back(best);
    }
    std::sort(bits.begin(), bits.end());
    c.first = static_cast<std::uint32_t>(pieces_.size());
    for (std::uint16_t b : bits) {
      const std::uint32_t word = b >> 6;
      if (pieces_.size() == c.first || pieces_.back().word != word) pieces_.push_back({word, 0});
      pieces_.back().mask |= std::uint64_t{1} << (b & 63);
    }
    c.count = static_cast<std::uint32_t>(pieces_.size()) - c.first;
  }
  chosen_ = true;
}

void LeafPrefilter::forget_events() {
  for (auto& g : groups_) g.filled = g.asked = 0;
}

void LeafPrefilter::fill(Group& g, const Record& r, EvalCtx& ctx) {
  g.filled = ctx.event;
  g.all = false;
  // Only the words the last event set are cleared (a value of a few dozen
  // bytes sets a few dozen of the 128): zeroing the whole 1 KB filter was
  // most of a fill.
  for (const std::uint16_t w : g.dirty) g.bits[w] = 0;
  g.dirty.clear();
  for (const Value& v : r.values(g.field)) {
    if (!v.is_string()) {  // matched as its text: no skipping
      g.all = true;
      return;
    }
    const std::string_view text = g.folded ? ctx.folded_field_value(v.as_string()) : v.as_string();
    for (std::size_t i = 0; i + kPiece <= text.size(); ++i) {
      const std::uint16_t b = piece_bit(text.data() + i);
      std::uint64_t& word = g.bits[b >> 6];
      if (word == 0) g.dirty.push_back(static_cast<std::uint16_t>(b >> 6));
      word |= std::uint64_t{1} << (b & 63);
    }
  }
}

bool LeafPrefilter::may_match(std::uint32_t id, const Record& r, EvalCtx& ctx) {
  if (!chosen_) [[unlikely]]
    choose_pieces();
  const Condition& c = conditions_[id];
  Group& g = groups_[c.group];
  if (g.filled != ctx.event) {
    if (g.asked != ctx.event) {
      g.asked = ctx.event;
      return true;
    }
    fill(g, r, ctx);
  }
  if (g.all) return true;
  for (std::uint32_t k = c.first; k < c.first + c.count; ++k)
    if ((g.bits[pieces_[k].word] & pieces_[k].mask) != 0) return true;
  return false;
}

}  // namespace eqlpp::runtime
