// SPDX-License-Identifier: Apache-2.0
// Interned field paths -> dense FieldIds, one table per engine, shared by all
// its rules. The JSON decoder builds its projection trie from it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compile/matchers.hpp"
#include "eqlpp/event.hpp"
#include "ingest/coerce.hpp"

namespace eqlpp::compiler {

class FieldTable {
 public:
  static constexpr FieldId kNone = ~FieldId{0};

  FieldId intern(std::string_view path) {
    auto it = ids_.find(path);
    if (it != ids_.end()) return it->second;
    auto id = static_cast<FieldId>(ids_.size());
    ids_.emplace(std::string(path), id);
    ++version_;
    return id;
  }
  /// How the decoder reads the field's values (a mapped type); the first
  /// set wins (rules compiled against conflicting mappings read the field as
  /// the first added did). Null: as JSON gives them.
  void set_coercion(FieldId id, std::shared_ptr<const ingest::Coercion> c) {
    if (!c) return;
    if (coercions_.size() <= id) coercions_.resize(id + 1);
    if (coercions_[id]) return;
    coercions_[id] = std::move(c);
    ++version_;
  }
  [[nodiscard]] const ingest::Coercion* coercion(FieldId id) const noexcept {
    return id < coercions_.size() ? coercions_[id].get() : nullptr;
  }
  /// Changes whenever a field or a coercion is added (the decoder rebuilds its trie).
  [[nodiscard]] std::uint64_t version() const noexcept { return version_; }
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
  std::vector<std::shared_ptr<const ingest::Coercion>> coercions_;
  std::uint64_t version_ = 0;
};

}  // namespace eqlpp::compiler
