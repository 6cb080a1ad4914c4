// SPDX-License-Identifier: Apache-2.0
#include "util/aho_corasick.hpp"

#include <algorithm>

namespace eqlpp::util {

bool AhoCorasick::build(const std::vector<std::string>& literals, std::size_t max_bytes,
                        bool fold_ascii) {
  *this = AhoCorasick();
  auto fold = [&](char c) {
    const auto b = static_cast<unsigned char>(c);
    return fold_ascii && b >= 'A' && b <= 'Z' ? static_cast<unsigned char>(b + ('a' - 'A')) : b;
  };
  std::array<bool, 256> used{};
  std::size_t total = 0;
  for (const auto& l : literals) {
    total += l.size();
    for (char c : l) used[fold(c)] = true;
  }
  std::uint32_t classes = 1;
  for (std::size_t c = 0; c < 256; ++c) cls_[c] = used[c] ? classes++ : 0;
  if (fold_ascii)
    for (std::size_t c = 'A'; c <= 'Z'; ++c) cls_[c] = cls_[c + ('a' - 'A')];
  // At most one state per literal byte, plus the root; targets are offsets
  // below kReports.
  if ((total + 1) * classes * sizeof(std::uint32_t) > max_bytes ||
      (total + 1) * classes >= kReports) {
    *this = AhoCorasick();
    return false;
  }
  // The trie; kNone marks a missing transition while building.
  constexpr std::uint32_t kNone = ~std::uint32_t{0};
  std::vector<std::uint32_t> next(classes, kNone);
  std::vector<std::vector<std::uint32_t>> out(1);
  for (std::size_t i = 0; i < literals.size(); ++i) {
    if (literals[i].empty()) {
      always_.push_back(static_cast<std::uint32_t>(i));
      continue;
    }
    std::uint32_t s = 0;
    for (char ch : literals[i]) {
      const std::size_t at = static_cast<std::size_t>(s) * classes + cls_[fold(ch)];
      if (next[at] == kNone) {
        next[at] = static_cast<std::uint32_t>(out.size());
        out.emplace_back();
        next.resize(next.size() + classes, kNone);
      }
      s = next[at];
    }
    out[s].push_back(static_cast<std::uint32_t>(i));
  }
  // Failure links, breadth first, folded into the transitions (a DFA); each
  // state also reports what its failure state reports.
  std::vector<std::uint32_t> fail(out.size(), 0), queue;
  for (std::size_t c = 0; c < classes; ++c) {
    if (next[c] == kNone) {
      next[c] = 0;
    } else {
      queue.push_back(next[c]);
    }
  }
  for (std::size_t qi = 0; qi < queue.size(); ++qi) {
    const std::uint32_t s = queue[qi];
    const auto& inherited = out[fail[s]];
    out[s].insert(out[s].end(), inherited.begin(), inherited.end());
    for (std::size_t c = 0; c < classes; ++c) {
      std::uint32_t& t = next[static_cast<std::size_t>(s) * classes + c];
      const std::uint32_t via_fail = next[static_cast<std::size_t>(fail[s]) * classes + c];
      if (t == kNone) {
        t = via_fail;
      } else {
        fail[t] = via_fail;
        queue.push_back(t);
      }
    }
  }
  out_at_.reserve(out.size() + 1);
  for (auto& o : out) {
    std::sort(o.begin(), o.end());
    o.erase(std::unique(o.begin(), o.end()), o.end());
    out_at_.push_back(static_cast<std::uint32_t>(out_.size()));
    out_.insert(out_.end(), o.begin(), o.end());
  }
  std::vector<std::uint32_t> reports(out.size());  // kReports for a state that reports
  for (std::size_t t = 0; t < out.size(); ++t) reports[t] = out[t].empty() ? 0 : kReports;
  for (std::uint32_t& t : next) t = t * classes | reports[t];
  next_ = std::move(next);
  out_at_.push_back(static_cast<std::uint32_t>(out_.size()));
  classes_ = classes;
  return true;
}

}  // namespace eqlpp::util
