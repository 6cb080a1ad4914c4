// SPDX-License-Identifier: Apache-2.0
// The expiry heap of one rule: a min-heap of deadlines with lazy deletion.
//
// An entry names what it expires (a partial by id, a pending completion, a
// missing-event mark); when that thing is superseded, moved or freed, the
// entry stays in the heap, stale, and is skipped when popped. So that stale
// entries cannot pile up (one busy key superseding its partial on every
// event), the owner compacts the heap once it holds more than twice the
// entries that can be live plus a constant: compaction removes every stale
// entry in O(n) and the next one comes only after at least as many pushes
// again, so each push costs amortised O(log n) in the live state, whatever
// the key distribution.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace eqlpp::runtime {

struct ExpiryEntry {
  std::int64_t deadline = 0;
  std::uint32_t slot = 0;
  std::uint32_t gen = 0;
  std::int32_t stage = 0;  // >= 0: at[stage]; kPending; kLeadingMark
  std::uint64_t id = 0;
  static constexpr std::int32_t kPending = -1;      // a completion waiting out a trailing window
  static constexpr std::int32_t kLeadingMark = -2;  // a leading missing-event mark
};

class ExpiryHeap {
 public:
  /// Slack over twice the live bound before a compaction is worth its O(n).
  static constexpr std::size_t kSlack = 1024;

  void push(const ExpiryEntry& e) {
    v_.push_back(e);
    std::push_heap(v_.begin(), v_.end(), Later{});
  }
  [[nodiscard]] bool empty() const noexcept { return v_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return v_.size(); }
  [[nodiscard]] const ExpiryEntry& top() const noexcept { return v_.front(); }
  void pop() {
    std::pop_heap(v_.begin(), v_.end(), Later{});
    v_.pop_back();
  }
  void clear() noexcept { v_.clear(); }

  /// Compacts when the heap holds more than 2 * live_bound + kSlack entries,
  /// where live_bound bounds the entries `live` can accept. Returns whether it did.
  template <class Live>
  bool maybe_compact(std::size_t live_bound, Live&& live) {
    if (v_.size() <= 2 * live_bound + kSlack) return false;
    std::erase_if(v_, [&](const ExpiryEntry& e) { return !live(e); });
    std::make_heap(v_.begin(), v_.end(), Later{});
    ++compactions_;
    return true;
  }
  [[nodiscard]] std::uint64_t compactions() const noexcept { return compactions_; }

  /// The entries in heap order (a snapshot writes them as they are).
  [[nodiscard]] const std::vector<ExpiryEntry>& entries() const noexcept { return v_; }
  /// Replaces the entries with `v` (heap order); false, unchanged, when `v`
  /// is not a heap.
  bool assign(std::vector<ExpiryEntry> v) {
    if (!std::is_heap(v.begin(), v.end(), Later{})) return false;
    v_ = std::move(v);
    return true;
  }

 private:
  struct Later {
    bool operator()(const ExpiryEntry& a, const ExpiryEntry& b) const noexcept {
      return a.deadline > b.deadline;
    }
  };
  std::vector<ExpiryEntry> v_;
  std::uint64_t compactions_ = 0;
};

}  // namespace eqlpp::runtime
