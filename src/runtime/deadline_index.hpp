// SPDX-License-Identifier: Apache-2.0
// The next deadline of every stateful rule of an engine, and which are due.
//
// Each sequence or sample rule has a next deadline (the earliest time at
// which its state may expire: Matcher::deadline). Before each event the
// engine must advance the rules whose deadline the event's time has passed.
// Scanning every stateful rule for that whenever the earliest deadline was
// due cost about a thousand instructions per event under all 2,395 rules
// (over a thousand stateful rules, scanned at half the events, a few due).
// A min-heap of (deadline, rule) finds the due ones directly. Its entries
// are not removed when a rule's deadline changes: an entry whose deadline
// is no longer its rule's is stale and skipped when it comes up, and the
// heap is rebuilt from the deadlines when stale entries outnumber the rules.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace eqlpp::runtime {

class DeadlineIndex {
 public:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

  /// A new rule, with no deadline; returns its number.
  std::uint32_t add() {
    deadlines_.push_back(kNever);
    return static_cast<std::uint32_t>(deadlines_.size() - 1);
  }
  [[nodiscard]] std::int64_t get(std::uint32_t k) const noexcept { return deadlines_[k]; }
  /// Rule `k`'s next deadline is `d` (kNever: none).
  void set(std::uint32_t k, std::int64_t d) {
    if (deadlines_[k] == d) return;
    deadlines_[k] = d;
    if (d == kNever) return;
    heap_.push_back(Entry{d, k});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
    if (heap_.size() > 2 * deadlines_.size() + 64) rebuild();
  }
  /// Whether some rule's deadline is before `now` (or a stale entry is: it
  /// only costs a look).
  [[nodiscard]] bool any_before(std::int64_t now) const noexcept {
    return !heap_.empty() && heap_.front().deadline < now;
  }
  /// The rules whose deadline is before `now`, in ascending order (the
  /// order of the rules in the engine), into `out` (cleared first). Their
  /// entries leave the heap: a rule's deadline is set again when it
  /// advances.
  void take_due(std::int64_t now, std::vector<std::uint32_t>& out) {
    out.clear();
    while (!heap_.empty() && heap_.front().deadline < now) {
      const Entry e = heap_.front();
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      heap_.pop_back();
      if (deadlines_[e.rule] == e.deadline) out.push_back(e.rule);
    }
    if (out.size() > 1) {  // (one due rule, the common case, needs no sort)
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
    }
  }
  /// Entries held (stale ones included).
  [[nodiscard]] std::size_t entries() const noexcept { return heap_.size(); }

 private:
  struct Entry {
    std::int64_t deadline;
    std::uint32_t rule;
  };
  struct Later {  // std heap functions make a max-heap of "less": the earliest on top
    bool operator()(const Entry& a, const Entry& b) const noexcept {
      return a.deadline > b.deadline;
    }
  };
  void rebuild() {
    heap_.clear();
    for (std::uint32_t k = 0; k < deadlines_.size(); ++k)
      if (deadlines_[k] != kNever) heap_.push_back(Entry{deadlines_[k], k});
    std::make_heap(heap_.begin(), heap_.end(), Later{});
  }

  std::vector<std::int64_t> deadlines_;
  std::vector<Entry> heap_;
};

}  // namespace eqlpp::runtime
