// SPDX-License-Identifier: Apache-2.0
// Interned field paths -> dense FieldIds, one table per engine, shared by all
// its rules. The JSON decoder builds its projection trie from it.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compile/matchers.hpp"
#include "eqlpp/event.hpp"

namespace eqlpp::compiler {

class FieldTable {
 public:
  static constexpr FieldId kNone = ~FieldId{0};

  FieldId intern(std::string_view path) {
    auto it = ids_.find(path);
    if (it != ids_.end()) return it->second;
    auto id = static_cast<FieldId>(ids_.size());
    ids_.emplace(std::string(path), id);
    return id;
  }
  [[nodiscard]] FieldId find(std::string_view path) const {
    auto it = ids_.find(path);
    return it == ids_.end() ? kNone : it->second;
  }
  [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
  /// Calls f(path, id) for every interned field (in no particular order).
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [path, id] : ids_) f(std::string_view(path), id);
  }

 private:
  std::unordered_map<std::string, FieldId, StringHash, std::equal_to<>> ids_;
};

}  // namespace eqlpp::compiler
