// SPDX-License-Identifier: Apache-2.0
// Aho-Corasick over bytes, compiled to a dense automaton: which of a set of
// literals occur in a text, in one pass. The rule index's cross-rule literal
// prefilter (runtime/dispatcher.*) scans each field value with one of these
// for every literal the rules require of that field. It was measured
// against RE2::Set and Vectorscan on the corpus's own literal sets
// (bench/bench_prefilter.cpp, bench/README.md) and was the fastest for
// values of tens of bytes, where a scan's fixed cost decides.
//
// Matching is byte for byte: a literal matches exactly the bytes it has
// (callers fold case before building and before scanning). Bytes no
// literal uses share one class, so the table has (states x classes)
// entries.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eqlpp::util {

class AhoCorasick {
 public:
  /// Builds the automaton for `literals` (empty ones match every text).
  /// With `fold_ascii`, matching ignores ASCII case (A-Z match a-z, in the
  /// literals and in the text; other bytes exactly), so a text need not be
  /// folded before the scan. False, and the automaton empty, when its table
  /// would take more than `max_bytes`.
  bool build(const std::vector<std::string>& literals, std::size_t max_bytes,
             bool fold_ascii = false);

  /// Calls `found(i)` for each literal i that occurs in `text`: at least
  /// once, possibly more often (at each place it ends).
  template <class F>
  void scan(std::string_view text, F&& found) const {
    for (std::uint32_t i : always_) found(i);
    if (classes_ == 0) return;
    std::uint32_t s = 0;
    for (char ch : text) {
      s = next_[(s & ~kReports) + cls_[static_cast<unsigned char>(ch)]];
      if ((s & kReports) != 0) [[unlikely]] {
        const std::uint32_t state = (s & ~kReports) / classes_;
        for (std::uint32_t k = out_at_[state]; k < out_at_[state + 1]; ++k) found(out_[k]);
      }
    }
  }

  /// Bytes of the automaton's tables.
  [[nodiscard]] std::size_t bytes() const noexcept {
    return (next_.size() + out_.size() + out_at_.size() + always_.size()) * sizeof(std::uint32_t) +
           sizeof(cls_);
  }

 private:
  // A transition's target, as the offset of its row (state * classes_),
  // with this bit set when the state reports literals.
  static constexpr std::uint32_t kReports = std::uint32_t{1} << 31;
  std::array<std::uint32_t, 256> cls_{};  // byte -> class (0: no literal uses it)
  std::uint32_t classes_ = 0;             // 0: not built, or no non-empty literal
  std::vector<std::uint32_t> next_;       // state * classes_ + class -> target (above)
  std::vector<std::uint32_t> out_;        // literals ending at each state, state by state
  std::vector<std::uint32_t> out_at_;     // state -> its first entry in out_ (and one past)
  std::vector<std::uint32_t> always_;     // empty literals
};

}  // namespace eqlpp::util
