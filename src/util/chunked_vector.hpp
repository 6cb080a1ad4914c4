// SPDX-License-Identifier: Apache-2.0
// A vector in fixed-size chunks: for the large, growing arrays of per-key
// state, where std::vector's doubling costs twice over. Its growth slack
// averages a third of the array (a table of 100k keys pays for 131k), and
// each doubling moves every element at once (a stall of tens of
// milliseconds past a million keys, inside push()).
//
// Here the first chunk grows like a vector up to kChunk elements, so that a
// table of a few keys stays small; every later chunk is allocated whole
// when the one before is full and never moves. The slack is at most one
// chunk, and growing moves at most the first chunk's kChunk elements.
// Elements of chunks after the first keep their address; code must not
// rely on it (the first chunk moves while it grows), as with std::vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace eqlpp::util {

template <class T, std::size_t kChunkLog2 = 9>
class ChunkedVector {
 public:
  static constexpr std::size_t kChunk = std::size_t{1} << kChunkLog2;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  T& operator[](std::size_t i) noexcept { return chunks_[i >> kChunkLog2][i & (kChunk - 1)]; }
  const T& operator[](std::size_t i) const noexcept {
    return chunks_[i >> kChunkLog2][i & (kChunk - 1)];
  }

  /// Appends a value-initialised element; returns it.
  T& emplace_back() {
    if (size_ == chunks_.size() * kChunk) {
      chunks_.emplace_back();
      // The first chunk grows as needed; the others are allocated whole.
      if (chunks_.size() > 1) chunks_.back().reserve(kChunk);
    }
    ++size_;
    return chunks_.back().emplace_back();
  }

  /// `n` copies of `v`, in place of the contents.
  void assign(std::size_t n, const T& v) {
    clear();
    for (std::size_t i = 0; i < n; ++i) emplace_back() = v;
  }

  void clear() noexcept {
    chunks_.clear();
    size_ = 0;
  }

  /// Elements allocated (in use or slack): what the array holds in memory.
  [[nodiscard]] std::size_t capacity() const noexcept {
    std::size_t c = 0;
    for (const auto& ch : chunks_) c += ch.capacity();
    return c;
  }

 private:
  std::vector<std::vector<T>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace eqlpp::util
