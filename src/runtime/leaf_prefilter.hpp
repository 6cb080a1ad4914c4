// SPDX-License-Identifier: Apache-2.0
// The literal prefilter of wildcard conditions (`process.executable :
// ("?:\\Windows\\*\\x.exe", ...)`). Every pattern of such a condition has a
// literal each matching value must contain (its longest run without `*` or
// `?`; a pattern without wildcards is its own literal), so a value without
// any of them cannot match. The engine picks one 4-byte piece of each
// pattern's literal (the piece fewest of the field's patterns share), and
// per event sets a bit, in an 8,192-bit filter per field (folded or as
// written), for every 4 bytes of the field's values: one pass per field for
// all rules. A condition none of whose pieces has its bit set is false
// without matching a pattern. A bit set by another piece (a hash
// collision) only costs the match; a piece in the value always has its bit
// set, so nothing that could match is skipped. Exclusion lists (`not
// process.executable : (...)`), which every event of a broad rule runs, are
// where this saves most.
//
// An automaton over the literals themselves (util/aho_corasick.hpp) would
// skip more, but its dense tables for the corpus's 23,000 literals took 84
// MB; the filters take 1 KB per field (bench/README.md).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "compile/field_table.hpp"
#include "compile/plan.hpp"

namespace eqlpp::runtime {

struct EvalCtx;
class LeafMemo;

class LeafPrefilter {
 public:
  static constexpr std::uint32_t kNone = compiler::PNode::kNoMemo;

  /// Registers rule `rule`'s wildcard conditions (numbered by PNode::memo;
  /// `memo` tells which are the same condition) over the fields `map` maps
  /// its slots to.
  void add(std::uint32_t rule, const detail::CompiledRule& plan, std::span<const FieldId> map,
           const LeafMemo& memo);
  /// The rule's table: memo number -> condition id, or kNone when the node
  /// is not a wildcard condition the prefilter can test.
  [[nodiscard]] const std::uint32_t* table(std::uint32_t rule) const noexcept {
    return tables_[rule].data();
  }
  /// Forgets which events the filters were filled for (EvalCtx::event
  /// starts again).
  void forget_events();
  /// False when condition `id` cannot hold for `r`, the event ctx.event
  /// numbers: no value of its field contains one of its literals. The
  /// field's first question of an event is answered true (the condition is
  /// matched directly: a filter for one question costs more than it saves);
  /// the second fills the field's filter.
  bool may_match(std::uint32_t id, const Record& r, EvalCtx& ctx);
  /// Conditions registered.
  [[nodiscard]] std::size_t conditions() const noexcept { return conditions_.size(); }

 private:
  static constexpr std::size_t kBits = 8192;
  struct Group {  // one field, folded or as written
    FieldId field = 0;
    bool folded = false;
    std::array<std::uint64_t, kBits / 64> bits{};
    std::vector<std::uint16_t> dirty;  // the words of `bits` not zero, each once
    std::uint32_t filled = 0;          // the event (EvalCtx::event) whose values `bits` holds
    std::uint32_t asked = 0;           // the event whose first question was answered without `bits`
    bool all = false;  // that event: a value is not a string, every condition may match
  };
  struct Condition {
    std::uint32_t group = 0;
    const compiler::WildcardSet* set = nullptr;  // its patterns (the rule's plan lives on)
    std::uint32_t first = 0, count = 0;          // its pieces' words in pieces_
  };
  void fill(Group& g, const Record& r, EvalCtx& ctx);
  void choose_pieces();
  std::uint32_t group(FieldId field, bool folded);

  std::vector<Group> groups_;
  std::vector<Condition> conditions_;
  // Condition by condition, its pieces' bits as (filter word, bits in it):
  // a condition with hundreds of patterns tests each word once.
  struct Piece {
    std::uint32_t word = 0;
    std::uint64_t mask = 0;
  };
  std::vector<Piece> pieces_;
  bool chosen_ = true;                   // pieces_ covers every condition
  std::vector<std::uint32_t> of_entry_;  // LeafMemo entry -> condition, or kNone
  std::vector<std::vector<std::uint32_t>> tables_;
};

}  // namespace eqlpp::runtime
